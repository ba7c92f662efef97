// Retrieval latency on a large bot: builds a bot of N chunks (default 100,000) in a temporary SQLite store and
// times Retriever::search, and search + compose_answer, over a few thousand questions; prints p50/p90/p99.
//
// Usage: parley_search_latency [CHUNKS] [QUESTIONS] [EMBEDDING_MODEL]
//        bench/store/with_postgres.sh parley_search_latency [CHUNKS] [QUESTIONS]   (the PostgreSQL store)
//
// With an embedding model (a BERT-family GGUF, e.g. the bge-small shape from `parley model synth --arch bert`), also
// hybrid retrieval: every chunk gets a random unit vector under the model's hash (the speed of a search does not
// depend on the values, and embedding 100,000 passages would take over an hour), the server's semantic index loads
// them (building its graph above the exact-search limit), and each question is embedded by the model: once as
// asked for the first time, once with its vector cached.
//
// The text is synthetic but shaped like real help content: words drawn with a Zipf distribution whose head is the
// vocabulary of the demo help centre (real English in its real frequency order) and whose tail is made-up words
// (product names, part numbers), in sentences of 8-18 words, 80-140 words per passage, one chunk in ten a Q&A
// pair. Questions take 2-4 words of a random chunk in a question frame ("How do I ... ?"), and one in five mixes
// in words of no chunk, as visitors do. Two figures: with the per-bot term-statistics cache warm (steady state),
// and cold (a new Retriever per question: every term looked up in the index).
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/support/bench_store.h"
#include "chat/answer.h"
#include "demo/demo.h"
#include "ingest/ingest.h"
#include "search/retriever.h"
#include "semantic/semantic_index.h"
#include "store/store.h"

namespace {

using namespace parley;

std::vector<std::string> demo_vocabulary_by_frequency() {
  std::map<std::string, int> counts;
  for (const auto& file : demo::knowledge_files()) {
    std::string word;
    for (char c : file.bytes) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        word += static_cast<char>(c | 0x20);
      } else {
        if (word.size() > 1) ++counts[word];
        word.clear();
      }
    }
  }
  std::vector<std::pair<int, std::string>> sorted;
  for (auto& [word, count] : counts) sorted.emplace_back(-count, word);
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> words;
  for (auto& [count, word] : sorted) words.push_back(std::move(word));
  return words;
}

class TextGenerator {
 public:
  explicit TextGenerator(std::uint32_t seed) : random_(seed) {
    vocabulary_ = demo_vocabulary_by_frequency();
    static const char* const kSyllables[] = {"ka", "lo", "mi", "ter", "van", "dor", "sil", "pra", "nex", "qu",
                                              "bri", "zen", "tal", "mor", "fex", "ul", "gra", "pen", "rox", "ie"};
    std::uniform_int_distribution<int> syllable(0, 19), length(2, 4);
    for (int i = 0; i < 40'000; ++i) {
      std::string word;
      for (int n = length(random_); n > 0; --n) word += kSyllables[syllable(random_)];
      if (i % 7 == 0) word += std::to_string(i % 100);  // model and part numbers
      vocabulary_.push_back(std::move(word));
    }
    // Zipf (s = 1) over the vocabulary ranks.
    double total = 0;
    for (std::size_t rank = 1; rank <= vocabulary_.size(); ++rank) {
      total += 1.0 / static_cast<double>(rank);
      cumulative_.push_back(total);
    }
  }

  const std::string& word() {
    std::uniform_real_distribution<double> uniform(0, cumulative_.back());
    const auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), uniform(random_));
    return vocabulary_[static_cast<std::size_t>(it - cumulative_.begin())];
  }

  std::string words(int low, int high) {
    std::string out;
    for (int n = std::uniform_int_distribution<int>(low, high)(random_); n > 0; --n) {
      if (!out.empty()) out += ' ';
      out += word();
    }
    return out;
  }

  std::string paragraph(int low_words, int high_words) {
    std::string out;
    int remaining = std::uniform_int_distribution<int>(low_words, high_words)(random_);
    while (remaining > 0) {
      const int length = std::min(remaining, std::uniform_int_distribution<int>(8, 18)(random_));
      std::string sentence = words(length, length);
      sentence[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(sentence[0])));
      if (!out.empty()) out += ' ';
      out += sentence + ".";
      remaining -= length;
    }
    return out;
  }

  std::mt19937& random() { return random_; }

 private:
  std::mt19937 random_;
  std::vector<std::string> vocabulary_;
  std::vector<double> cumulative_;
};

struct Percentiles {
  double p50, p90, p99, max;
};

// CPU time of this thread: unlike wall time, not inflated when other processes share the cores.
double thread_cpu_micros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

struct Timings {
  Percentiles wall, cpu;
};

Percentiles percentiles(std::vector<double> micros) {
  std::sort(micros.begin(), micros.end());
  const auto at = [&](double q) { return micros[std::min(micros.size() - 1, static_cast<std::size_t>(q * static_cast<double>(micros.size())))]; };
  return {at(0.50), at(0.90), at(0.99), micros.back()};
}

