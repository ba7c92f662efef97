// The data-quality report of a bot's knowledge: what makes answers worse, found by reading everything indexed
// (streamed chunk by chunk, so large knowledge bases fit in memory):
//  - exact duplicates (the same text under several URLs or files) and near duplicates (64-bit SimHash over
//    three-word shingles, at most 3 bits apart),
//  - boilerplate: paragraphs the crawler found on many pages (and keeps out of the index) and passages indexed
//    identically in several documents,
//  - empty and thin documents (curated Q&A files are short by design and only reported when empty), pages and
//    files that failed and why,
//  - repetitive, low-information documents (a passage repeated over and over, a handful of words making up the
//    text),
//  - the language of each document (those not in the bot's language are listed),
//  - curated Q&A pairs whose questions match but whose answers disagree (different figures, or different words),
//  - documents not updated for a long time,
//  - chunks the ingest-time screen flagged as prompt injections (instructions planted in content), with the verdict.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "store/store.h"

namespace parley::ingest {

struct ReportOptions {
  std::int64_t now_ms = 0;     // 0: the current time
  int stale_days = 365;
  int thin_words = 50;
  int near_duplicate_bits = 3;  // SimHash distance at most this
  std::size_t max_items = 100;  // per section
};

Result<nlohmann::json> build_report(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                                    const ReportOptions& options = {});

// A 64-bit SimHash of a text's three-word shingles (words lower-cased); near-identical texts differ in few bits.
std::uint64_t simhash(std::string_view text);

}  // namespace parley::ingest
