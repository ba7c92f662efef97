// Sentence boundaries, for picking the best sentences of a passage in extractive answers.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace parley::text {

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;  // exclusive
  std::string_view of(std::string_view text) const { return text.substr(begin, end - begin); }
};

// Splits on sentence-final punctuation followed by space and a non-lowercase start (skipping common abbreviations
// and initials), on CJK full stops, and on line breaks. Spans are trimmed and never empty.
std::vector<Span> split_sentences(std::string_view text);

}  // namespace parley::text
