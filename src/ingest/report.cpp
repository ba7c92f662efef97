#include "ingest/report.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "common/clock.h"
#include "common/utf8.h"
#include "ingest/boilerplate.h"
#include "ingest/ingest.h"
#include "ingest/text_util.h"
#include "text/analyzer.h"

namespace parley::ingest {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxBucket = 64;        // near-duplicate candidates compared per SimHash band value
constexpr std::size_t kMaxQaPairs = 20'000;
constexpr double kSameQuestion = 0.75;        // Jaccard similarity of analysed question terms
constexpr double kSameAnswerWords = 0.5;
constexpr int kMinWordsForSimhash = 20;
constexpr std::size_t kDocumentsPerPassage = 5;  // documents named with a passage repeated across many
constexpr std::int64_t kDayMs = 86'400'000;

std::uint64_t fnv(std::string_view text, std::uint64_t hash = 0xcbf29ce484222325ull) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// Lower-cased words: runs of ASCII letters and digits, and of non-ASCII bytes (letters of other scripts).
template <typename Visit>
void for_each_word(std::string_view text, Visit visit) {
  std::string word;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c >= 0x80) {
      word += static_cast<char>(std::tolower(c));
    } else if (!word.empty()) {
      visit(word);
      word.clear();
    }
  }
  if (!word.empty()) visit(word);
}

struct SimhashBuilder {
  std::array<int, 64> weights{};
  std::array<std::uint64_t, 3> window{};
  int words = 0;

  void add(std::string_view text) {
    for_each_word(text, [&](const std::string& word) {
      window[0] = window[1];
      window[1] = window[2];
      window[2] = fnv(word);
      if (++words < 3) return;
      const std::uint64_t shingle = fnv(std::string_view(reinterpret_cast<const char*>(window.data()), sizeof window));
      for (int bit = 0; bit < 64; ++bit) weights[static_cast<std::size_t>(bit)] += (shingle >> bit) & 1 ? 1 : -1;
    });
  }
  std::uint64_t value() const {
    std::uint64_t out = 0;
    for (int bit = 0; bit < 64; ++bit) {
      if (weights[static_cast<std::size_t>(bit)] > 0) out |= std::uint64_t{1} << bit;
    }
    return out;
  }
};

std::string normalised_passage(std::string_view text) {
  std::string out;
  for_each_word(text, [&](const std::string& word) {
    if (!out.empty()) out += ' ';
    out += word;
  });
  return out;
}

struct DocumentFacts {
  store::Document document;
  std::string source_name;
  std::int64_t words = 0;
  std::int64_t chunks = 0;
  std::int64_t qa_chunks = 0;  // curated Q&A pairs: short by design, never "thin"
  std::uint64_t text_hash = 0xcbf29ce484222325ull;
  std::uint64_t fingerprint = 0;
  // How much the document says (VocabularyCounter): different words, the commonest word's count, and passages
  // that repeat an earlier passage of the same document word for word.
  std::int64_t distinct_words = 0;
  std::int64_t top_word_count = 0;
  std::int64_t repeated_chunks = 0;
};

// Counts one document's vocabulary and repeated passages as its chunks stream by. Bounded: past kMaxTracked
// different words a document has a real vocabulary, and the counting stops.
class VocabularyCounter {
 public:
  static constexpr std::size_t kMaxTracked = 4096;

  void add_word(std::uint64_t hash) {
    if (saturated_) return;
    const auto it = counts_.try_emplace(hash, 0).first;
    top_ = std::max(top_, ++it->second);
    if (counts_.size() >= kMaxTracked) saturated_ = true;
  }
  void add_passage(std::uint64_t hash) { repeated_ += seen_passages_.insert(hash).second ? 0 : 1; }
  void close(DocumentFacts& facts) const {
    facts.distinct_words = saturated_ ? static_cast<std::int64_t>(kMaxTracked) : static_cast<std::int64_t>(counts_.size());
    facts.top_word_count = saturated_ ? 0 : top_;
    facts.repeated_chunks = repeated_;
  }

 private:
  std::unordered_map<std::uint64_t, std::int64_t> counts_;
  std::set<std::uint64_t> seen_passages_;
  std::int64_t top_ = 0;
  std::int64_t repeated_ = 0;
  bool saturated_ = false;
};

