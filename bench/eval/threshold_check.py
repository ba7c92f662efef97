#!/usr/bin/env python3
"""Leave-one-set-out check of the answer threshold (the confidence below which the bot declines).

Reads the per-question dump of answer_quality.py made with `--answer-threshold 0` (every question answered, so
every gold rank is known), then, holding out each set in turn, picks the threshold from the other sets alone: the
largest one that still answers at least --keep of their answerable questions. The held-out set's figures at that
threshold show whether a threshold tuned on some sets carries over to another. The figures at --default (by
default the shipped BotSettings::answer_threshold, read from src/chat/bot_settings.h) are printed too.

Usage: bench/eval/answer_quality.py --answer-threshold 0 --dump /tmp/dump.json
       bench/eval/threshold_check.py /tmp/dump.json [--keep 0.9] [--default T]
"""
import argparse
import json
import os
import re


def shipped_threshold():
    """BotSettings::answer_threshold as the source declares it, so the check never drifts from the product."""
    header = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "chat", "bot_settings.h")
    match = re.search(r"double answer_threshold = ([0-9.]+);", open(header).read())
    if not match:
        raise SystemExit(f"cannot find answer_threshold in {header}")
    return float(match.group(1))


def figures(questions, threshold):
    answerable = [q for q in questions if q["answerable"]]
    unanswerable = [q for q in questions if not q["answerable"]]
    answered = [q for q in answerable if q["confidence"] >= threshold]
    out = {
        "hit@1": sum(1 for q in answered if q["rank"] == 1) / len(answerable),
        "hit@3": sum(1 for q in answered if q["rank"] and q["rank"] <= 3) / len(answerable),
        "answered": len(answered) / len(answerable),
    }
    if unanswerable:
        out["declined"] = sum(1 for q in unanswerable if q["confidence"] < threshold) / len(unanswerable)
    return out


def pick_threshold(sets, keep):
    """The largest threshold answering at least `keep` of each set's answerable questions."""
    limits = []
    for questions in sets:
        confidences = sorted(q["confidence"] for q in questions if q["answerable"])
        limits.append(confidences[int(len(confidences) * (1 - keep))])
    return min(limits)


def show(name, threshold, stats):
    print(f"  {name:10s} threshold {threshold:.3f}: " + "  ".join(f"{k} {v:.2f}" for k, v in stats.items()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dump")
    parser.add_argument("--keep", type=float, default=0.9)
    parser.add_argument("--default", type=float, default=shipped_threshold())
    args = parser.parse_args()
    dump = json.load(open(args.dump))
    print(f"shipped threshold {args.default}:")
    for name, questions in dump.items():
        show(name, args.default, figures(questions, args.default))
    print(f"leave one set out (threshold answering >= {args.keep:.0%} of the other sets' answerable questions):")
    for held_out, questions in dump.items():
        threshold = pick_threshold([q for name, q in dump.items() if name != held_out], args.keep)
        show(held_out, threshold, figures(questions, threshold))


if __name__ == "__main__":
    main()
