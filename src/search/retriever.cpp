#include "search/retriever.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "text/analyzer.h"

namespace parley::search {
namespace {

constexpr double kRrfK = 60.0;
constexpr std::size_t kMaxCachedTermsPerBot = 50'000;

double idf(std::int64_t chunk_count, std::int64_t document_frequency) {
  const double n = static_cast<double>(chunk_count);
  const double df = static_cast<double>(document_frequency);
  return std::log(1.0 + (n - df + 0.5) / (df + 0.5));
}

std::vector<std::string> unique_terms(std::vector<std::string> terms) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (auto& term : terms) {
    if (seen.insert(term).second) out.push_back(std::move(term));
  }
  return out;
}

}  // namespace

std::string bot_language(const store::Bot& bot) {
  const auto it = bot.settings.find("language");
  return it != bot.settings.end() && it->is_string() && !it->get<std::string>().empty() ? it->get<std::string>() : "en";
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

Retriever::Retriever() : stats_(std::make_unique<StatsCache>()) {}
Retriever::~Retriever() = default;

Result<SearchResult> Retriever::search(store::ReadTx& tx, const store::Bot& bot, std::string_view question,
                                       const SearchOptions& options) const {
  SearchResult result;
  const text::Analyzer analyzer(bot_language(bot));
  const std::vector<std::string> terms = unique_terms(analyzer.terms(question));
  if (terms.empty()) return result;

  std::int64_t chunk_count = 0;
  PARLEY_ASSIGN_OR_RETURN(const auto frequencies, stats_->frequencies(tx, bot, terms, chunk_count));
  std::unordered_map<std::string, double> weight;
  std::vector<std::string> searchable;
  double total_weight = 0;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const double w = idf(chunk_count, frequencies[i]);
    result.terms.push_back({terms[i], w, frequencies[i]});
    weight[terms[i]] = w;
    total_weight += w;
    if (frequencies[i] > 0) searchable.push_back(terms[i]);
  }
  if (searchable.empty() || total_weight <= 0) return result;

  // Ranking 1: every chunk, title and headings weighted above the body. Ranking 2: curated questions only.
  store::ChunkQuery all_fields;
  all_fields.terms = searchable;
  all_fields.limit = options.candidates_per_ranking;
  store::ChunkQuery questions;
  questions.terms = searchable;
  questions.kind = store::ChunkKind::qa;
  questions.title_only = true;
  questions.limit = options.candidates_per_ranking / 2;
  std::unordered_map<std::int64_t, double> fused;
  for (const auto* query : {&all_fields, &questions}) {
    PARLEY_ASSIGN_OR_RETURN(const auto hits, tx.search_chunks(bot.id, *query));
    for (std::size_t rank = 0; rank < hits.size(); ++rank) fused[hits[rank].chunk_id] += 1.0 / (kRrfK + static_cast<double>(rank + 1));
  }
  if (fused.empty()) return result;

  std::vector<std::int64_t> ids;
  ids.reserve(fused.size());
  for (const auto& [id, score] : fused) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  PARLEY_ASSIGN_OR_RETURN(auto chunks, tx.chunks(bot.id, ids));
  double max_fused = 0;
  for (const auto& [id, score] : fused) max_fused = std::max(max_fused, score);

  const auto weighted_share = [&](const std::unordered_set<std::string>& present) {
    double covered = 0;
    for (const auto& term : terms) {
      if (present.contains(term)) covered += weight[term];
    }
    return covered / total_weight;
  };

  for (auto& chunk : chunks) {
    Candidate candidate;
    candidate.fused = fused[chunk.id];
    std::unordered_set<std::string> chunk_terms;
    for (const auto* field : {&chunk.title, &chunk.heading_path, &chunk.text}) {
      for (auto& term : analyzer.terms(*field)) chunk_terms.insert(std::move(term));
    }
    candidate.coverage = weighted_share(chunk_terms);
    if (chunk.kind == store::ChunkKind::qa) {
      // Both directions: the question's terms found in the curated question, and the curated question's terms
      // found in the user's question (terms unknown to the query weigh as the query's average term).
      const auto curated = unique_terms(analyzer.terms(chunk.title));
      const std::unordered_set<std::string> curated_set(curated.begin(), curated.end());
      const double forward = weighted_share(curated_set);
      double backward_hit = 0, backward_total = 0;
      const double average = total_weight / static_cast<double>(terms.size());
      for (const auto& term : curated) {
        const auto it = weight.find(term);
        const double w = it == weight.end() ? average : it->second;
        backward_total += w;
        if (it != weight.end()) backward_hit += w;
      }
      const double backward = backward_total > 0 ? backward_hit / backward_total : 0;
      candidate.question_match = forward + backward > 0 ? 2 * forward * backward / (forward + backward) : 0;
    }
    candidate.score = 0.55 * candidate.coverage + 0.25 * candidate.question_match + 0.2 * candidate.fused / max_fused;
    candidate.chunk = std::move(chunk);
    result.candidates.push_back(std::move(candidate));
  }
  std::sort(result.candidates.begin(), result.candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.chunk.id < b.chunk.id;
  });
  if (result.candidates.size() > static_cast<std::size_t>(options.limit)) result.candidates.resize(static_cast<std::size_t>(options.limit));
  return result;
}

}  // namespace parley::search
