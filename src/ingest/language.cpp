#include "ingest/language.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "common/utf8.h"
#include "text/analyzer.h"

namespace parley::ingest {
namespace {

// Enough of a text to decide; more only costs time.
constexpr std::size_t kSampleBytes = 2 * 1024;
constexpr int kMinLetters = 20;
constexpr int kMinStopWordHits = 3;

// Languages told apart by their script, in alphabetical order (ties go to the first).
constexpr std::array<std::string_view, 9> kScriptLanguages = {"ar", "el", "he", "hi", "ja", "ko", "ru", "th", "zh"};
constexpr std::size_t kNoScript = kScriptLanguages.size();

constexpr std::size_t script_slot(std::string_view language) {
  return static_cast<std::size_t>(std::find(kScriptLanguages.begin(), kScriptLanguages.end(), language) -
                                  kScriptLanguages.begin());
}
constexpr std::size_t kJapanese = script_slot("ja");
constexpr std::size_t kChinese = script_slot("zh");

std::size_t script_language(char32_t cp) {
  if (cp >= 0x0400 && cp <= 0x04FF) return script_slot("ru");
  if (cp >= 0x0370 && cp <= 0x03FF) return script_slot("el");
  if (cp >= 0x3040 && cp <= 0x30FF) return kJapanese;  // kana decides Japanese over Chinese
  if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)) return kChinese;
  if (cp >= 0xAC00 && cp <= 0xD7AF) return script_slot("ko");
  if (cp >= 0x0600 && cp <= 0x06FF) return script_slot("ar");
  if (cp >= 0x0590 && cp <= 0x05FF) return script_slot("he");
  if (cp >= 0x0E00 && cp <= 0x0E7F) return script_slot("th");
  if (cp >= 0x0900 && cp <= 0x097F) return script_slot("hi");
  return kNoScript;
}

constexpr std::array<std::string_view, 4> kLatinLanguages = {"en", "de", "fr", "es"};

// Every function word of the Latin-script languages, with a bit per language it belongs to: one lookup per word.
struct FunctionWords {
  std::unordered_map<std::string_view, unsigned> languages;
  std::size_t longest = 0;  // longer words need no lookup
};

const FunctionWords& function_words() {
  static const auto words = [] {
    FunctionWords built;
    for (std::size_t i = 0; i < kLatinLanguages.size(); ++i) {
      for (const auto word : text::stop_words(kLatinLanguages[i])) {
        built.languages[word] |= 1u << i;
        built.longest = std::max(built.longest, word.size());
      }
    }
    return built;
  }();
  return words;
}

bool is_latin_letter(char32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7);
}

}  // namespace

std::string detect_language(std::string_view text) {
  text = text.substr(0, utf8_prefix_length(text, kSampleBytes));
  std::array<int, kScriptLanguages.size()> script_letters{};
  int latin_letters = 0;
  std::array<int, kLatinLanguages.size()> hits{};
  const FunctionWords& lookup = function_words();
  // Each word is looked up as soon as it ends: ASCII letters are lower-cased as they come, other words folded.
  std::string word;
  bool ascii = true;
  const auto end_word = [&] {
    if (word.empty()) return;
    if (!ascii) word = text::fold(word);
    if (word.size() <= lookup.longest) {
      if (const auto found = lookup.languages.find(word); found != lookup.languages.end()) {
        for (std::size_t i = 0; i < kLatinLanguages.size(); ++i) {
          if (found->second & (1u << i)) ++hits[i];
        }
      }
    }
    word.clear();
    ascii = true;
  };
  for (std::size_t pos = 0; pos < text.size();) {
    if (const auto byte = static_cast<unsigned char>(text[pos]); byte < 0x80) {  // ASCII fast path
      ++pos;
      if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z')) {
        ++latin_letters;
        word += static_cast<char>(byte | 0x20);
      } else {
        end_word();
      }
      continue;
    }
    const char32_t cp = utf8_decode(text, pos);
    if (is_latin_letter(cp)) {
      ++latin_letters;
      utf8_append(word, cp);
      ascii = false;
      continue;
    }
    end_word();
    if (const std::size_t script = script_language(cp); script != kNoScript) ++script_letters[script];
  }
  end_word();

  // Kana anywhere means Japanese even when Han characters outnumber it.
  if (script_letters[kJapanese] > 0) script_letters[kJapanese] += script_letters[kChinese];
  const auto best_script = std::max_element(script_letters.begin(), script_letters.end());
  if (*best_script > latin_letters && *best_script >= kMinLetters / 4) {
    return std::string(kScriptLanguages[static_cast<std::size_t>(best_script - script_letters.begin())]);
  }
  if (latin_letters < kMinLetters) return {};

  const auto best = std::max_element(hits.begin(), hits.end());
  if (*best < kMinStopWordHits) return {};
  return std::string(kLatinLanguages[static_cast<std::size_t>(best - hits.begin())]);
}

}  // namespace parley::ingest
