#include "ingest/language.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <unordered_map>

#include "common/utf8.h"
#include "text/analyzer.h"

namespace parley::ingest {
namespace {

// Enough of a text to decide; more only costs time.
constexpr std::size_t kSampleBytes = 2 * 1024;
constexpr int kMinLetters = 20;
constexpr int kMinStopWordHits = 3;

std::string_view script_language(char32_t cp) {
  if (cp >= 0x0400 && cp <= 0x04FF) return "ru";
  if (cp >= 0x0370 && cp <= 0x03FF) return "el";
  if (cp >= 0x3040 && cp <= 0x30FF) return "ja";  // kana decides Japanese over Chinese
  if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)) return "zh";
  if (cp >= 0xAC00 && cp <= 0xD7AF) return "ko";
  if (cp >= 0x0600 && cp <= 0x06FF) return "ar";
  if (cp >= 0x0590 && cp <= 0x05FF) return "he";
  if (cp >= 0x0E00 && cp <= 0x0E7F) return "th";
  if (cp >= 0x0900 && cp <= 0x097F) return "hi";
  return {};
}

constexpr std::array<std::string_view, 4> kLatinLanguages = {"en", "de", "fr", "es"};

// Every function word of the Latin-script languages, with a bit per language it belongs to: one lookup per word.
const std::unordered_map<std::string_view, unsigned>& function_words() {
  static const auto words = [] {
    std::unordered_map<std::string_view, unsigned> map;
    for (std::size_t i = 0; i < kLatinLanguages.size(); ++i) {
      for (const auto word : text::stop_words(kLatinLanguages[i])) map[word] |= 1u << i;
    }
    return map;
  }();
  return words;
}

bool is_latin_letter(char32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7);
}

}  // namespace

std::string detect_language(std::string_view text) {
  text = text.substr(0, utf8_prefix_length(text, kSampleBytes));
  std::map<std::string_view, int> script_letters;
  int latin_letters = 0;
  std::vector<std::string> words;
  std::string word;
  for (std::size_t pos = 0; pos < text.size();) {
    const char32_t cp = utf8_decode(text, pos);
    if (is_latin_letter(cp)) {
      ++latin_letters;
      utf8_append(word, cp);
      continue;
    }
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
    if (const auto language = script_language(cp); !language.empty()) ++script_letters[language];
  }
  if (!word.empty()) words.push_back(std::move(word));

  // Kana anywhere means Japanese even when Han characters outnumber it.
  if (script_letters["ja"] > 0) script_letters["ja"] += script_letters["zh"];
  const auto best_script = std::max_element(script_letters.begin(), script_letters.end(),
                                            [](const auto& a, const auto& b) { return a.second < b.second; });
  if (best_script != script_letters.end() && best_script->second > latin_letters && best_script->second >= kMinLetters / 4) {
    return std::string(best_script->first);
  }
  if (latin_letters < kMinLetters) return {};

  std::array<int, kLatinLanguages.size()> hits{};
  const auto& lookup = function_words();
  for (auto& candidate : words) {
    const bool ascii = std::all_of(candidate.begin(), candidate.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii) {
      std::transform(candidate.begin(), candidate.end(), candidate.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    } else {
      candidate = text::fold(candidate);
    }
    const auto found = lookup.find(candidate);
    if (found == lookup.end()) continue;
    for (std::size_t i = 0; i < kLatinLanguages.size(); ++i) {
      if (found->second & (1u << i)) ++hits[i];
    }
  }
  const auto best = std::max_element(hits.begin(), hits.end());
  if (*best < kMinStopWordHits) return {};
  return std::string(kLatinLanguages[static_cast<std::size_t>(best - hits.begin())]);
}

}  // namespace parley::ingest
