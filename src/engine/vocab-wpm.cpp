// WordPiece (BERT): lower-case, strip accents, split on whitespace and around punctuation and CJK ideographs, then
// cover each word greedily with the longest vocabulary entries. Word-initial entries carry U+2581 in GGUF vocabularies
// (where BERT writes continuations with "##"); a word that cannot be covered becomes [UNK].
#include <utf8proc.h>

#include "common/utf8.h"
#include "engine/vocab-impl.h"

namespace parley::engine {
namespace {

constexpr std::string_view kWordStart = "\xE2\x96\x81";  // U+2581

bool is_white_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

// The CJK ideograph blocks BERT splits into single characters (as its reference implementation lists them).
bool is_cjk_ideograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// The first code point of the canonical decomposition: "é" -> "e" (accents go), as llama.cpp normalises.
char32_t strip_accent(char32_t cp) {
  utf8proc_int32_t decomposed[8];
  utf8proc_int32_t last_boundclass = 0;
  const utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), decomposed, 8,
                                                     UTF8PROC_DECOMPOSE, &last_boundclass);
  return n >= 1 ? static_cast<char32_t>(decomposed[0]) : cp;
}

// Lower-cased, accent-stripped words; punctuation, ASCII symbols and CJK ideographs are words of their own.
std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words(1);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = strip_accent(utf8_decode(text, pos));
    if (is_white_space(cp)) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    const bool control = category == UTF8PROC_CATEGORY_CC || category == UTF8PROC_CATEGORY_CF ||
                         category == UTF8PROC_CATEGORY_CS || category == UTF8PROC_CATEGORY_CO;
    if (cp == 0 || cp == U'\uFFFD' || control) continue;
    const bool punctuation = category >= UTF8PROC_CATEGORY_PC && category <= UTF8PROC_CATEGORY_PO;
    const bool symbol = category >= UTF8PROC_CATEGORY_SM && category <= UTF8PROC_CATEGORY_SO;
    std::string character;
    utf8_append(character, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
    if (punctuation || (cp < 0x7F && symbol) || is_cjk_ideograph(cp)) {
      if (!words.back().empty()) words.emplace_back();
      words.back() = std::move(character);
      words.emplace_back();
    } else {
      words.back() += character;
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

}  // namespace

void tokenize_wpm(const Vocab::Impl& vocab, std::string_view text, std::vector<int32_t>& out) {
  for (const std::string& word : split_words(text)) {
    const std::string marked = std::string(kWordStart) + word;
    const std::size_t first_token = out.size();
    for (std::size_t i = 0; i < marked.size();) {
      // The longest entry starting at i.
      std::size_t end = std::min(marked.size(), i + vocab.max_token_bytes);
      int32_t token = kNoToken;
      for (; end > i; --end) {
        token = vocab.find(std::string_view(marked).substr(i, end - i));
        if (token != kNoToken) break;
      }
      if (token == kNoToken) {
        out.resize(first_token);  // the word cannot be covered: it is unknown as a whole
        break;
      }
      out.push_back(token);
      i = end;
    }
    if (out.size() == first_token && vocab.unk != kNoToken) out.push_back(vocab.unk);
  }
}

}  // namespace parley::engine
