// Synonyms of a stemmed term, from a general-purpose thesaurus compiled into the binary (for English: the most
// frequent senses of common WordNet words, see synonym_table_generator.cpp). Used to expand questions, so that
// "kids" finds "children" and "guarantee" finds "warranty".
#pragma once

#include <string_view>
#include <vector>

namespace parley::text {

// Stems (as Analyzer gives them for `language`) that share one of the common senses of `stem`; empty for languages
// without a thesaurus and for unknown stems.
std::vector<std::string_view> synonyms(std::string_view language, std::string_view stem);

}  // namespace parley::text
