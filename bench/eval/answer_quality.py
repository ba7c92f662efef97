#!/usr/bin/env python3
"""Answer quality of the no-model pipeline on the public FAQ/QA sets in ../shared/eval.

Each set is ingested through the CLI (`parley init`, `parley bot create`, `parley source add`) into a fresh data
folder and every question is asked with `parley ask --batch` (the same retrieval and answer code as the chat
endpoint). Reported per set: hit@1, hit@3, hit@5 and MRR of the gold FAQ entry / manual section among the answer's
`sources`, the answer modes, and for covid-vaccine-faq the share of unanswerable questions declined (mode
`fallback`) and of answerable ones answered.

Usage: bench/eval/answer_quality.py [--parley build/src/app/parley] [--shared ../shared] [--json OUT]
                                    [--sets emanual-s10,deepset-covid-faq,covid-vaccine-faq] [--show-misses N]
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile


def run(parley, data, *args, input_text=None):
    result = subprocess.run([parley, "--data", data, *args], capture_output=True, text=True, input=input_text)
    if result.returncode != 0:
        sys.exit(f"parley {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def make_bot(parley, data, name, files):
    run(parley, data, "init")
    bot = run(parley, data, "bot", "create", "--name", name).strip()
    run(parley, data, "source", "add", "--bot", bot, *files)
    return bot


def ask_all(parley, data, bot, questions):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        for question in questions:
            handle.write(question.replace("\n", " ") + "\n")
        path = handle.name
    try:
        lines = run(parley, data, "ask", "--bot", bot, "--batch", path).splitlines()
    finally:
        os.unlink(path)
    return [json.loads(line) for line in lines]


def rank_of(answer, gold, key):
    """1-based rank of the first source whose key is in gold, else None."""
    for rank, source in enumerate(answer.get("sources", []), start=1):
        if key(source) in gold:
            return rank
    return None


def summarize(name, answers, golds, key, show_misses, questions):
    ranks = [rank_of(a, g, key) for a, g in zip(answers, golds)]
    n = len(ranks)
    modes = {}
    for a in answers:
        mode = a.get("mode", "error")
        modes[mode] = modes.get(mode, 0) + 1
    stats = {
        "questions": n,
        "hit@1": sum(1 for r in ranks if r == 1) / n,
        "hit@3": sum(1 for r in ranks if r and r <= 3) / n,
        "hit@5": sum(1 for r in ranks if r and r <= 5) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "modes": modes,
    }
    if show_misses:
        misses = [(q, a) for q, a, r in zip(questions, answers, ranks) if r != 1][:show_misses]
        for q, a in misses:
            top = a.get("sources", [{}])[0].get("title", "-") if a.get("sources") else "-"
            print(f"  miss [{name}] {q!r} -> {a.get('mode')} top={top!r}", file=sys.stderr)
    return stats


def emanual(parley, shared, work, show_misses):
    root = os.path.join(shared, "eval", "emanual-s10")
    corpus = json.load(open(os.path.join(root, "s10_manual_corpus.json")))
    folder = os.path.join(work, "sections")
    os.makedirs(folder)
    files = []
    for section_id, section in corpus.items():
        # The manual's structure as Markdown: the hierarchy as headings, the text lines as paragraphs.
        path_titles = [corpus[s]["title"] for s in section["section_hierarchy"].split(">") if s in corpus]
        lines = [f"---\ntitle: {json.dumps(section['title'])}\n---\n"]
        for depth, title in enumerate(path_titles[:6], start=1):
            lines.append("#" * depth + " " + title + "\n")
        lines += [line + "\n" for line in section["text"]]
        file = os.path.join(folder, section_id + ".md")
        with open(file, "w") as out:
            out.write("\n".join(lines))
        files.append(file)
    data = os.path.join(work, "emanual")
    bot = make_bot(parley, data, "S10 manual", [folder])
    questions, golds = [], []
    gold_by_id = {row["question_id"]: set(row["gold_section_ids"].split(","))
                  for row in csv.DictReader(open(os.path.join(root, "s10_gold_sections.derived.csv")))}
    for row in csv.DictReader(open(os.path.join(root, "s10_50_questions.csv"))):
        questions.append(row["question"])
        golds.append(gold_by_id[row["question_id"]])
    answers = ask_all(parley, data, bot, questions)
    return summarize("emanual", answers, golds, lambda s: os.path.splitext(s.get("url", ""))[0], show_misses, questions)


def deepset(parley, shared, work, show_misses):
    root = os.path.join(shared, "eval", "deepset-covid-faq")
    data = os.path.join(work, "deepset")
    bot = make_bot(parley, data, "COVID FAQ", [os.path.join(root, "faq_covidbert.csv")])
    questions, golds = [], []
    for row in csv.DictReader(open(os.path.join(root, "eval_question_similarity_en.csv"))):
        if row["similar"] == "1":
            questions.append(row["question_2"])
            golds.append({" ".join(row["question_1"].split())})
    answers = ask_all(parley, data, bot, questions)
    return summarize("deepset", answers, golds, lambda s: s.get("title", ""), show_misses, questions)


def covid_vaccine(parley, shared, work, show_misses):
    root = os.path.join(shared, "eval", "covid-vaccine-faq")
    data = os.path.join(work, "vaccine")
    faq_file = os.path.join(root, "faq_db.csv")
    bot = make_bot(parley, data, "Vaccine FAQ", [faq_file])
    ids_by_question = {}
    for row in csv.DictReader(open(faq_file)):
        ids_by_question.setdefault(" ".join(row["Question"].split()), set()).add(row["ID"])
    questions, golds = [], []
    for row in csv.DictReader(open(os.path.join(root, "validation.csv"))):
        questions.append(row["Question"])
        golds.append(set(x.strip() for x in row["Answer"].split(",")))
    answers = ask_all(parley, data, bot, questions)
    answerable = [(q, a, g) for q, a, g in zip(questions, answers, golds) if g != {"-1"}]
    unanswerable = [a for a, g in zip(answers, golds) if g == {"-1"}]

    def first_gold_rank(answer, gold):
        for rank, source in enumerate(answer.get("sources", []), start=1):
            if ids_by_question.get(source.get("title", ""), set()) & gold:
                return rank
        return None

    ranks = [first_gold_rank(a, g) for _, a, g in answerable]
    n = len(ranks)
    stats = {
        "questions": len(questions),
        "answerable": n,
        "unanswerable": len(unanswerable),
        "hit@1": sum(1 for r in ranks if r == 1) / n,
        "hit@3": sum(1 for r in ranks if r and r <= 3) / n,
        "hit@5": sum(1 for r in ranks if r and r <= 5) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "declined_unanswerable": sum(1 for a in unanswerable if a.get("mode") == "fallback") / len(unanswerable),
        "answered_answerable": sum(1 for _, a, _ in answerable if a.get("mode") != "fallback") / n,
    }
    if show_misses:
        for (q, a, g), r in list(zip(answerable, ranks)):
            if r is None and show_misses > 0:
                show_misses -= 1
                print(f"  miss [vaccine] {q!r} -> {a.get('mode')}", file=sys.stderr)
    return stats


SETS = {"emanual-s10": emanual, "deepset-covid-faq": deepset, "covid-vaccine-faq": covid_vaccine}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser()
    parser.add_argument("--parley", default=os.path.join(repo, "build", "src", "app", "parley"))
    parser.add_argument("--shared", default=os.environ.get("PARLEY_SHARED_DIR", os.path.join(repo, "..", "shared")))
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--show-misses", type=int, default=0)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="parley-eval-") as work:
        for name in args.sets.split(","):
            results[name] = SETS[name](args.parley, args.shared, os.path.join(work, name), args.show_misses)
    for name, stats in results.items():
        figures = "  ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in stats.items())
        print(f"{name:18s} {figures}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
