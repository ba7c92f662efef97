// Many bots in one store: creates N bots (default 10,000), each with a small document, in one workspace of a
// fresh store, and times each bot's creation (the create_bot transaction alone) as the store grows; then times a
// chat bot's retrieval with the store idle and while another thread keeps creating and deleting bots with content,
// and prints both p99s and their ratio (target: creating a bot <= 5 ms at 10,000 bots, retrieval p99 under churn
// <= 1.2x idle).
//
// Usage: parley_many_bots [BOTS] [QUESTIONS]                                   (SQLite, a temporary file)
//        bench/store/with_postgres.sh build/bench/store/parley_many_bots [BOTS] [QUESTIONS]   (PostgreSQL)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/support/bench_store.h"
#include "bench/support/stats.h"
#include "ingest/ingest.h"
#include "search/retriever.h"
#include "store/store.h"

namespace {

using namespace parley;
using Clock = std::chrono::steady_clock;

double millis_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

using bench::percentile;

// Made-up words with a skewed frequency, so that documents share common words and differ in rare ones.
class Words {
 public:
  explicit Words(std::uint32_t seed) : random_(seed) {
    static const char* const kSyllables[] = {"ka", "lo", "mi", "ter", "van", "dor", "sil", "pra", "nex", "qu",
                                              "bri", "zen", "tal", "mor", "fex", "ul", "gra", "pen", "rox", "ie"};
    std::uniform_int_distribution<int> syllable(0, 19), length(2, 3);
    for (int i = 0; i < 5'000; ++i) {
      std::string word;
      for (int n = length(random_); n > 0; --n) word += kSyllables[syllable(random_)];
      vocabulary_.push_back(std::move(word));
    }
  }
  std::string text(int count) {
    std::string out;
    for (int i = 0; i < count; ++i) {
      // Squaring a uniform draw skews it toward the head of the vocabulary.
      const double u = std::uniform_real_distribution<double>(0, 1)(random_);
      if (!out.empty()) out += ' ';
      out += vocabulary_[static_cast<std::size_t>(u * u * static_cast<double>(vocabulary_.size() - 1))];
    }
    return out;
  }
  std::mt19937& random() { return random_; }

 private:
  std::mt19937 random_;
  std::vector<std::string> vocabulary_;
};

std::vector<store::NewChunk> chunks_of(Words& words, int count) {
  std::vector<store::NewChunk> chunks;
  for (int i = 0; i < count; ++i) {
    ingest::DraftChunk draft;
    draft.title = words.text(4);
    draft.text = words.text(100);
    chunks.push_back(ingest::index_chunk(draft, i, "en"));
  }
  return chunks;
}

// Creates a bot with one document of `chunk_count` chunks; returns the bot's id and the creation's milliseconds.
Result<std::pair<std::string, double>> create_bot_with_document(store::Store& db, const store::Scope& scope,
                                                                const std::string& name,
                                                                const std::vector<store::NewChunk>& chunks) {
  std::string bot_id;
  const auto started = Clock::now();
  PARLEY_TRY(db.write(scope, [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot(name, store::Json{{"language", "en"}}));
    bot_id = bot.id;
    return {};
  }));
  const double create_ms = millis_since(started);
  PARLEY_TRY(db.write(scope, [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto source, tx.create_source(bot_id, store::SourceKind::file, "page.md"));
    store::Document document;
    document.bot_id = bot_id;
    document.source_id = source.id;
    document.uri = "page.md";
    document.title = name;
    PARLEY_TRY(tx.put_document(document, chunks));
    return {};
  }));
  return std::pair{bot_id, create_ms};
}

using bench::fail;

}  // namespace

