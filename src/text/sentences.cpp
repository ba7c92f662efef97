#include "text/sentences.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "common/utf8.h"

namespace parley::text {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

// Lower-cased words that end with a period without ending the sentence.
bool is_abbreviation(std::string_view word) {
  static constexpr std::array<std::string_view, 24> kAbbreviations = {
      "approx", "ca", "cf", "co", "corp", "dept", "dr", "e.g", "eg", "etc", "fig", "i.e", "ie", "inc", "jr",
      "ltd", "mr", "mrs", "ms", "no", "prof", "sr", "st", "vs"};
  std::string lowered(word);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::find(kAbbreviations.begin(), kAbbreviations.end(), lowered) != kAbbreviations.end();
}

void push_trimmed(std::string_view text, std::size_t begin, std::size_t end, std::vector<Span>& out) {
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  if (end > begin) out.push_back({begin, end});
}

// The word (letters, digits, dots) that ends right before `pos`.
std::string_view word_before(std::string_view text, std::size_t pos) {
  std::size_t begin = pos;
  while (begin > 0 && !is_space(text[begin - 1]) && text[begin - 1] != '(' && text[begin - 1] != '"') --begin;
  return text.substr(begin, pos - begin);
}

}  // namespace

std::vector<Span> split_sentences(std::string_view text) {
  std::vector<Span> out;
  std::size_t start = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t here = pos;
    const char32_t cp = utf8_decode(text, pos);
    if (cp == U'\n') {
      push_trimmed(text, start, here, out);
      start = pos;
      continue;
    }
    if (cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F) {  // 。！？ end a sentence without a following space
      push_trimmed(text, start, pos, out);
      start = pos;
      continue;
    }
    if (cp != U'.' && cp != U'!' && cp != U'?') continue;
    // Swallow runs like "?!" or "..." and closing quotes/brackets.
    std::size_t end = pos;
    while (end < text.size() && (text[end] == '.' || text[end] == '!' || text[end] == '?' || text[end] == '"' ||
                                 text[end] == '\'' || text[end] == ')')) {
      ++end;
    }
    if (end < text.size() && !is_space(text[end])) continue;  // "3.5", "example.com"
    std::size_t next = end;
    while (next < text.size() && (text[next] == ' ' || text[next] == '\t')) ++next;
    if (cp == U'.') {
      const std::string_view word = word_before(text, here);
      const bool initial = word.size() == 1 && std::isalpha(static_cast<unsigned char>(word[0]));
      if (is_abbreviation(word) || initial) continue;
      if (next < text.size() && std::islower(static_cast<unsigned char>(text[next]))) continue;
    }
    push_trimmed(text, start, end, out);
    start = end;
    pos = end;
  }
  push_trimmed(text, start, text.size(), out);
  return out;
}

}  // namespace parley::text
