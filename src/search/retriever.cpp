#include "search/retriever.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "search/bot_synonyms.h"
#include "search/fusion.h"
#include "store/chunk_metadata.h"
#include "text/analyzer.h"
#include "text/synonyms.h"

namespace parley::search {
namespace {

constexpr std::size_t kMaxCachedTermsPerBot = 50'000;
// Candidates kept ready for re-scoring, over all bots: up to ~7 KB each (text, metadata and a string per indexed
// term), so at most ~30 MB.
constexpr std::size_t kMaxCachedCandidates = 4'096;
// At most this many postings (term occurrences in chunks, summed over the matched terms) per full-text ranking,
// and at most this many chunks scored: about 1 ms of FTS5 work. Bots of a few hundred chunks rarely reach it.
constexpr std::int64_t kMatchBudget = 800;
// A synonym is weaker evidence than the word itself: senses differ, and the thesaurus is general-purpose.
constexpr double kSynonymCredit = 0.5;
// One the bot's owner declared (settings.synonyms) is meant for this content, but still a little less than the
// visitor's own word: where a chunk uses that word, it goes first.
constexpr double kOwnerSynonymCredit = 0.9;
// The final score mixes shares in 0..1: how well the title (or curated question) matches the question, how much of
// the question the whole chunk covers, whether its phrases occur, and the fused BM25 rank. The title weighs most
// because a title states what a chunk is about; the rank keeps BM25's term-frequency and length evidence.
constexpr double kTitleWeight = 0.40;
constexpr double kCoverageWeight = 0.30;
constexpr double kPhraseWeight = 0.10;
constexpr double kRankWeight = 0.20;
// Ranking, not confidence: a curated question asking for the same kind of answer as the visitor's goes before a
// slightly better-worded one asking for another kind. Small, since the opening words are weak evidence of topic.
constexpr double kSameFormBonus = 0.05;
// A menu, index or table of contents (store::is_navigation) names the question's words without answering it.
constexpr double kNavigationFactor = 0.5;

double idf(std::int64_t chunk_count, std::int64_t document_frequency) {
  const double n = static_cast<double>(chunk_count);
  const double df = static_cast<double>(document_frequency);
  return std::log(1.0 + (n - df + 0.5) / (df + 0.5));
}

// Two words written next to each other, joined by at most one space or hyphen ("corona virus", "e-bike").
bool adjacent(std::string_view question, const text::Term& left, const text::Term& right) {
  if (right.begin < left.end || right.begin - left.end > 1) return false;
  return right.begin == left.end || question[left.end] == ' ' || question[left.end] == '-';
}

struct AnalysedQuestion {
  std::vector<QueryTerm> terms;  // distinct stems, in the order first written
  // Compounds of adjacent words, as (first term, second term, stem of the joined word).
  struct Compound {
    std::size_t left, right;
    std::string stem;
  };
  std::vector<Compound> compounds;
};

AnalysedQuestion analyse_question(const text::Analyzer& analyzer, std::string_view question) {
  AnalysedQuestion out;
  const auto words = analyzer.analyze(question, {.keep_stop_words = false, .stem = false});
  std::vector<std::size_t> term_of_word;
  for (const auto& word : words) {
    std::string stem = analyzer.stem(word.text);
    std::size_t index = 0;
    while (index < out.terms.size() && out.terms[index].term != stem) ++index;
    if (index == out.terms.size() && out.terms.size() < kMaxQueryTerms) {
      QueryTerm term;
      term.term = std::move(stem);
      term.word = word.text;
      term.derived = word.derived;
      out.terms.push_back(std::move(term));
    } else if (index < out.terms.size() && !word.derived) {
      out.terms[index].derived = false;
    }
    term_of_word.push_back(index);
  }
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i].derived || words[i + 1].derived) continue;
    if (term_of_word[i] >= out.terms.size() || term_of_word[i + 1] >= out.terms.size()) continue;
    if (term_of_word[i] == term_of_word[i + 1] || !adjacent(question, words[i], words[i + 1])) continue;
    out.compounds.push_back({term_of_word[i], term_of_word[i + 1], analyzer.stem(words[i].text + words[i + 1].text)});
  }
  return out;
}