// Text that carries little: a passage repeated over and over, or a handful of words making up the document.
// Real help content of this length uses hundreds of different words, and its commonest word ("the") is under a
// tenth of it; the thresholds leave a wide margin on both.
constexpr std::int64_t kMinWordsForRepetition = 200;
constexpr std::int64_t kMaxDistinctWordsOfJunk = 40;
constexpr double kMaxTopWordShare = 0.3;
constexpr double kMaxRepeatedShare = 0.5;

std::string repetition_problem(const DocumentFacts& facts) {
  if (facts.qa_chunks > 0 || facts.words < kMinWordsForRepetition) return {};
  const auto number = [](std::int64_t n) { return std::to_string(n); };
  if (facts.distinct_words <= kMaxDistinctWordsOfJunk) {
    return "its " + number(facts.words) + " words are only " + number(facts.distinct_words) + " different word" +
           (facts.distinct_words == 1 ? "" : "s") + " repeated";
  }
  if (facts.chunks >= 4 && facts.repeated_chunks >= static_cast<std::int64_t>(kMaxRepeatedShare * static_cast<double>(facts.chunks))) {
    return number(facts.repeated_chunks) + " of its " + number(facts.chunks) + " passages repeat another passage word for word";
  }
  if (facts.top_word_count > static_cast<std::int64_t>(kMaxTopWordShare * static_cast<double>(facts.words))) {
    return "one word makes up " + number(facts.top_word_count * 100 / facts.words) + "% of its text";
  }
  return {};
}

struct CuratedPair {
  std::string question;
  std::string answer;
  std::string uri;
  std::vector<std::string> terms;  // analysed question terms, sorted and unique
};

Json document_ref(const DocumentFacts& facts) {
  return {{"document_id", facts.document.id}, {"uri", facts.document.uri}, {"title", facts.document.title},
          {"source_id", facts.document.source_id}};
}

std::pair<std::string, std::string> ordered_pair(const DocumentFacts& a, const DocumentFacts& b) {
  return a.document.id < b.document.id ? std::pair(a.document.id, b.document.id) : std::pair(b.document.id, a.document.id);
}

double jaccard(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.empty() && b.empty()) return 1;
  std::size_t shared = 0;
  for (auto i = a.begin(), j = b.begin(); i != a.end() && j != b.end();) {
    if (*i == *j) {
      ++shared;
      ++i;
      ++j;
    } else if (*i < *j) {
      ++i;
    } else {
      ++j;
    }
  }
  return static_cast<double>(shared) / static_cast<double>(a.size() + b.size() - shared);
}

// Figures of an answer: prices, times, quantities ("7.95", "30", "9").
std::set<std::string> figures(std::string_view text) {
  std::set<std::string> out;
  std::string number;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : ' ';
    const bool part = std::isdigit(static_cast<unsigned char>(c)) ||
                      (!number.empty() && (c == '.' || c == ',') && i + 1 < text.size() &&
                       std::isdigit(static_cast<unsigned char>(text[i + 1])));
    if (part) {
      if (c != ',') number += c;
    } else if (!number.empty()) {
      out.insert(number);
      number.clear();
    }
  }
  return out;
}

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::vector<std::string> sorted_terms(const text::Analyzer& analyzer, std::string_view text) {
  auto terms = analyzer.terms(text);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

}  // namespace

std::uint64_t simhash(std::string_view text) {
  SimhashBuilder builder;
  builder.add(text);
  return builder.value();
}

