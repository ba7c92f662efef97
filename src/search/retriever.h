// Retrieval over one bot's knowledge: several rankings of the bot's chunks (all fields with BM25 field weights,
// and curated questions alone), fused by reciprocal rank, then re-scored with query-coverage features that also
// give each candidate a calibrated match strength for deciding whether the bot knows the answer at all.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace parley::search {

// One content term of the question with its weight in this bot's collection.
struct QueryTerm {
  std::string term;
  double idf = 0;
  std::int64_t document_frequency = 0;
};

struct Candidate {
  store::Chunk chunk;
  double fused = 0;          // reciprocal-rank fusion of the rankings that found it
  double coverage = 0;       // IDF-weighted share of the question's terms present in the chunk (0..1)
  double question_match = 0; // Q&A pairs: similarity of the user question to the curated question (0..1)
  double score = 0;          // final ranking score
};

struct SearchOptions {
  int candidates_per_ranking = 40;
  int limit = 8;
};

struct SearchResult {
  std::vector<QueryTerm> terms;      // content terms of the question (stop words removed)
  std::vector<Candidate> candidates; // best first, at most `limit`
};

// Thread-safe; keeps a per-bot cache of term statistics that is dropped when the bot's knowledge changes.
class Retriever {
 public:
  Retriever();
  ~Retriever();
  Retriever(const Retriever&) = delete;
  Retriever& operator=(const Retriever&) = delete;

  Result<SearchResult> search(store::ReadTx& tx, const store::Bot& bot, std::string_view question,
                              const SearchOptions& options = {}) const;

 private:
  class StatsCache;
  std::unique_ptr<StatsCache> stats_;
};

// The language a bot's content is analysed in (settings.language, default "en").
std::string bot_language(const store::Bot& bot);

}  // namespace parley::search
