#include "chat/specifics.h"

#include <algorithm>
#include <cctype>

namespace parley::chat {
namespace {

// A contradicted quantity is strong evidence that the passage answers another question. (A name or unit the
// passage lacks is not counted: on the FAQ sets it declined answerable questions, docs/RETRIEVAL.md.)
constexpr double kContradictedFactor = 0.6;
constexpr double kMinFactor = 0.4;
// Words after a number that belong to its unit ("5 business days": "business" and "days").
constexpr std::size_t kUnitWords = 2;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Specifics specifics_of(const text::Analyzer& analyzer, std::string_view text) {
  Specifics out;
  const auto words = analyzer.analyze(text, {.keep_stop_words = true, .stem = true});
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& word = words[i];
    if (word.derived) continue;
    const std::string_view written = text.substr(word.begin, word.end - word.begin);
    if (!written.empty() && is_digit(written.front())) {
      // The number as written, including separators the analyzer split on ("1,200", "2.5").
      std::size_t end = word.end;
      while (end + 1 < text.size() && (text[end] == ',' || text[end] == '.') && is_digit(text[end + 1])) {
        ++end;
        while (end < text.size() && is_digit(text[end])) ++end;
      }
      Quantity quantity;
      for (std::size_t c = word.begin; c < end; ++c) {
        if (text[c] != ',') quantity.value += text[c];
      }
      if (std::all_of(written.begin(), written.end(), is_digit)) {
        const std::string_view before = text.substr(0, word.begin);
        for (const std::string_view currency : {"$", "\xE2\x82\xAC", "\xC2\xA3"}) {  // $ € £
          if (before.ends_with(currency)) quantity.units.emplace_back(currency);
        }
        for (std::size_t j = i + 1; j < words.size() && quantity.units.size() < kUnitWords; ++j) {
          if (words[j].derived) continue;
          if (words[j].begin < end) continue;  // the rest of "1,200"
          const std::string_view next = text.substr(words[j].begin, words[j].end - words[j].begin);
          if (is_digit(next.front()) || words[j].stop_word) break;
          quantity.units.push_back(words[j].text);
        }
        if (!quantity.units.empty()) out.quantities.push_back(std::move(quantity));
      }
    }
  }
  return out;
}

SpecificsCheck check_specifics(const text::Analyzer& analyzer, const Specifics& question, std::string_view passage) {
  SpecificsCheck check;
  if (question.quantities.empty()) return check;
  const Specifics stated = specifics_of(analyzer, passage);
  for (const auto& wanted : question.quantities) {
    bool same_unit = false, same_value = false;
    for (const auto& quantity : stated.quantities) {
      const bool shares_unit = std::any_of(wanted.units.begin(), wanted.units.end(), [&](const std::string& unit) {
        return std::find(quantity.units.begin(), quantity.units.end(), unit) != quantity.units.end();
      });
      if (!shares_unit) continue;
      same_unit = true;
      same_value = same_value || quantity.value == wanted.value;
    }
    if (same_unit && !same_value) ++check.contradicted;
  }
  return check;
}

double specifics_factor(const SpecificsCheck& check) {
  double factor = 1;
  for (int i = 0; i < check.contradicted; ++i) factor *= kContradictedFactor;
  return std::max(kMinFactor, factor);
}

std::string without_verdict(std::string_view answer) {
  std::size_t skip = 0;
  for (const std::string_view verdict : {"Yes", "No"}) {
    if (!answer.starts_with(verdict)) continue;
    std::size_t after = verdict.size();
    // A verdict is set off by punctuation: "Yes, ...", "No. ..." — not "Notes ..." or "No problem ...".
    if (after >= answer.size() || std::string_view(",.!;").find(answer[after]) == std::string_view::npos) continue;
    while (after < answer.size() && (answer[after] == ',' || answer[after] == '.' || answer[after] == '!' ||
                                     answer[after] == ';' || answer[after] == ' ')) {
      ++after;
    }
    skip = after;
  }
  if (skip == 0 || skip >= answer.size()) return std::string(answer);
  std::string rest(answer.substr(skip));
  if (std::islower(static_cast<unsigned char>(rest.front())) != 0) {
    rest.front() = static_cast<char>(std::toupper(static_cast<unsigned char>(rest.front())));
  }
  return rest;
}

}  // namespace parley::chat
