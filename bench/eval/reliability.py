#!/usr/bin/env python3
"""Reliability table of the answer confidence, per evaluation set, from answer_quality.py's dump.

A question counts as right when the answer's first source is a gold one (answerable questions) or when it was
declined (questions the knowledge does not answer); a confidence that is calibrated has, in each bin, a share of
right answers near the bin's confidence. Make the dump with every question answered so that each question's
confidence and gold rank are known:

  bench/eval/answer_quality.py --answer-threshold 0 --dump /tmp/dump.json
  bench/eval/reliability.py /tmp/dump.json [--bins 0,0.2,0.3,0.4,0.5,0.6,0.8,1.01]

For unanswerable questions the column "right" is the share whose confidence is below the shipped threshold.
"""
import argparse
import json

from threshold_check import shipped_threshold


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dump")
    parser.add_argument("--bins", default="0,0.2,0.3,0.4,0.5,0.6,0.8,1.01")
    args = parser.parse_args()
    edges = [float(x) for x in args.bins.split(",")]
    threshold = shipped_threshold()
    dump = json.load(open(args.dump))
    header = "| set | " + " | ".join(f"{lo:.1f}-{min(hi, 1):.1f}" for lo, hi in zip(edges, edges[1:])) + " |"
    print("Answerable questions: share whose first source is gold (count) per confidence bin")
    print(header)
    print("|" + " --- |" * len(edges))
    for name, questions in dump.items():
        cells = []
        for lo, hi in zip(edges, edges[1:]):
            inside = [q for q in questions if q["answerable"] and lo <= q["confidence"] < hi]
            right = sum(1 for q in inside if q["rank"] == 1)
            cells.append(f"{right / len(inside):.2f} ({len(inside)})" if inside else "-")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print(f"Unanswerable questions: count per confidence bin (declined below {threshold})")
    print(header)
    print("|" + " --- |" * len(edges))
    for name, questions in dump.items():
        if all(q["answerable"] for q in questions):
            continue
        cells = []
        for lo, hi in zip(edges, edges[1:]):
            inside = [q for q in questions if not q["answerable"] and lo <= q["confidence"] < hi]
            cells.append(str(len(inside)) if inside else "-")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