// The key text of a chunk, which names what the chunk is about: the curated question of a Q&A pair; the document
// title and the innermost section heading of a passage.
std::string key_text(const store::Chunk& chunk) {
  if (chunk.kind == store::ChunkKind::qa) return chunk.title;
  const auto separator = chunk.heading_path.rfind(" > ");
  const std::string_view innermost =
      separator == std::string::npos ? std::string_view(chunk.heading_path)
                                     : std::string_view(chunk.heading_path).substr(separator + 3);
  return chunk.title + "\n" + std::string(innermost);
}

// Text compared to find duplicates: case-folded with runs of white space made one space.
std::string duplicate_key(std::string_view text) {
  std::string key;
  key.reserve(text.size());
  bool space = false;
  for (char c : text::fold(text)) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !key.empty();
      continue;
    }
    if (space) key += ' ';
    space = false;
    key += c;
  }
  return key;
}

// The final order of hybrid retrieval: the lexical order (re-scored, best first) and the semantic one fused by
// reciprocal rank; ties keep the lexical order.
template <typename Scored>
void fuse_with_semantic(std::vector<Scored>& scored, const std::vector<store::ChunkHit>& semantic_hits, double weight) {
  std::vector<std::int64_t> lexical_order, semantic_order;
  for (const auto& entry : scored) lexical_order.push_back(entry.second->chunk.id);
  for (const auto& hit : semantic_hits) semantic_order.push_back(hit.chunk_id);
  const Ranking rankings[] = {{lexical_order, 1.0}, {semantic_order, weight}};
  const auto final_rank = fuse_rankings(rankings);
  std::stable_sort(scored.begin(), scored.end(), [&](const auto& a, const auto& b) {
    return final_rank.at(a.second->chunk.id) > final_rank.at(b.second->chunk.id);
  });
}

}  // namespace

std::string bot_language(const store::Bot& bot) {
  const auto it = bot.settings.find("language");
  return it != bot.settings.end() && it->is_string() && !it->get<std::string>().empty() ? it->get<std::string>() : "en";
}

double semantic_weight(const store::Bot& bot) {
  const auto it = bot.settings.find("semantic_weight");
  return it != bot.settings.end() && it->is_number() && it->get<double>() >= 0 ? it->get<double>() : 1.0;
}

// Document frequencies per bot, valid for one knowledge version.
class Retriever::StatsCache {
 public:
  Result<std::vector<std::int64_t>> frequencies(store::ReadTx& tx, const store::Bot& bot,
                                                const std::vector<std::string>& terms, std::int64_t& chunk_count) {
    std::vector<std::string> missing;
    {
      std::lock_guard lock(mutex_);
      auto& entry = entries_[bot.id];
      if (entry.version != bot.knowledge_version || entry.frequency.size() > kMaxCachedTermsPerBot) {
        entry = Entry{bot.knowledge_version, -1, {}};
      }
      for (const auto& term : terms) {
        if (!entry.frequency.contains(term)) missing.push_back(term);
      }
      if (missing.empty() && entry.chunk_count >= 0) return collect(entry, terms, chunk_count);
    }
    std::sort(missing.begin(), missing.end());
    missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
    PARLEY_ASSIGN_OR_RETURN(auto stats, tx.term_stats(bot.id, missing));
    std::lock_guard lock(mutex_);
    auto& entry = entries_[bot.id];
    if (entry.version != bot.knowledge_version) entry = Entry{bot.knowledge_version, -1, {}};
    entry.chunk_count = stats.chunk_count;
    for (std::size_t i = 0; i < missing.size(); ++i) entry.frequency[missing[i]] = stats.document_frequency[i];
    return collect(entry, terms, chunk_count);
  }

