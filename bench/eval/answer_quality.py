#!/usr/bin/env python3
"""Answer quality of the no-model pipeline on the public FAQ/QA sets in ../shared/eval.

Each set is ingested through the CLI (`parley init`, `parley bot create`, `parley source add`) into a fresh data
folder and every question is asked with `parley ask --batch` (the same retrieval and answer code as the chat
endpoint). Reported per set: hit@1, hit@3, hit@5 and MRR of the gold FAQ entry / manual section among the answer's
`sources`, the answer modes, and for covid-vaccine-faq the share of unanswerable questions declined (mode
`fallback`) and of answerable ones answered (labels: `validation.corrected.derived.csv`). covidqa-papers (98 whole
papers, one document each) scores the gold paper's rank among the distinct documents of the sources and span@3: the
expert's answer text, case, punctuation and spacing folded, inside the answer or the first three sources' snippets.
postgresql-manual is the held-out manual of `bench/eval/heldout/` (Debian's postgresql-doc-15, installed separately):
gold pages among the sources, on-topic questions answered and off-topic ones declined.

Usage: bench/eval/answer_quality.py [--parley build/src/app/parley] [--shared ../shared] [--json OUT] [--postgres]
                                    [--sets emanual-s10,deepset-covid-faq,covid-vaccine-faq,covidqa-papers,
                                            postgresql-manual] [--show-misses N]
                                    [--answer-threshold T] [--max-sources N] [--dump OUT]
                                    [--embedding-model FILE]

--answer-threshold sets the bots' answer_threshold (e.g. 0 to see every question's evidence whatever its
confidence); --dump writes, per set, each question's confidence, mode and gold rank (None when missed), and whether
it is answerable, for bench/eval/threshold_check.py. --embedding-model puts a BERT-family GGUF in each data folder's
parley.toml and embeds every chunk (`parley bot embed`) before asking: the answers then use hybrid retrieval.
--postgres runs every set on the PostgreSQL store instead of SQLite: a throw-away server
(bench/store/with_postgres.sh) with a database per set, named in each data folder's parley.toml by `parley init`;
the figures must equal SQLite's (docs/RETRIEVAL.md, "PostgreSQL parity").
"""
import argparse
import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

# Set from --answer-threshold: the bots' answer_threshold setting, or None for the default.
ANSWER_THRESHOLD = None
# Set from --max-sources: the bots' max_sources setting, or None for the default.
MAX_SOURCES = None
# Set from --embedding-model: an embedding model for hybrid retrieval, or None for lexical retrieval only.
EMBEDDING_MODEL = None
# Set from --postgres: the throw-away server's URL (bench/store/with_postgres.sh); each set's data folder gets a
# database of its own there. None: SQLite.
POSTGRES_URL = None
# Filled per set for --dump: [{"confidence", "mode", "rank", "answerable"}].
DUMP = {}


