// The specifics of a question that an answer must not contradict: quantities ("after 40 days", "$500", "a 30-day
// return"). A passage that states the same kind of quantity with another value contradicts the question ("within
// 30 days" for "after 40 days"), which lowers the answer's confidence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "text/analyzer.h"

namespace parley::chat {

struct Quantity {
  std::string value;               // digits as written, separators dropped ("1,200" -> "1200", "2.5" stays)
  std::vector<std::string> units;  // stems of the words right after it ("day"), or the currency sign before it
};

struct Specifics {
  std::vector<Quantity> quantities;
};

Specifics specifics_of(const text::Analyzer& analyzer, std::string_view text);

// How a passage stands to the question's specifics.
struct SpecificsCheck {
  int contradicted = 0;  // quantities the passage states with another value for the same unit
};
SpecificsCheck check_specifics(const text::Analyzer& analyzer, const Specifics& question, std::string_view passage);

// The confidence multiplier for a check: 1 when everything is supported.
double specifics_factor(const SpecificsCheck& check);

// A curated answer without its opening "Yes"/"No" ("Yes, within 30 days ..." -> "Within 30 days ..."), for when
// the question's specifics differ from what the answer assumes (the policy stands, the verdict does not), or when
// the question asks no yes/no question ("How much is express shipping to Hawaii?" -> not "Yes. Accessories ...").
std::string without_verdict(std::string_view answer);

}  // namespace parley::chat
