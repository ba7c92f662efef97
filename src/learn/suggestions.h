// Learning from misses (issue 17): the questions a bot declined or whose answers got a thumbs-down, grouped by
// meaning into suggestions (questions with the same analysed terms, in the bot's language: "How do I return a
// bike?" and "returning bikes" are one), with counts and examples. The owner answers a suggestion in one step: a
// curated pair (curated.h) and, if asked, a test case (evals.h); its misses up to then are settled, so it leaves
// the list, and comes back only if visitors miss it again afterwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "learn/curated.h"
#include "store/store.h"
#include "text/analyzer.h"

namespace parley::learn {

struct Suggestion {
  std::string id;        // stable for the same analysed terms: "sg_" and 16 hex digits of their SHA-256
  std::string question;  // the wording asked most often (the latest of equals)
  std::int64_t count = 0;
  std::int64_t declined = 0;
  std::int64_t thumbs_down = 0;
  std::int64_t last_asked_at = 0;
  std::vector<std::string> examples;  // distinct wordings, latest first, at most kMaxExamples
};

inline constexpr std::size_t kMaxExamples = 5;

// The suggestion id of a question: the same for questions with the same analysed terms.
std::string suggestion_id(const text::Analyzer& analyzer, std::string_view question);

// Groups the misses into suggestions, most asked first (then latest); misses settled by an answer are left out.
std::vector<Suggestion> group_misses(const std::vector<store::MissedQuestion>& missed,
                                     const std::vector<store::SuggestionAnswer>& answered,
                                     const text::Analyzer& analyzer);

// The bot's open suggestions; not_found for an unknown bot.
Result<std::vector<Suggestion>> list_suggestions(store::ReadTx& tx, std::string_view bot_id);

struct CuratedAnswer {
  PairText pair;
  bool add_test = false;  // also add a test case: the question must be answered from this pair
};

// Reads {question?, answer, test?} from a JSON object (a missing text is empty: the checks refuse it).
Result<CuratedAnswer> curated_answer_from_json(const store::Json& body);

struct Answered {
  CuratedPair pair;
  std::optional<store::EvalCase> test;
  std::optional<Suggestion> suggestion;  // the suggestion it settled, if any
};

// Adds a curated pair (and, if asked, its test case). A suggestion with the same analysed question is settled by
// it: "Improve this answer" and a pair typed for a known miss take it off the list too.
Result<Answered> add_curated_answer(store::WriteTx& tx, std::string_view bot_id, const CuratedAnswer& wanted);

// Answers an open suggestion: wanted.pair.question empty means the suggestion's own question. not_found when the
// suggestion is not open (answered already, or never was); nothing is written then, nor for a refused answer.
Result<Answered> answer_suggestion(store::WriteTx& tx, std::string_view bot_id, std::string_view suggestion_id,
                                   CuratedAnswer wanted);

store::Json suggestion_json(const Suggestion& suggestion);
store::Json answered_json(const Answered& answered);

}  // namespace parley::learn
