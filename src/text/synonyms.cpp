#include "text/synonyms.h"

#include <algorithm>
#include <iterator>

namespace parley::text {
namespace {

struct SynonymEntry {
  std::string_view stem;
  std::string_view synonyms;  // stems separated by single spaces
};

// Sorted by stem (the generator writes them from an ordered map).
// const, not constexpr: constant-evaluating ~10k string_views exceeds clang's constexpr step limit.
const SynonymEntry kEnglishSynonyms[] = {
#include "english_synonyms.inc"
};

}  // namespace

std::vector<std::string_view> synonyms(std::string_view language, std::string_view stem) {
  std::vector<std::string_view> out;
  if (language != "en") return out;
  const auto it = std::lower_bound(std::begin(kEnglishSynonyms), std::end(kEnglishSynonyms), stem,
                                   [](const SynonymEntry& entry, std::string_view key) { return entry.stem < key; });
  if (it == std::end(kEnglishSynonyms) || it->stem != stem) return out;
  std::string_view list = it->synonyms;
  while (!list.empty()) {
    const auto space = list.find(' ');
    out.push_back(list.substr(0, space));
    list = space == std::string_view::npos ? std::string_view() : list.substr(space + 1);
  }
  return out;
}

}  // namespace parley::text