def run(parley, data, *args, input_text=None, env=None):
    result = subprocess.run([parley, "--data", data, *args], capture_output=True, text=True, input=input_text, env=env)
    if result.returncode != 0:
        sys.exit(f"parley {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def psql(url, sql):
    program = os.path.join(os.environ["PARLEY_PG_BINDIR"], "psql") if "PARLEY_PG_BINDIR" in os.environ else "psql"
    result = subprocess.run([program, url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"psql failed: {result.stderr.strip()}")


def set_database(data):
    """A new PostgreSQL database for the set whose data folder is `data`; its URL."""
    name = "eval_" + re.sub(r"\W", "_", os.path.basename(data))
    psql(POSTGRES_URL, f"CREATE DATABASE {name}")
    return urllib.parse.urlsplit(POSTGRES_URL)._replace(path="/" + name).geturl()


def init(parley, data):
    """`parley init`; on PostgreSQL it records the set's database in the folder's parley.toml, read from then on."""
    if POSTGRES_URL is None:
        run(parley, data, "init")
        return None
    url = set_database(data)
    run(parley, data, "init", env=dict(os.environ, PARLEY_STORE_URL=url))
    return url


def make_bot(parley, data, name, files):
    url = init(parley, data)
    if EMBEDDING_MODEL:
        with open(os.path.join(data, "parley.toml"), "a") as config:
            config.write(f'\n[engine]\nembedding_model = "{EMBEDDING_MODEL}"\n')
    bot = run(parley, data, "bot", "create", "--name", name).strip()
    run(parley, data, "source", "add", "--bot", bot, *files)
    if EMBEDDING_MODEL:
        run(parley, data, "bot", "embed", "--bot", bot)
    # The CLI has no option for bot settings, so settings are written into the bot's row directly.
    for key, value in (("answer_threshold", ANSWER_THRESHOLD), ("max_sources", MAX_SOURCES)):
        if value is not None and url is not None:
            psql(url, f"UPDATE bots SET settings = jsonb_set(settings::jsonb, '{{{key}}}', '{json.dumps(value)}')::text "
                      f"WHERE id = '{bot}'")
        elif value is not None:
            with sqlite3.connect(os.path.join(data, "parley.db")) as db:
                db.execute(f"UPDATE bots SET settings = json_set(settings, '$.{key}', ?) WHERE id = ?", (value, bot))
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
    DUMP[name] = [{"confidence": a.get("confidence", 0), "mode": a.get("mode"), "rank": r, "answerable": True}
                  for a, r in zip(answers, ranks)]
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
    for row in csv.DictReader(open(os.path.join(root, "validation.corrected.derived.csv"))):
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
    DUMP["vaccine"] = ([{"confidence": a.get("confidence", 0), "mode": a.get("mode"), "rank": r, "answerable": True}
                        for (_, a, _), r in zip(answerable, ranks)] +
                       [{"confidence": a.get("confidence", 0), "mode": a.get("mode"), "rank": None,
                         "answerable": False} for a in unanswerable])
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


def fold_span(text):
    """Case, punctuation and spacing folded, for span@3."""
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def distinct_documents(answer, key):
    """The sources' documents in order, each once."""
    seen = []
    for source in answer.get("sources", []):
        document = key(source)
        if document not in seen:
            seen.append(document)
    return seen


def covidqa_papers(parley, shared, work, show_misses):
    root = os.path.join(shared, "eval", "covidqa-papers")
    corpus = json.load(open(os.path.join(root, "covidqa.json")))["data"]
    folder = os.path.join(work, "papers")
    os.makedirs(folder)
    questions, golds, spans = [], [], []
    for paper in corpus:
        paragraph = paper["paragraphs"][0]
        document = str(paragraph["document_id"])
        title, _, body = paragraph["context"].partition("\n")
        # One whole paper per document, as a user would upload it: its first line is its title.
        with open(os.path.join(folder, document + ".md"), "w") as out:
            out.write(f"---\ntitle: {json.dumps(title.strip())}\n---\n\n{body}")
        for qa in paragraph["qas"]:
            questions.append(qa["question"])
            golds.append(document)
            spans.append(fold_span(qa["answers"][0]["text"]))
    data = os.path.join(work, "papers-data")
    bot = make_bot(parley, data, "COVID papers", [folder])
    answers = ask_all(parley, data, bot, questions)
    key = lambda s: os.path.splitext(s.get("url", ""))[0]
    ranks = []
    span_hits = 0
    for answer, gold, span in zip(answers, golds, spans):
        documents = distinct_documents(answer, key)
        ranks.append(documents.index(gold) + 1 if gold in documents else None)
        shown = [answer.get("answer", "")] + [s.get("snippet", "") for s in answer.get("sources", [])[:3]]
        span_hits += any(span and span in fold_span(text) for text in shown)
    DUMP["covidqa-papers"] = [{"confidence": a.get("confidence", 0), "mode": a.get("mode"), "rank": r,
                               "answerable": True} for a, r in zip(answers, ranks)]
    n = len(ranks)
    if show_misses:
        for q, a, r in [(q, a, r) for q, a, r in zip(questions, answers, ranks) if r != 1][:show_misses]:
            top = a.get("sources", [{}])[0].get("title", "-") if a.get("sources") else "-"
            print(f"  miss [covidqa-papers] {q!r} -> {a.get('mode')} top={top!r}", file=sys.stderr)
    return {
        "questions": n,
        "hit@1": sum(1 for r in ranks if r == 1) / n,
        "hit@3": sum(1 for r in ranks if r and r <= 3) / n,
        "hit@5": sum(1 for r in ranks if r and r <= 5) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "span@3": span_hits / n,
        "answered": sum(1 for a in answers if a.get("mode") != "fallback") / n,
    }


# The held-out manual: Debian's postgresql-doc-15, read where the package installs it.
POSTGRESQL_HTML = "/usr/share/doc/postgresql-doc-15/html"


def postgresql_manual(parley, shared, work, show_misses):
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "heldout")
    if not os.path.isdir(POSTGRESQL_HTML):
        sys.exit(f"{POSTGRESQL_HTML} is missing: apt-get install postgresql-doc-15")
    data = os.path.join(work, "manual")
    pages = sorted(os.path.join(POSTGRESQL_HTML, name) for name in os.listdir(POSTGRESQL_HTML) if name.endswith(".html"))
    bot = make_bot(parley, data, "PostgreSQL manual", pages)
    rows = list(csv.DictReader(open(os.path.join(here, "postgresql-15-questions.csv"))))
    questions = [row["question"] for row in rows]
    golds = [set(row["gold_pages"].split(";")) for row in rows]
    off_topic = [line.strip() for line in open(os.path.join(here, "postgresql-15-off-topic.txt")) if line.strip()]
    answers = ask_all(parley, data, bot, questions + off_topic)
    on, off = answers[:len(questions)], answers[len(questions):]
    key = lambda s: os.path.splitext(os.path.basename(s.get("url", "")))[0]
    ranks = []
    for answer, gold in zip(on, golds):
        documents = distinct_documents(answer, key)
        ranks.append(next((i + 1 for i, d in enumerate(documents) if d in gold), None))
    DUMP["postgresql-manual"] = (
        [{"confidence": a.get("confidence", 0), "mode": a.get("mode"), "rank": r, "answerable": True}
         for a, r in zip(on, ranks)] +
        [{"confidence": a.get("confidence", 0), "mode": a.get("mode"), "rank": None, "answerable": False}
         for a in off])
    if show_misses:
        for q, a, r in [(q, a, r) for q, a, r in zip(questions, on, ranks) if r != 1][:show_misses]:
            tops = [key(s) for s in a.get("sources", [])]
            print(f"  miss [postgresql-manual] {q!r} -> {a.get('mode')} {a.get('confidence', 0):.2f} top={tops}",
                  file=sys.stderr)
        for q, a in [(q, a) for q, a in zip(off_topic, off) if a.get("mode") != "fallback"][:show_misses]:
            print(f"  answered off-topic [postgresql-manual] {q!r} -> {a.get('confidence', 0):.2f} "
                  f"{a.get('text', '')[:80]!r}", file=sys.stderr)
    n = len(ranks)
    return {
        "questions": n,
        "off_topic": len(off),
        "hit@1": sum(1 for r in ranks if r == 1) / n,
        "hit@3": sum(1 for r in ranks if r and r <= 3) / n,
        "hit@5": sum(1 for r in ranks if r and r <= 5) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "answered_on_topic": sum(1 for a in on if a.get("mode") != "fallback") / n,
        "declined_off_topic": sum(1 for a in off if a.get("mode") == "fallback") / len(off),
    }


SETS = {"emanual-s10": emanual, "deepset-covid-faq": deepset, "covid-vaccine-faq": covid_vaccine,
        "covidqa-papers": covidqa_papers, "postgresql-manual": postgresql_manual}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser()
    parser.add_argument("--parley", default=os.path.join(repo, "build", "src", "app", "parley"))
    parser.add_argument("--shared", default=os.environ.get("PARLEY_SHARED_DIR", os.path.join(repo, "..", "shared")))
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--show-misses", type=int, default=0)
    parser.add_argument("--answer-threshold", type=float)
    parser.add_argument("--max-sources", type=int)
    parser.add_argument("--dump", help="write per-question confidence and gold rank to this file")
    parser.add_argument("--embedding-model", help="a BERT-family GGUF: hybrid retrieval")
    parser.add_argument("--postgres", action="store_true", help="the PostgreSQL store (a throw-away server)")
    args = parser.parse_args()
    global ANSWER_THRESHOLD, MAX_SOURCES, EMBEDDING_MODEL, POSTGRES_URL
    if args.postgres:
        if "PARLEY_EVAL_POSTGRES_URL" not in os.environ:
            # Again, inside a throw-away server's lifetime; its URL under a name of our own, since PARLEY_STORE_URL
            # would override each set's parley.toml.
            server = os.path.join(repo, "bench", "store", "with_postgres.sh")
            os.execv(server, [server, "sh", "-c", 'PARLEY_EVAL_POSTGRES_URL="$PARLEY_STORE_URL" '
                              'PARLEY_STORE_URL= exec "$0" "$@"', sys.executable, os.path.abspath(__file__),
                              *sys.argv[1:]])
        POSTGRES_URL = os.environ["PARLEY_EVAL_POSTGRES_URL"]
    EMBEDDING_MODEL = os.path.abspath(args.embedding_model) if args.embedding_model else None
    ANSWER_THRESHOLD = args.answer_threshold
    MAX_SOURCES = args.max_sources
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
    if args.dump:
        with open(args.dump, "w") as out:
            json.dump(DUMP, out)


if __name__ == "__main__":
    main()