Result<Json> build_report(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                          const ReportOptions& options) {
  const std::int64_t now = options.now_ms > 0 ? options.now_ms : unix_millis();
  std::string language = "en";
  std::vector<store::Source> sources;
  std::unordered_map<std::string, DocumentFacts> facts;  // by document id
  std::vector<CuratedPair> qa_pairs;
  struct Passage {
    std::set<std::string> documents;
    std::string sample;
  };
  std::unordered_map<std::uint64_t, Passage> passages;
  Json failed = Json::array();
  Json crawl_boilerplate = Json::array();
  Json suspected = Json::array();  // chunks the ingest-time screen flagged as prompt injections
  std::int64_t suspected_count = 0;

  PARLEY_TRY(store.read(scope, [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(bot_id));
    if (!bot) return make_error(ErrorCode::not_found, "no such bot");
    language = bot_language(*bot);
    PARLEY_ASSIGN_OR_RETURN(sources, tx.sources(bot_id));
    for (const auto& source : sources) {
      PARLEY_ASSIGN_OR_RETURN(auto documents, tx.documents(source.id));
      for (auto& document : documents) {
        DocumentFacts entry;
        entry.source_name = source.name;
        entry.document = std::move(document);
        facts.emplace(entry.document.id, std::move(entry));
      }
      if (source.status == "failed" && source.kind == store::SourceKind::file) {
        failed.push_back({{"source_id", source.id}, {"uri", source.name}, {"reason", source.error}});
      }
      if (source.kind != store::SourceKind::crawl) continue;
      // The failures of the source's latest finished sync.
      store::JobFilter filter;
      filter.bot_id = bot_id;
      filter.source_id = source.id;
      filter.limit = 10;
      PARLEY_ASSIGN_OR_RETURN(auto jobs, tx.jobs(filter));
      const auto finished = std::find_if(jobs.begin(), jobs.end(), [](const store::Job& job) {
        return job.state == store::JobState::succeeded || job.state == store::JobState::cancelled;
      });
      if (finished != jobs.end()) {
        store::CrawlPageFilter pages;
        pages.outcome = "failed";
        pages.limit = static_cast<int>(options.max_items);
        PARLEY_ASSIGN_OR_RETURN(auto rows, tx.crawl_pages(finished->id, pages));
        for (const auto& page : rows) {
          failed.push_back({{"source_id", source.id}, {"uri", page.url}, {"reason", page.reason},
                            {"http_status", page.http_status == 0 ? Json(nullptr) : Json(page.http_status)}});
        }
      } else if (const auto failed_job = std::find_if(jobs.begin(), jobs.end(), [](const store::Job& job) {
                   return job.state == store::JobState::failed;
                 });
                 failed_job != jobs.end()) {
        failed.push_back({{"source_id", source.id}, {"uri", source.name}, {"reason", failed_job->error}});
      }
      BoilerplateFilter saved;
      saved.load(source.config.value("boilerplate", Json::object()));
      for (const auto& block : saved.boilerplate(options.max_items)) {
        crawl_boilerplate.push_back({{"source_id", source.id}, {"text", block.text}, {"pages", block.pages},
                                     {"indexed", false}});
      }
    }
    const text::Analyzer analyzer(language);
    SimhashBuilder builder;
    VocabularyCounter vocabulary;
    std::string current;
    const auto close_document = [&] {
      if (current.empty()) return;
      const auto it = facts.find(current);
      if (it != facts.end()) {
        it->second.fingerprint = builder.words >= kMinWordsForSimhash ? builder.value() : 0;
        vocabulary.close(it->second);
      }
      builder = SimhashBuilder();
      vocabulary = VocabularyCounter();
    };
    PARLEY_TRY(tx.scan_chunks(bot_id, [&](const store::Chunk& chunk) {
      if (chunk.document_id != current) {
        close_document();
        current = chunk.document_id;
      }
      const auto it = facts.find(chunk.document_id);
      if (it == facts.end()) return;
      DocumentFacts& document = it->second;
      document.chunks += 1;
      std::uint64_t passage_hash = 0xcbf29ce484222325ull;
      for_each_word(chunk.text, [&](const std::string& word) {
        ++document.words;
        document.text_hash = fnv(word, fnv(" ", document.text_hash));
        passage_hash = fnv(word, fnv(" ", passage_hash));
        vocabulary.add_word(fnv(word));
      });
      vocabulary.add_passage(passage_hash);
      builder.add(chunk.text);
      if (store::flagged_as_injection(chunk)) {
        ++suspected_count;
        if (suspected.size() < options.max_items) {
          const Json& verdict = chunk.metadata[store::kInjectionVerdictKey];
          Json item = document_ref(document);
          item.update({{"chunk_id", chunk.id}, {"ordinal", chunk.ordinal}, {"score", verdict.value("score", 0.0)},
                       {"reasons", verdict.value("reasons", Json::array())},
                       {"excerpt", chunk.text.substr(0, utf8_prefix_length(chunk.text, 300))}});
          suspected.push_back(std::move(item));
        }
      }
      if (chunk.kind == store::ChunkKind::qa) {
        ++document.qa_chunks;
        if (qa_pairs.size() < kMaxQaPairs) {
          qa_pairs.push_back({chunk.title, chunk.text, chunk.document_uri, sorted_terms(analyzer, chunk.title)});
        }
        return;
      }
      const std::string passage = normalised_passage(chunk.text);
      if (passage.size() < 40) return;
      Passage& seen = passages[fnv(passage)];
      if (seen.sample.empty()) seen.sample = chunk.text.substr(0, 200);
      if (seen.documents.size() < 1000) seen.documents.insert(chunk.document_id);
    }));
    close_document();
    return {};
  }));

  std::vector<const DocumentFacts*> documents;
  for (const auto& [id, entry] : facts) documents.push_back(&entry);
  std::sort(documents.begin(), documents.end(), [](const auto* a, const auto* b) { return a->document.uri < b->document.uri; });
  const auto capped = [&](Json& list, Json item) {
    if (list.size() < options.max_items) list.push_back(std::move(item));
  };

  // Exact duplicates: the same words in the same order.
  Json exact = Json::array();
  std::map<std::uint64_t, std::vector<const DocumentFacts*>> by_text;
  for (const auto* document : documents) {
    if (document->words > 0) by_text[document->text_hash].push_back(document);
  }
  std::set<std::pair<std::string, std::string>> exact_pairs;
  std::int64_t exact_groups = 0;
  for (const auto& [hash, group] : by_text) {
    if (group.size() < 2) continue;
    ++exact_groups;
    Json refs = Json::array();
    for (const auto* document : group) refs.push_back(document_ref(*document));
    capped(exact, {{"documents", refs}});
    for (std::size_t i = 0; i < group.size(); ++i) {
      for (std::size_t j = i + 1; j < group.size(); ++j) exact_pairs.insert(ordered_pair(*group[i], *group[j]));
    }
  }

  // Near duplicates: SimHash within a few bits; candidates share one of four 16-bit bands (pigeonhole).
  Json near = Json::array();
  std::int64_t near_count = 0;
  std::set<std::pair<std::string, std::string>> compared;
  for (int band = 0; band < 4; ++band) {
    std::unordered_map<std::uint64_t, std::vector<const DocumentFacts*>> buckets;
    for (const auto* document : documents) {
      if (document->fingerprint == 0) continue;
      auto& bucket = buckets[(document->fingerprint >> (band * 16)) & 0xFFFF];
      if (bucket.size() < kMaxBucket) bucket.push_back(document);
    }
    for (const auto& [value, bucket] : buckets) {
      for (std::size_t i = 0; i < bucket.size(); ++i) {
        for (std::size_t j = i + 1; j < bucket.size(); ++j) {
          const auto key = ordered_pair(*bucket[i], *bucket[j]);
          if (exact_pairs.contains(key) || !compared.emplace(key).second) continue;
          const int distance = std::popcount(bucket[i]->fingerprint ^ bucket[j]->fingerprint);
          if (distance > options.near_duplicate_bits) continue;
          ++near_count;
          capped(near, {{"a", document_ref(*bucket[i])}, {"b", document_ref(*bucket[j])},
                        {"similarity", 1.0 - distance / 64.0}});
        }
      }
    }
  }

  // Boilerplate: what the crawler keeps out, and passages indexed in three or more documents.
  Json boilerplate = crawl_boilerplate;
  std::vector<const Passage*> repeated;
  for (const auto& [hash, passage] : passages) {
    if (passage.documents.size() >= 3) repeated.push_back(&passage);
  }
  std::sort(repeated.begin(), repeated.end(), [](const auto* a, const auto* b) {
    return a->documents.size() != b->documents.size() ? a->documents.size() > b->documents.size() : a->sample < b->sample;
  });
  for (const auto* passage : repeated) {
    Json refs = Json::array();
    for (const auto& id : passage->documents) {
      if (refs.size() == kDocumentsPerPassage) break;
      if (const auto it = facts.find(id); it != facts.end()) refs.push_back(document_ref(it->second));
    }
    capped(boilerplate, {{"text", passage->sample}, {"pages", passage->documents.size()}, {"indexed", true},
                         {"documents", std::move(refs)}});
  }

  // Empty and thin documents, languages, stale documents.
  Json thin = Json::array();
  Json stale = Json::array();
  Json other_languages = Json::array();
  std::map<std::string, std::int64_t> languages;
  Json repetitive = Json::array();
  std::int64_t thin_count = 0, stale_count = 0, other_language_count = 0, repetitive_count = 0;
  for (const auto* document : documents) {
    // A curated FAQ's pairs are short by design: only an empty one is reported.
    const bool curated = document->qa_chunks > 0;
    if (document->words < options.thin_words && (!curated || document->words == 0)) {
      ++thin_count;
      Json item = document_ref(*document);
      item["words"] = document->words;
      item["problem"] = document->words == 0 ? "empty" : "thin";
      capped(thin, std::move(item));
    }
    if (const std::string problem = repetition_problem(*document); !problem.empty()) {
      ++repetitive_count;
      Json item = document_ref(*document);
      item.update({{"problem", problem}, {"words", document->words}, {"distinct_words", document->distinct_words},
                   {"passages", document->chunks}, {"repeated_passages", document->repeated_chunks}});
      capped(repetitive, std::move(item));
    }
    const std::string& doc_language = document->document.language.empty() ? language : document->document.language;
    ++languages[doc_language];
    if (doc_language != language) {
      ++other_language_count;
      Json item = document_ref(*document);
      item["language"] = doc_language;
      capped(other_languages, std::move(item));
    }
    const std::int64_t changed = document->document.modified_at.value_or(document->document.updated_at);
    const std::int64_t age_days = (now - changed) / kDayMs;
    if (age_days >= options.stale_days) {
      ++stale_count;
      Json item = document_ref(*document);
      item["last_changed"] = format_rfc3339(changed);
      item["days"] = age_days;
      capped(stale, std::move(item));
    }
  }

  // Q&A pairs that ask the same and answer differently.
  Json contradictions = Json::array();
  std::int64_t contradiction_count = 0;
  std::unordered_map<std::string, std::vector<std::size_t>> by_term;
  for (std::size_t i = 0; i < qa_pairs.size(); ++i) {
    for (const auto& term : qa_pairs[i].terms) by_term[term].push_back(i);
  }
  for (std::size_t i = 0; i < qa_pairs.size(); ++i) {
    std::set<std::size_t> candidates;
    for (const auto& term : qa_pairs[i].terms) {
      const auto& sharing = by_term[term];
      if (sharing.size() > kMaxBucket * 4) continue;  // a term in every question decides nothing
      for (std::size_t j : sharing) {
        if (j > i) candidates.insert(j);
      }
    }
    for (std::size_t j : candidates) {
      // In the order of their documents, so the report reads the same every time.
      const bool in_order = std::tie(qa_pairs[i].uri, qa_pairs[i].question) <= std::tie(qa_pairs[j].uri, qa_pairs[j].question);
      const CuratedPair& a = in_order ? qa_pairs[i] : qa_pairs[j];
      const CuratedPair& b = in_order ? qa_pairs[j] : qa_pairs[i];
      if (jaccard(a.terms, b.terms) < kSameQuestion) continue;
      if (text::fold(collapse_whitespace(a.answer)) == text::fold(collapse_whitespace(b.answer))) continue;
      const auto figures_a = figures(a.answer);
      const auto figures_b = figures(b.answer);
      std::string reason;
      if (figures_a != figures_b && !figures_a.empty() && !figures_b.empty()) {
        reason = "different figures: " + join(figures_a) + " vs " + join(figures_b);
      } else {
        const text::Analyzer analyzer(language);
        if (jaccard(sorted_terms(analyzer, a.answer), sorted_terms(analyzer, b.answer)) < kSameAnswerWords) {
          reason = "different answers";
        }
      }
      if (reason.empty()) continue;
      ++contradiction_count;
      capped(contradictions, {{"question", a.question}, {"answer", a.answer}, {"uri", a.uri},
                              {"other_question", b.question}, {"other_answer", b.answer}, {"other_uri", b.uri},
                              {"reason", reason}});
    }
  }

  std::int64_t chunk_total = 0;
  for (const auto* document : documents) chunk_total += document->chunks;
  Json report = {
      {"bot_id", bot_id},
      {"generated_at", format_rfc3339(now)},
      {"language", language},
      {"summary",
       {{"sources", sources.size()}, {"documents", documents.size()}, {"chunks", chunk_total},
        {"exact_duplicate_groups", exact_groups}, {"near_duplicate_pairs", near_count},
        {"boilerplate_passages", boilerplate.size()}, {"empty_or_thin", thin_count}, {"failed", failed.size()},
        {"other_language", other_language_count}, {"contradictions", contradiction_count}, {"stale", stale_count},
        {"suspected_injections", suspected_count}, {"repetitive", repetitive_count}}},
      {"languages", languages},
      {"exact_duplicates", exact},
      {"near_duplicates", near},
      {"boilerplate", boilerplate},
      {"empty_or_thin", thin},
      {"repetitive", repetitive},
      {"failed", failed},
      {"other_language", other_languages},
      {"contradictions", contradictions},
      {"stale", stale},
      {"suspected_injections", suspected},
      {"settings", {{"stale_days", options.stale_days}, {"thin_words", options.thin_words}}}};
  return report;
}

}  // namespace parley::ingest