 private:
  struct Entry {
    std::int64_t version = -1;
    std::int64_t chunk_count = -1;
    std::unordered_map<std::string, std::int64_t> frequency;
  };

  static std::vector<std::int64_t> collect(const Entry& entry, const std::vector<std::string>& terms,
                                           std::int64_t& chunk_count) {
    chunk_count = entry.chunk_count;
    std::vector<std::int64_t> out;
    out.reserve(terms.size());
    for (const auto& term : terms) out.push_back(entry.frequency.at(term));
    return out;
  }

  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

// A candidate as re-scoring reads it: the chunk and its terms (key text analysed, whole chunk as indexed). Popular
// content is asked about again and again; reading and preparing the same chunks for every question was about a
// fifth of the cost of an answer.
struct PreparedChunk {
  store::Chunk chunk;
  FieldTerms key;
  FieldTerms whole;
  QuestionForm form = QuestionForm::none;  // of a Q&A pair's question
  std::size_t text_hash = 0;  // of duplicate_key(text): chunks whose hashes are equal are folded into one
  std::shared_ptr<const ChunkSentences> sentences;  // of chunk.text, analysed when an answer first needs them
};

// Prepared candidates per bot, valid for one knowledge version and analysis language (every change to a bot's
// chunks or their documents bumps the version).
class Retriever::CandidateCache {
 public:
  using Prepared = std::shared_ptr<const PreparedChunk>;

  // The prepared chunks of `ids` (sorted), in that order; ids no longer in the bot are left out.
  Result<std::vector<Prepared>> get(store::ReadTx& tx, const store::Bot& bot, const text::Analyzer& analyzer,
                                    const std::vector<std::int64_t>& ids) {
    std::vector<Prepared> found(ids.size());
    std::vector<std::int64_t> missing;
    {
      std::lock_guard lock(mutex_);
      Entry& entry = current(bot, analyzer.language());
      for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto it = entry.chunks.find(ids[i]);
        if (it != entry.chunks.end()) {
          found[i] = it->second;
        } else {
          missing.push_back(ids[i]);
        }
      }
    }
    if (!missing.empty()) {
      PARLEY_ASSIGN_OR_RETURN(auto chunks, tx.chunks(bot.id, missing));
      PARLEY_ASSIGN_OR_RETURN(const auto index_terms, tx.chunk_terms(bot.id, missing));
      std::unordered_map<std::int64_t, const store::ChunkIndexTerms*> terms_of;
      for (std::size_t i = 0; i < missing.size() && i < index_terms.size(); ++i) terms_of[missing[i]] = &index_terms[i];
      std::unordered_map<std::int64_t, Prepared> fresh;
      for (auto& chunk : chunks) {
        const auto terms = terms_of.find(chunk.id);
        if (terms == terms_of.end()) continue;
        auto prepared = std::make_shared<PreparedChunk>();
        prepared->key = analyse_field(analyzer, key_text(chunk));
        if (chunk.kind == store::ChunkKind::qa) prepared->form = question_form(analyzer.language(), chunk.title);
        prepared->whole = index_field(terms->second->title);
        append_field(prepared->whole, index_field(terms->second->headings));
        append_field(prepared->whole, index_field(terms->second->body));
        prepared->text_hash = std::hash<std::string>{}(duplicate_key(chunk.text));
        prepared->sentences = std::make_shared<const ChunkSentences>(analyzer.language());
        prepared->chunk = std::move(chunk);
        fresh.emplace(prepared->chunk.id, std::move(prepared));
      }
      std::lock_guard lock(mutex_);
      Entry& entry = current(bot, analyzer.language());
      for (std::size_t i = 0; i < ids.size(); ++i) {
        if (found[i]) continue;
        const auto it = fresh.find(ids[i]);
        if (it == fresh.end()) continue;
        found[i] = it->second;
        if (entry.chunks.emplace(ids[i], it->second).second) ++cached_;
      }
    }
    std::erase(found, nullptr);
    return found;
  }

