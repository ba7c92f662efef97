// Boilerplate that survives main-content extraction: a paragraph repeated on many pages of a site ("Need help?
// Call us...", a promotion inside the article body). The page on which a paragraph is seen for the `threshold`-th
// time, and every later one, loses it before chunking: the index holds it only on the first pages that carried it
// (it stays findable, and stops crowding every answer). The counts carry over from one sync to the next.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "ingest/document.h"

namespace parley::ingest {

struct RepeatedBlock {
  std::string text;  // a sample, cut to a readable length
  std::int64_t pages = 0;
};

class BoilerplateFilter {
 public:
  explicit BoilerplateFilter(std::int64_t threshold = 3) : threshold_(threshold) {}

  // Counts the page's paragraphs and removes those that have become boilerplate. Thread-safe.
  void apply(ParsedDocument& document);

  // The paragraphs seen on at least `threshold` pages, most frequent first (at most `limit`).
  std::vector<RepeatedBlock> boilerplate(std::size_t limit = 100) const;

  // The counts as JSON ({"threshold", "blocks": [{"hash", "pages", "text"}]}), and back: only repeated
  // paragraphs are kept, so the saved state stays small.
  nlohmann::json save() const;
  void load(const nlohmann::json& saved);

 private:
  struct Entry {
    std::int64_t pages = 0;
    std::string sample;  // kept once the paragraph repeats
  };

  std::int64_t threshold_;
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Entry> counts_;
};

// A stable 64-bit hash (FNV-1a) of a paragraph's letters and digits, lower-cased: spacing and punctuation
// differences do not make a new paragraph.
std::uint64_t block_fingerprint(std::string_view text);

}  // namespace parley::ingest
