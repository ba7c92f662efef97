// Retrieval over one bot's knowledge: several BM25 rankings of the bot's chunks (all fields with field weights, and
// curated questions alone), fused by reciprocal rank, then re-scored with features that are shares in 0..1 (how
// much of the question a chunk covers, how closely its title or curated question matches the question, whether
// the question's phrases occur in it). These shares also tell the answer composer how strongly the best chunk
// supports an answer at all. Chunks with the same text (one answer filed under several questions, a page
// published twice) are folded into the best-scoring one.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "search/scoring.h"
#include "search/semantic.h"
#include "store/store.h"

namespace parley::search {

struct Candidate {
  store::Chunk chunk;
  double fused = 0;        // reciprocal-rank fusion of the rankings that found it
  double coverage = 0;     // IDF-weighted share of the question's terms present anywhere in the chunk
  double title_match = 0;  // similarity of the question to the chunk's title: the curated question of a Q&A pair,
                           // or the document title and section heading of a passage (harmonic mean of both ways)
  double phrase = 0;       // share of the question's adjacent term pairs found adjacent in the chunk
  double score = 0;        // how well the chunk's words answer the question: the answer's confidence
  bool same_form = false;  // a curated question asking for the same kind of answer (question_form)
  double similarity = 0;   // hybrid retrieval: cosine similarity of the chunk's vector to the question's (0: none)
  // The chunk text's sentences, analysed once while the chunk stays prepared (null for a candidate made elsewhere).
  std::shared_ptr<const ChunkSentences> sentences;
};

struct SearchOptions {
  int candidates_per_ranking = 40;
  int rescored = 16;  // the best fused candidates that are read and re-scored
  int limit = 8;
  int semantic_candidates = 16;  // hybrid retrieval: the chunks nearest the question's vector, re-scored too
};

struct SearchResult {
  std::string question;              // as asked, for the answer's checks of its specifics (numbers, names)
  std::vector<QueryTerm> terms;      // content terms of the question (stop words removed)
  std::vector<Candidate> candidates; // best first (by score, then form), at most `limit`, no two with the same text
  // IDF-weighted share of the question made of words the bot's knowledge never uses, not even as a synonym, a
  // compound or a misspelling that a candidate matches ("unicycles" asked of a bike shop): what the question is
  // about is then most likely not in the knowledge, however well its other words match.
  double unknown_share = 0;
};

// Thread-safe; keeps per-bot caches (term statistics, prepared candidates) that are dropped when the bot's knowledge
// changes. With a semantic ranker (hybrid retrieval), the chunks nearest the question's vector join the re-scored
// candidates, and the final order fuses the lexical order with the semantic one by reciprocal rank (weighted by the
// bot's settings.semantic_weight, default 1; 0 turns it off). Scores, and so the answer's confidence, stay lexical.
class Retriever {
 public:
  explicit Retriever(std::shared_ptr<const SemanticRanker> semantic = nullptr);
  ~Retriever();
  Retriever(const Retriever&) = delete;
  Retriever& operator=(const Retriever&) = delete;

  Result<SearchResult> search(store::ReadTx& tx, const store::Bot& bot, std::string_view question,
                              const SearchOptions& options = {}) const;

 private:
  class StatsCache;
  class CandidateCache;
  std::unique_ptr<StatsCache> stats_;
  std::unique_ptr<CandidateCache> candidates_;
  std::unique_ptr<class BotSynonymCache> synonyms_;
  std::shared_ptr<const SemanticRanker> semantic_;
};

// The language a bot's content is analysed in (settings.language, default "en").
std::string bot_language(const store::Bot& bot);
// The weight of the semantic ranking in hybrid retrieval (settings.semantic_weight, default 1; 0: lexical only).
double semantic_weight(const store::Bot& bot);

}  // namespace parley::search
