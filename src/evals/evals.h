// A bot's test suite (issue 17): questions with what a good answer must do (cite a source, contain a phrase, or
// decline), run through the chat service's answer path and judged, each result kept beside the previous run's.
// Runs against the bot as it is: drafts and published versions do not exist yet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/chat_service.h"
#include "common/result.h"
#include "store/store.h"

namespace parley::evals {

// What an owner gives for a new case; validated by add_case.
struct NewCase {
  std::string question;
  std::string expect_source;
  std::string expect_text;
  bool expect_decline = false;
};

// Reads a new case from a JSON object {question, expect_source?, expect_text?, expect_decline?}.
Result<NewCase> new_case_from_json(const store::Json& body);

// Adds a case to the bot's suite after checking it: a question (valid UTF-8, not blank, at most 2,000 characters)
// and at least one expectation (phrases valid UTF-8, not blank, at most 500 characters). Runs in the caller's
// transaction so the caller can audit the change in the same one.
Result<store::EvalCase> add_case(store::WriteTx& tx, std::string_view bot_id, const NewCase& wanted);

// Removes one case of the bot; the removed case, or not_found (unknown bot or case).
Result<store::EvalCase> remove_case(store::WriteTx& tx, std::string_view bot_id, std::string_view case_id);

// The bot's cases with their latest results; not_found for an unknown bot.
Result<std::vector<store::EvalCase>> list_cases(store::ReadTx& tx, std::string_view bot_id);

struct CaseRun {
  store::EvalCase eval_case;      // as it was before this run (`last` is the previous run's result)
  store::EvalResult result;       // this run's
  std::vector<std::string> failures;  // why it failed, one line per unmet expectation (empty when it passed)
  bool changed() const { return eval_case.last && eval_case.last->passed != result.passed; }
};

struct SuiteRun {
  std::string bot_id;
  int passed = 0;
  int failed = 0;
  std::int64_t elapsed_ms = 0;
  std::vector<CaseRun> cases;
};

// Whether `answer` meets the case's expectations; the unmet ones, described.
std::vector<std::string> judge(const store::EvalCase& eval_case, const chat::ComposedAnswer& answer);

// Asks every case of the bot through `chat` (retrieval and composition, the chat endpoint's answer without a model;
// no conversation is written), judges each, and stores the results as the cases' latest. `scope` is the caller's
// workspace (or the system scope for the CLI). not_found for an unknown bot.
Result<SuiteRun> run_suite(store::Store& store, const chat::ChatService& chat, const store::Scope& scope,
                           std::string_view bot_id);

store::Json case_json(const store::EvalCase& eval_case);
store::Json run_json(const SuiteRun& run);

}  // namespace parley::evals