int main(int argc, char** argv) {
  const int bot_total = argc > 1 ? std::max(10, std::atoi(argv[1])) : 10'000;
  const int question_total = argc > 2 ? std::max(10, std::atoi(argv[2])) : 2'000;

  // PARLEY_STORE_URL=postgresql://...: the PostgreSQL store (bench/store/with_postgres.sh starts a server).
  bench::BenchStore bench_store("parley-bots-bench");
  if (const Status opened = bench_store.open(); !opened.ok()) return fail(opened.error());
  auto& db = bench_store.store();
  std::string workspace_id;
  if (auto made = db.write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("bench"));
        workspace_id = workspace.id;
        return {};
      });
      !made.ok()) {
    return fail(made.error());
  }
  const auto scope = store::Scope::workspace(workspace_id);
  Words words(20'261'207);

  // The chat bot: 500 chunks; questions take 3 words of its chunks.
  const auto chat_chunks = chunks_of(words, 500);
  auto chat = create_bot_with_document(db, scope, "chat", chat_chunks);
  if (!chat.ok()) return fail(chat.error());
  store::Bot chat_bot;
  if (auto read = db.read(scope, [&](store::ReadTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(auto found, tx.bot(chat->first));
        chat_bot = *found;
        return {};
      });
      !read.ok()) {
    return fail(read.error());
  }
  std::vector<std::string> questions;
  for (int i = 0; i < question_total; ++i) {
    const auto& body = chat_chunks[static_cast<std::size_t>(i * 7919) % chat_chunks.size()].chunk.text;
    std::vector<std::string> terms;
    std::size_t start = 0;
    for (std::size_t end; (end = body.find(' ', start)) != std::string::npos; start = end + 1) terms.push_back(body.substr(start, end - start));
    std::string question = "How do I";
    for (int n = 0; n < 3; ++n) question += " " + terms[std::uniform_int_distribution<std::size_t>(0, terms.size() - 1)(words.random())];
    questions.push_back(question + "?");
  }

  // N bots, each with a 3-chunk document; creation timed per bot.
  const auto small = chunks_of(words, 3);
  std::vector<double> first_hundred, last_thousand;
  const auto fill_started = Clock::now();
  for (int i = 0; i < bot_total; ++i) {
    auto made = create_bot_with_document(db, scope, "bot " + std::to_string(i), small);
    if (!made.ok()) return fail(made.error());
    if (i < 100) first_hundred.push_back(made->second);
    if (i >= bot_total - 1000) last_thousand.push_back(made->second);
  }
  const double fill_seconds = millis_since(fill_started) / 1000;

  const search::Retriever retriever;
  const auto time_questions = [&]() -> Result<std::vector<double>> {
    std::vector<double> times;
    for (const auto& question : questions) {
      const auto started = Clock::now();
      PARLEY_TRY(db.read(scope, [&](store::ReadTx& tx) -> Status {
        PARLEY_TRY(retriever.search(tx, chat_bot, question));
        return {};
      }));
      times.push_back(millis_since(started));
    }
    return times;
  };
  if (auto warm = time_questions(); !warm.ok()) return fail(warm.error());
  auto idle = time_questions();
  if (!idle.ok()) return fail(idle.error());

  // Churn: another thread creates a bot with content and deletes it, again and again, while the questions run.
  std::atomic<bool> stop{false};
  std::atomic<int> churned{0};
  std::vector<double> churn_create;
  std::thread churn([&] {
    Words churn_words(7);
    const auto content = chunks_of(churn_words, 3);
    while (!stop) {
      auto made = create_bot_with_document(db, scope, "churn", content);
      if (!made.ok()) break;
      churn_create.push_back(made->second);
      if (!db.write(scope, [&](store::WriteTx& tx) { return tx.delete_bot(made->first); }).ok()) break;
      ++churned;
    }
  });
  auto busy = time_questions();
  stop = true;
  churn.join();
  if (!busy.ok()) return fail(busy.error());

  const double idle_p99 = percentile(*idle, 0.99), busy_p99 = percentile(*busy, 0.99);
  std::printf("store: %s\n", bench::BenchStore::backend());
  std::printf("%d bots (+1 chat bot of 500 chunks) created with their documents in %.1f s\n", bot_total, fill_seconds);
  std::printf("create a bot: first 100   p50 %6.2f ms  p99 %6.2f ms\n", percentile(first_hundred, 0.5),
              percentile(first_hundred, 0.99));
  std::printf("create a bot: last 1000   p50 %6.2f ms  p99 %6.2f ms\n", percentile(last_thousand, 0.5),
              percentile(last_thousand, 0.99));
  std::printf("create a bot: under churn p50 %6.2f ms  p99 %6.2f ms  (%d bots created and deleted)\n",
              percentile(churn_create, 0.5), percentile(churn_create, 0.99), churned.load());
  std::printf("retrieval (%d questions): idle p50 %6.3f ms p99 %6.3f ms; while bots are created and deleted "
              "p50 %6.3f ms p99 %6.3f ms; p99 ratio %.2f\n",
              question_total, percentile(*idle, 0.5), idle_p99, percentile(*busy, 0.5), busy_p99, busy_p99 / idle_p99);
  return 0;
}
