// The time of one run of a bot's test suite: CASES cases (default 50, the demo bot's own questions from
// src/demo/demo-questions.txt, cycled: the "none" ones expect a decline, the others an answer that mentions
// "Northwind"; the pass rate is not the point, the time is) on the demo bot, optionally padded to at least CHUNKS chunks with renamed copies of
// the demo's help centre (duplicate text: a 10k-chunk index to search, not 10k distinct passages). Each run asks
// every case through ChatService::answer, judges it and stores the results in one transaction, in a temporary
// SQLite store. Prints each of 5 runs and the median.
//
// Usage: parley_eval_bench [CASES] [CHUNKS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "demo/demo.h"
#include "evals/evals.h"
#include "ingest/ingest.h"
#include "support/temp_dir.h"

namespace {

using namespace parley;

int fail(const Error& error) {
  std::fprintf(stderr, "error: %s\n", error.message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int wanted_cases = argc > 1 ? std::atoi(argv[1]) : 50;
  const std::size_t wanted_chunks = argc > 2 ? static_cast<std::size_t>(std::atol(argv[2])) : 0;
  parley::testing::TempDir dir;
  auto opened = store::open_store({dir.file("parley.db")});
  if (!opened.ok()) return fail(opened.error());
  auto& db = **opened;
  std::string workspace;
  if (auto made = db.write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_workspace("Bench"));
        workspace = created.id;
        return {};
      });
      !made.ok()) {
    return fail(made.error());
  }
  const auto scope = store::Scope::workspace(workspace);
  auto demo_bot = demo::create_demo_bot(db, workspace);
  if (!demo_bot.ok()) return fail(demo_bot.error());
  std::size_t chunks = demo_bot->chunks;
  for (int copy = 1; chunks < wanted_chunks; ++copy) {
    std::vector<ingest::FileUpload> uploads;
    for (const auto& file : demo::knowledge_files()) {
      uploads.push_back({demo_bot->bot_id, "copy" + std::to_string(copy) + "-" + std::string(file.name), "", file.bytes});
    }
    auto outcomes = ingest::add_files(db, scope, uploads);
    if (!outcomes.ok()) return fail(outcomes.error());
    for (auto& outcome : *outcomes) {
      if (!outcome.ok()) return fail(outcome.error());
      chunks += outcome->chunk_count;
    }
  }

  // What the index holds (the ingestion report's count could include chunks it did not store).
  std::size_t stored = 0;
  if (auto counted = db.read(scope, [&](store::ReadTx& tx) {
        return tx.scan_chunks(demo_bot->bot_id, [&](const store::Chunk&) { ++stored; });
      });
      !counted.ok()) {
    return fail(counted.error());
  }

  std::vector<std::pair<std::string, std::string>> questions;  // kind, text
  std::ifstream in(std::string(PARLEY_SOURCE_DIR) + "/src/demo/demo-questions.txt");
  for (std::string line; std::getline(in, line);) {
    const auto bar = line.find('|');
    if (!line.empty() && line[0] != '#' && bar != std::string::npos) questions.emplace_back(line.substr(0, bar), line.substr(bar + 1));
  }
  if (questions.empty()) return fail({ErrorCode::not_found, "no questions in src/demo/demo-questions.txt"});
  if (auto added = db.write(scope, [&](store::WriteTx& tx) -> Status {
        for (int i = 0; i < wanted_cases; ++i) {
          const auto& [kind, text] = questions[static_cast<std::size_t>(i) % questions.size()];
          evals::NewCase wanted{text, "", kind == "none" ? "" : "northwind", kind == "none"};
          PARLEY_TRY(evals::add_case(tx, demo_bot->bot_id, wanted));
        }
        return {};
      });
      !added.ok()) {
    return fail(added.error());
  }

  const search::Retriever retriever;
  const chat::ChatService chat(db, retriever);
  std::printf("bot: %zu chunks stored (%zu ingested), %d cases\n", stored, chunks, wanted_cases);
  std::vector<double> times;
  for (int run = 0; run < 5; ++run) {
    const auto started = std::chrono::steady_clock::now();
    auto result = evals::run_suite(db, chat, scope, demo_bot->bot_id);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (!result.ok()) return fail(result.error());
    times.push_back(ms);
    std::printf("run %d: %.1f ms (%.2f ms per case), %d passed, %d failed\n", run + 1, ms, ms / wanted_cases,
                result->passed, result->failed);
  }
  std::sort(times.begin(), times.end());
  std::printf("median: %.1f ms for %d cases (%.2f ms per case)\n", times[2], wanted_cases, times[2] / wanted_cases);
  return 0;
}
