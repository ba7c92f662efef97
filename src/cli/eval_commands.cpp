// parley eval add|run|list|remove: a bot's test suite (evals/evals.h).
#include <iostream>

#include "audit/audit.h"
#include "chat/chat_service.h"
#include "cli/commands.h"
#include "evals/evals.h"

namespace parley::cli {
namespace {

// Exit status of `eval run` when some case failed (the same status as a publish stopped by its eval gate).
constexpr int kCasesFailed = 4;

std::string expectations_text(const store::EvalCase& eval_case) {
  std::string text;
  const auto add = [&](const std::string& part) { text += (text.empty() ? "" : ", ") + part; };
  if (!eval_case.expect_source.empty()) add("source \"" + eval_case.expect_source + "\"");
  if (!eval_case.expect_text.empty()) add("text \"" + eval_case.expect_text + "\"");
  if (eval_case.expect_decline) add("decline");
  return text;
}

}  // namespace

void add_eval_commands(CLI::App& app, Globals& globals) {
  auto* eval = app.add_subcommand("eval", "A bot's test suite: questions with what a good answer must do");
  eval->require_subcommand(1);

  struct AddOptions {
    std::string bot;
    evals::NewCase wanted;
    bool json = false;
  };
  auto add_options = std::make_shared<AddOptions>();
  auto* add = eval->add_subcommand("add", "Add a test case and print its id");
  add->add_option("--bot", add_options->bot, "The bot's id")->required();
  add->add_option("--question", add_options->wanted.question, "The question to ask")->required();
  add->add_option("--expect-source", add_options->wanted.expect_source,
                  "A cited source's title or URL must contain this (case-insensitive)");
  add->add_option("--expect-text", add_options->wanted.expect_text, "The answer must contain this (case-insensitive)");
  add->add_flag("--expect-decline", add_options->wanted.expect_decline, "The bot must decline to answer");
  add->add_flag("--json", add_options->json, "Print the case as JSON");
  add->callback(command_action(globals, [&globals, add_options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(const std::string workspace, workspace_of_bot(*store, add_options->bot));
    std::optional<store::EvalCase> created;
    PARLEY_TRY(store->write(store::Scope::workspace(workspace), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(created, evals::add_case(tx, add_options->bot, add_options->wanted));
      return audit::record(tx, workspace, {"cli", "bot.test.create", created->id, nullptr, evals::case_json(*created)});
    }));
    std::cout << (add_options->json ? evals::case_json(*created).dump() : created->id) << "\n";
    return {};
  }));

  auto run_bot = std::make_shared<std::string>();
  auto run_json = std::make_shared<bool>(false);
  auto* run = eval->add_subcommand("run", "Ask every test question and judge the answers (exit status 4 when a case fails)");
  run->add_option("--bot", *run_bot, "The bot's id")->required();
  run->add_flag("--json", *run_json, "Print {passed, failed, cases} as JSON");
  run->callback(command_action(globals, [&globals, run_bot, run_json]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(const std::string workspace, workspace_of_bot(*store, *run_bot));
    const search::Retriever retriever;
    const chat::ChatService chat(*store, retriever);
    PARLEY_ASSIGN_OR_RETURN(const auto result, evals::run_suite(*store, chat, store::Scope::workspace(workspace), *run_bot));
    if (result.failed > 0) globals.exit_code = kCasesFailed;
    if (*run_json) {
      std::cout << evals::run_json(result).dump() << "\n";
      return {};
    }
    for (const auto& case_run : result.cases) {
      std::cout << (case_run.result.passed ? "PASS  " : "FAIL  ") << case_run.eval_case.id << "  "
                << case_run.eval_case.question;
      if (case_run.changed()) std::cout << "  (was " << (case_run.eval_case.last->passed ? "passing" : "failing") << ")";
      std::cout << "\n";
      for (const auto& failure : case_run.failures) std::cout << "      " << failure << "\n";
    }
    std::cout << result.passed << " passed, " << result.failed << " failed (" << result.elapsed_ms << " ms)\n";
    return {};
  }));

  auto list_bot = std::make_shared<std::string>();
  auto list_json = std::make_shared<bool>(false);
  auto* list = eval->add_subcommand("list", "List a bot's test cases with their latest results");
  list->add_option("--bot", *list_bot, "The bot's id")->required();
  list->add_flag("--json", *list_json, "Print JSON");
  list->callback(command_action(globals, [&globals, list_bot, list_json]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    std::vector<store::EvalCase> cases;
    PARLEY_TRY(store->read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(cases, evals::list_cases(tx, *list_bot));
      return {};
    }));
    if (*list_json) {
      store::Json rows = store::Json::array();
      for (const auto& eval_case : cases) rows.push_back(evals::case_json(eval_case));
      std::cout << rows.dump() << "\n";
      return {};
    }
    for (const auto& eval_case : cases) {
      const char* last = !eval_case.last ? "never run" : eval_case.last->passed ? "passed" : "failed";
      std::cout << eval_case.id << "  " << eval_case.question << "  [" << expectations_text(eval_case) << "; " << last
                << "]\n";
    }
    return {};
  }));

  auto remove_bot = std::make_shared<std::string>();
  auto remove_case = std::make_shared<std::string>();
  auto* remove = eval->add_subcommand("remove", "Remove a test case");
  remove->add_option("--bot", *remove_bot, "The bot's id")->required();
  remove->add_option("case_id", *remove_case, "The case's id")->required();
  remove->callback(command_action(globals, [&globals, remove_bot, remove_case]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(const std::string workspace, workspace_of_bot(*store, *remove_bot));
    PARLEY_TRY(store->write(store::Scope::workspace(workspace), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto removed, evals::remove_case(tx, *remove_bot, *remove_case));
      return audit::record(tx, workspace, {"cli", "bot.test.delete", removed.id, evals::case_json(removed), nullptr});
    }));
    return {};
  }));
}

}  // namespace parley::cli
