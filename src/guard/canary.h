// A canary for the system prompt: a random marker placed in the instructions a model gets. If an answer contains it
// (also hidden: spaced out, with zero-width characters, in other letter case), the model has leaked its prompt and
// the answer must not be shown. The prompt layout that places it is the generation layer's (src/llm); this is the
// marker and the check.
#pragma once

#include <string>
#include <string_view>

namespace parley::guard {

// "canary-" and 16 random hex digits.
std::string make_canary();

// True when `answer` contains `canary`, after the same normalisation the injection detector uses (case folding,
// invisible characters removed) and with separators between its characters ignored.
bool leaks_canary(std::string_view answer, std::string_view canary);

}  // namespace parley::guard