void print(const char* what, const Timings& timings) {
  for (const auto& [clock, p] : {std::pair{"wall", timings.wall}, std::pair{"cpu ", timings.cpu}}) {
    std::printf("%-40s %s  p50 %7.3f ms  p90 %7.3f ms  p99 %7.3f ms  max %7.3f ms\n", what, clock, p.p50 / 1000,
                p.p90 / 1000, p.p99 / 1000, p.max / 1000);
  }
}

using bench::fail;

}  // namespace

int main(int argc, char** argv) {
  const int chunk_total = argc > 1 ? std::max(100, std::atoi(argv[1])) : 100'000;
  const int question_total = argc > 2 ? std::max(10, std::atoi(argv[2])) : 2'000;
  constexpr int kChunksPerDocument = 100;

  // PARLEY_STORE_URL=postgresql://...: the PostgreSQL store (bench/store/with_postgres.sh starts a server).
  bench::BenchStore bench_store("parley-search-bench");
  if (const Status opened = bench_store.open(); !opened.ok()) return fail(opened.error());
  auto& db = bench_store.store();
  std::string workspace_id, bot_id, source_id;
  auto created = db.write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("bench"));
    workspace_id = workspace.id;
    return {};
  });
  if (!created.ok()) return fail(created.error());
  const auto scope = store::Scope::workspace(workspace_id);
  created = db.write(scope, [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot("bench", store::Json{{"language", "en"}}));
    bot_id = bot.id;
    PARLEY_ASSIGN_OR_RETURN(auto source, tx.create_source(bot_id, store::SourceKind::file, "generated"));
    source_id = source.id;
    return {};
  });
  if (!created.ok()) return fail(created.error());

  TextGenerator text(20'240'601);
  std::vector<std::string> bodies;  // kept to draw questions from
  const auto build_started = std::chrono::steady_clock::now();
  for (int first = 0; first < chunk_total; first += kChunksPerDocument) {
    store::Document document;
    document.bot_id = bot_id;
    document.source_id = source_id;
    document.uri = "page-" + std::to_string(first / kChunksPerDocument) + ".html";
    document.title = text.words(3, 6);
    std::vector<store::NewChunk> chunks;
    std::string heading;
    for (int i = 0; i < kChunksPerDocument && first + i < chunk_total; ++i) {
      ingest::DraftChunk draft;
      if (i % 10 == 9) {
        draft.kind = store::ChunkKind::qa;
        draft.title = "How do I " + text.words(3, 7) + "?";
        draft.text = text.paragraph(30, 60);
      } else {
        if (i % 4 == 0) heading = text.words(2, 5);
        draft.title = document.title;
        draft.heading_path = heading;
        draft.text = text.paragraph(80, 140);
      }
      bodies.push_back(draft.text);
      chunks.push_back(ingest::index_chunk(draft, i, "en"));
    }
    const auto stored = db.write(scope, [&](store::WriteTx& tx) -> Status {
      PARLEY_TRY(tx.put_document(document, chunks));
      return {};
    });
    if (!stored.ok()) return fail(stored.error());
  }
  const double build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - build_started).count();

  std::vector<std::string> questions;
  static const char* const kFrames[][2] = {{"How do I ", "?"}, {"What is the ", "?"}, {"Can I ", " with my order?"},
                                           {"Where can I find ", "?"}, {"Why does my ", " not work?"}};
  auto& random = text.random();
  for (int i = 0; i < question_total; ++i) {
    const std::string& body = bodies[std::uniform_int_distribution<std::size_t>(0, bodies.size() - 1)(random)];
    std::vector<std::string> words;
    std::string word;
    for (char c : body) {
      if (c == ' ' || c == '.') {
        if (word.size() > 3) words.push_back(word);
        word.clear();
      } else {
        word += c;
      }
    }
    std::string middle;
    for (int n = std::uniform_int_distribution<int>(2, 4)(random); n > 0 && !words.empty(); --n) {
      if (!middle.empty()) middle += ' ';
      middle += words[std::uniform_int_distribution<std::size_t>(0, words.size() - 1)(random)];
    }
    if (i % 5 == 0) middle += " " + text.words(1, 2);
    const auto& frame = kFrames[i % 5];
    questions.push_back(frame[0] + middle + frame[1]);
  }

  store::Bot bot;
  created = db.read(scope, [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto found, tx.bot(bot_id));
    bot = *found;
    return {};
  });
  if (!created.ok()) return fail(created.error());

  // The bad input of issue 14, each asked many times: 4,000 characters, punctuation only, emoji only, another script.
  std::vector<std::string> odd_questions;
  {
    std::string long_question = "How do I " + questions.front() + " ";
    while (long_question.size() < 4000) long_question += "Please tell me everything about this. ";
    long_question.resize(4000);
    const std::vector<std::string> odd = {long_question, "?!?!... ,,, ;;; !!!",
                                          "\xF0\x9F\x9A\xB2\xF0\x9F\x94\x8B\xF0\x9F\xA4\x94",
                                          "\xE8\x87\xAA\xE8\xA1\x8C\xE8\xBD\xA6\xE5\x8F\xAF\xE4\xBB\xA5\xE9\x80\x80\xE8\xB4\xA7\xE5\x90\x97"};
    for (int round = 0; round < 100; ++round) odd_questions.insert(odd_questions.end(), odd.begin(), odd.end());
  }

  const chat::BotSettings settings;
  const auto time_questions = [&](const search::Retriever* shared, bool compose,
                                  const std::vector<std::string>& asked) -> Result<Timings> {
    std::vector<double> micros, cpu_micros;
    micros.reserve(asked.size());
    cpu_micros.reserve(asked.size());
    for (const auto& question : asked) {
      const search::Retriever fresh;
      const search::Retriever& retriever = shared ? *shared : fresh;
      const auto started = std::chrono::steady_clock::now();
      const double cpu_started = thread_cpu_micros();
      search::SearchResult result;
      PARLEY_TRY(db.read(scope, [&](store::ReadTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(result, retriever.search(tx, bot, question));
        return {};
      }));
      if (compose) (void)chat::compose_answer(result, settings);
      micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count());
      cpu_micros.push_back(thread_cpu_micros() - cpu_started);
    }
    return Timings{percentiles(std::move(micros)), percentiles(std::move(cpu_micros))};
  };

  const search::Retriever warm;
  if (auto warmup = time_questions(&warm, false, questions); !warmup.ok()) return fail(warmup.error());
  auto cold = time_questions(nullptr, false, questions);
  if (!cold.ok()) return fail(cold.error());
  auto steady = time_questions(&warm, false, questions);
  if (!steady.ok()) return fail(steady.error());
  auto answered = time_questions(&warm, true, questions);
  if (!answered.ok()) return fail(answered.error());
  auto odd_answered = time_questions(&warm, true, odd_questions);
  if (!odd_answered.ok()) return fail(odd_answered.error());

  std::printf("store: %s\n", bench::BenchStore::backend());
  std::printf("bot: %d chunks in %d documents, built in %.1f s; %d questions\n", chunk_total,
              (chunk_total + kChunksPerDocument - 1) / kChunksPerDocument, build_seconds, question_total);
  print("retrieval, term statistics cached", *steady);
  print("retrieval, cold (every term looked up)", *cold);
  print("retrieval + answer composition, cached", *answered);
  print("bad input (4,000 chars, punctuation, emoji, Chinese) + composition", *odd_answered);
  if (argc <= 3) return 0;

  auto embedder = semantic::Embedder::load(argv[3], {.threads = 2});
  if (!embedder.ok()) return fail(embedder.error());
  const auto& model = (*embedder)->model();
  std::vector<std::int64_t> chunk_ids;
  created = db.read(scope, [&](store::ReadTx& tx) {
    return tx.scan_chunks(bot_id, [&](const store::Chunk& chunk) { chunk_ids.push_back(chunk.id); });
  });
  if (!created.ok()) return fail(created.error());
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (std::size_t first = 0; first < chunk_ids.size(); first += 1000) {
    std::vector<store::ChunkVector> rows;
    for (std::size_t i = first; i < std::min(chunk_ids.size(), first + 1000); ++i) {
      std::vector<float> values(static_cast<std::size_t>((*embedder)->dimensions()));
      double norm = 0;
      for (auto& x : values) {
        x = normal(random);
        norm += double(x) * x;
      }
      for (auto& x : values) x = static_cast<float>(x / std::sqrt(norm));
      rows.push_back({chunk_ids[i], std::move(values)});
    }
    created = db.write(scope, [&](store::WriteTx& tx) { return tx.put_chunk_vectors(bot_id, model.name, model.hash, rows); });
    if (!created.ok()) return fail(created.error());
  }
  const auto index = std::make_shared<semantic::SemanticIndex>(db, *embedder);
  const auto load_started = std::chrono::steady_clock::now();
  for (;;) {  // the first question asks the maintainer to load the bot; then wait for it (and its graph)
    created = db.read(scope, [&](store::ReadTx& tx) -> Status {
      index->rank(tx, bot, "warm up", 1);
      return {};
    });
    const auto state = index->bot_state(bot_id);
    if (state.status == "ready" && state.vectors == chunk_ids.size() &&
        (state.vectors <= semantic::VectorIndexOptions{}.exact_limit || state.approximate)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_started).count();
  const search::Retriever hybrid(index);
  auto first_time = time_questions(&hybrid, true, questions);
  if (!first_time.ok()) return fail(first_time.error());
  auto repeated = time_questions(&hybrid, true, questions);
  if (!repeated.ok()) return fail(repeated.error());
  std::printf("hybrid: %s (%d dimensions), %zu vectors loaded%s in %.1f s\n", model.name.c_str(),
              (*embedder)->dimensions(), chunk_ids.size(), index->bot_state(bot_id).approximate ? " and graph built" : "",
              load_seconds);
  print("hybrid + answer, question embedded", *first_time);
  print("hybrid + answer, question vector cached", *repeated);
  return 0;
}