 private:
  struct Entry {
    std::int64_t version = -1;
    std::string language;
    std::unordered_map<std::int64_t, Prepared> chunks;
  };

  // The bot's entry, emptied when its knowledge or language changed; everything is dropped when the cache is full
  // (cheaper to refill than to track recency on every hit).
  Entry& current(const store::Bot& bot, const std::string& language) {
    if (cached_ >= kMaxCachedCandidates) {
      entries_.clear();
      cached_ = 0;
    }
    Entry& entry = entries_[bot.id];
    if (entry.version != bot.knowledge_version || entry.language != language) {
      cached_ -= entry.chunks.size();
      entry = Entry{bot.knowledge_version, language, {}};
    }
    return entry;
  }

  std::mutex mutex_;
  std::size_t cached_ = 0;
  std::unordered_map<std::string, Entry> entries_;
};

Retriever::Retriever(std::shared_ptr<const SemanticRanker> semantic)
    : stats_(std::make_unique<StatsCache>()),
      candidates_(std::make_unique<CandidateCache>()),
      synonyms_(std::make_unique<BotSynonymCache>()),
      semantic_(std::move(semantic)) {}
Retriever::~Retriever() = default;

Result<SearchResult> Retriever::search(store::ReadTx& tx, const store::Bot& bot, std::string_view question,
                                       const SearchOptions& options) const {
  SearchResult result;
  result.question = question;
  const text::Analyzer analyzer(bot_language(bot));
  AnalysedQuestion analysed = analyse_question(analyzer, question);
  if (analysed.terms.empty()) return result;

  // Collection statistics for the question's stems, the compounds its adjacent words form, and their synonyms: the
  // owner's first, then the thesaurus's.
  std::vector<std::string> lookup;
  for (const auto& term : analysed.terms) lookup.push_back(term.term);
  for (const auto& compound : analysed.compounds) lookup.push_back(compound.stem);
  struct Synonym {
    std::size_t term;  // of the question
    std::string stem;
    double credit;
  };
  std::vector<Synonym> synonym_of;
  const auto owner_synonyms = synonyms_->get(bot, analyzer);
  for (std::size_t i = 0; i < analysed.terms.size(); ++i) {
    const std::size_t first = synonym_of.size();
    if (owner_synonyms) {
      for (const auto& stem : owner_synonyms->of(analysed.terms[i].term)) synonym_of.push_back({i, stem, kOwnerSynonymCredit});
    }
    for (const auto synonym : text::synonyms(analyzer.language(), analysed.terms[i].term)) {
      const bool declared = std::any_of(synonym_of.begin() + static_cast<std::ptrdiff_t>(first), synonym_of.end(),
                                        [&](const Synonym& owner) { return owner.stem == synonym; });
      if (!declared) synonym_of.push_back({i, std::string(synonym), kSynonymCredit});
    }
  }
  for (const auto& synonym : synonym_of) lookup.push_back(synonym.stem);
  std::int64_t chunk_count = 0;
  PARLEY_ASSIGN_OR_RETURN(const auto frequencies, stats_->frequencies(tx, bot, lookup, chunk_count));
  std::vector<MatchCandidate> searchable;
  for (std::size_t i = 0; i < analysed.terms.size(); ++i) {
    auto& term = analysed.terms[i];
    term.document_frequency = frequencies[i];
    // An identifier's joined word that the bot never writes is only another spelling of its parts.
    term.idf = term.derived && frequencies[i] == 0 ? 0 : idf(chunk_count, frequencies[i]);
    searchable.push_back({term.term, term.document_frequency, term.idf, false});
  }
  for (std::size_t c = 0; c < analysed.compounds.size(); ++c) {
    const auto& compound = analysed.compounds[c];
    if (frequencies[analysed.terms.size() + c] == 0) continue;
    const double compound_idf = idf(chunk_count, frequencies[analysed.terms.size() + c]);
    for (const std::size_t part : {compound.left, compound.right}) {
      auto& term = analysed.terms[part];
      term.alternatives.push_back({compound.stem, 1.0});
      // A part the collection only knows inside the compound ("corona" of "coronavirus") weighs as the compound.
      if (term.document_frequency == 0) term.idf = compound_idf;
    }
    searchable.push_back({compound.stem, frequencies[analysed.terms.size() + c], compound_idf, false});
  }
  const std::size_t first_synonym = analysed.terms.size() + analysed.compounds.size();
  for (std::size_t k = 0; k < synonym_of.size(); ++k) {
    const std::int64_t frequency = frequencies[first_synonym + k];
    if (frequency == 0) continue;
    const auto& synonym = synonym_of[k];
    auto& term = analysed.terms[synonym.term];
    term.alternatives.push_back({synonym.stem, synonym.credit});
    // A word the collection does not use weighs as its synonym does ("kids" where the pages say "children").
    if (term.document_frequency == 0) term.idf = std::min(term.idf, idf(chunk_count, frequency));
    searchable.push_back({synonym.stem, frequency, synonym.credit * idf(chunk_count, frequency), true});
  }
  result.terms = analysed.terms;
  const auto& terms = result.terms;
  const MatchPlan plan = plan_match(std::move(searchable), kMatchBudget);
  // Hybrid retrieval: the chunks nearest the question's meaning, whatever words they use.
  const double weight = semantic_ ? semantic_weight(bot) : 0.0;
  const auto semantic_hits = weight > 0 ? semantic_->rank(tx, bot, question, options.semantic_candidates)
                                        : std::vector<store::ChunkHit>{};
  if (plan.terms.empty() && semantic_hits.empty()) return result;

  // Ranking 1: every chunk, title and headings weighted above the body. Ranking 2: curated questions only, by the
  // question field alone (from the same pass over the index).
  store::ChunkSearch found;
  if (!plan.terms.empty()) {
    store::ChunkQuery query;
    query.terms = plan.terms;
    query.term_weights = plan.weights;
    query.all_terms = plan.all_terms;
    query.max_scored = kMatchBudget;
    query.limit = options.candidates_per_ranking;
    query.qa_title_limit = options.candidates_per_ranking / 2;
    PARLEY_ASSIGN_OR_RETURN(found, tx.search_chunks(bot.id, query));
  }
  const auto ids_of = [](const std::vector<store::ChunkHit>& hits) {
    std::vector<std::int64_t> ids;
    ids.reserve(hits.size());
    for (const auto& hit : hits) ids.push_back(hit.chunk_id);
    return ids;
  };
  const auto hit_ids = ids_of(found.hits), title_ids = ids_of(found.qa_titles);
  const Ranking lexical_rankings[] = {{hit_ids}, {title_ids}};
  const auto fused = fuse_rankings(lexical_rankings);
  if (fused.empty() && semantic_hits.empty()) return result;

  std::vector<std::pair<double, std::int64_t>> by_fused;
  by_fused.reserve(fused.size());
  for (const auto& [id, score] : fused) by_fused.emplace_back(score, id);
  const std::size_t rescored = std::min(by_fused.size(), static_cast<std::size_t>(std::max(1, options.rescored)));
  std::partial_sort(by_fused.begin(), by_fused.begin() + static_cast<std::ptrdiff_t>(rescored), by_fused.end(),
                    [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  const double max_fused = by_fused.empty() ? 0.0 : by_fused.front().first;
  std::vector<std::int64_t> ids;
  ids.reserve(rescored + semantic_hits.size());
  for (std::size_t i = 0; i < rescored; ++i) ids.push_back(by_fused[i].second);
  for (const auto& hit : semantic_hits) ids.push_back(hit.chunk_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  PARLEY_ASSIGN_OR_RETURN(const auto prepared, candidates_->get(tx, bot, analyzer, ids));
  // Title words the question does not use weigh as the question's average term: looking up the collection
  // frequency of every title word of every candidate would cost more than the whole search.
  std::unordered_map<std::string, double> query_weight;
  double average_weight = 0;
  for (const auto& term : terms) {
    query_weight[term.term] = term.idf;
    for (const auto& alternative : term.alternatives) query_weight.emplace(alternative.stem, term.idf);
    average_weight += term.idf / static_cast<double>(terms.size());
  }
  const auto weight_of = [&](const std::string& stem) {
    const auto it = query_weight.find(stem);
    return it == query_weight.end() ? average_weight : it->second;
  };

  // Scored without their chunks; only the kept candidates copy theirs.
  std::vector<std::pair<Candidate, const PreparedChunk*>> scored;
  scored.reserve(prepared.size());
  QueryMatcher matcher(terms);
  const QuestionForm form = question_form(analyzer.language(), question);
  std::unordered_map<std::int64_t, double> similarity;
  for (const auto& hit : semantic_hits) similarity.emplace(hit.chunk_id, hit.score);
  std::vector<bool> unknown(terms.size(), false);
  for (std::size_t q = 0; q < terms.size(); ++q) {
    unknown[q] = terms[q].document_frequency == 0 && !terms[q].derived && terms[q].alternatives.empty();
  }
  for (const auto& ready : prepared) {
    Candidate candidate;
    const auto lexical = fused.find(ready->chunk.id);
    candidate.fused = lexical == fused.end() ? 0.0 : lexical->second;
    const auto near = similarity.find(ready->chunk.id);
    if (near != similarity.end()) candidate.similarity = near->second;
    const FieldMatch key_match = matcher.match(ready->key);
    const FieldMatch whole_match = matcher.match(ready->whole);
    for (std::size_t q = 0; q < terms.size(); ++q) unknown[q] = unknown[q] && whole_match.term_best[q] <= 0;
    candidate.coverage = weighted_coverage(terms, whole_match);
    candidate.title_match =
        harmonic_mean(weighted_coverage(terms, key_match), field_explained(ready->key, key_match, weight_of));
    candidate.phrase = phrase_share(terms, whole_match);
    candidate.score = kTitleWeight * candidate.title_match + kCoverageWeight * candidate.coverage +
                      kPhraseWeight * candidate.phrase + (max_fused > 0 ? kRankWeight * candidate.fused / max_fused : 0.0);
    if (store::is_navigation(ready->chunk)) candidate.score *= kNavigationFactor;
    candidate.same_form = form != QuestionForm::none && ready->form == form;
    scored.emplace_back(std::move(candidate), ready.get());
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    const double rank_a = a.first.score + (a.first.same_form ? kSameFormBonus : 0);
    const double rank_b = b.first.score + (b.first.same_form ? kSameFormBonus : 0);
    if (rank_a != rank_b) return rank_a > rank_b;
    return a.second->chunk.id < b.second->chunk.id;
  });
  if (!semantic_hits.empty()) fuse_with_semantic(scored, semantic_hits, weight);
  double total_weight = 0, unknown_weight = 0;
  for (std::size_t q = 0; q < terms.size(); ++q) {
    total_weight += terms[q].idf;
    if (unknown[q]) unknown_weight += terms[q].idf;
  }
  result.unknown_share = total_weight > 0 ? unknown_weight / total_weight : 0;
  std::unordered_set<std::size_t> seen_texts;
  for (auto& [candidate, ready] : scored) {
    if (result.candidates.size() >= static_cast<std::size_t>(options.limit)) break;
    if (!seen_texts.insert(ready->text_hash).second) continue;
    candidate.chunk = ready->chunk;
    candidate.sentences = ready->sentences;
    result.candidates.push_back(std::move(candidate));
  }
  return result;
}

}  // namespace parley::search
