// Grounded generation: the prompt that asks a model to answer only from the bot's retrieved passages and to cite
// them, and the checks on what comes back (citations that point at real passages, the "not in the passages"
// answer that becomes the bot's fallback).
//
// Prompt layout (instructions and untrusted text kept apart): the system message holds only the operator's
// instructions and the rules; the retrieved passages — text from websites and documents, i.e. untrusted — are
// given in the visitor's turn inside explicit <passage> delimiters and declared to be data, never instructions;
// the visitor's own words come last, marked as the question.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "llm/types.h"

namespace parley::llm {

// The exact reply the model is told to give when the passages do not answer the question.
inline constexpr std::string_view kNoAnswerMarker = "NO_ANSWER";

struct Passage {
  int number = 0;  // cited as [number]
  std::string title;
  std::string text;
};

struct GroundedPromptInput {
  std::string bot_name;
  std::string persona;       // operator-written: who the bot is, tone
  std::string instructions;  // operator-written: extra rules
  std::string language;      // answer in this language unless the visitor writes in another
  std::vector<ChatMessage> history;  // earlier turns, oldest first (user / assistant)
  std::string question;
  std::vector<Passage> passages;
  int history_budget_tokens = 1500;
  // Counts tokens the way the model does (its tokenizer when known; an estimate otherwise).
  std::function<int(std::string_view)> count_tokens;
  // A random marker placed in the system message (guard/canary.h); an answer that repeats it leaked the prompt.
  std::string canary;
};

// ~4 characters per token: the estimate used when the model's tokenizer is not available.
int estimate_tokens(std::string_view text);

std::vector<ChatMessage> build_grounded_prompt(const GroundedPromptInput& input);

struct CitationCheck {
  std::string text;          // the answer with citations of passages that do not exist removed
  std::vector<int> cited;    // passage numbers cited, in order of first citation, each once
  bool declined = false;     // the model said the passages do not answer the question
};

CitationCheck check_citations(std::string_view answer, int passage_count);

// While an answer streams: whether `prefix` could still turn out to be the no-answer marker (so it must be held
// back from the visitor until it is decided).
bool may_become_no_answer(std::string_view prefix);

}  // namespace parley::llm
