// parley suggestions [answer]: learning from misses; parley qa add|list|edit|remove: curated Q&A pairs
// (learn/suggestions.h, learn/curated.h).
#include <algorithm>
#include <iostream>

#include "audit/audit.h"
#include "cli/commands.h"
#include "learn/suggestions.h"

namespace parley::cli {
namespace {

// A write in the bot's workspace (the CLI acts for the instance's operator), audited as done by "cli".
Status write_for_bot(const Globals& globals, const std::string& bot_id,
                     const std::function<Status(store::WriteTx&, const std::string& workspace)>& work) {
  PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
  PARLEY_ASSIGN_OR_RETURN(const std::string workspace, workspace_of_bot(*store, bot_id));
  return store->write(store::Scope::workspace(workspace),
                      [&](store::WriteTx& tx) -> Status { return work(tx, workspace); });
}

Status print_answered(const learn::Answered& answered, bool json) {
  if (json) {
    std::cout << learn::answered_json(answered).dump() << "\n";
    return {};
  }
  std::cout << answered.pair.id << "\n";
  if (answered.test) std::cout << "test case " << answered.test->id << "\n";
  return {};
}

void add_suggestions_commands(CLI::App& app, Globals& globals) {
  auto* suggestions = app.add_subcommand(
      "suggestions", "Questions the bot declined or that got a thumbs-down, grouped by meaning, most asked first");
  suggestions->require_subcommand(0, 1);
  auto list_bot = std::make_shared<std::string>();
  auto list_json = std::make_shared<bool>(false);
  suggestions->add_option("--bot", *list_bot, "The bot's id");
  suggestions->add_flag("--json", *list_json, "Print JSON (each: id, question, count, examples, ...)");

  struct AnswerOptions {
    std::string bot;
    std::string suggestion;
    learn::CuratedAnswer wanted;
    bool json = false;
  };
  auto answer_options = std::make_shared<AnswerOptions>();
  auto* answer = suggestions->add_subcommand(
      "answer", "Answer a suggestion: adds a curated Q&A pair to the bot's knowledge (and, with --test, a test case)");
  answer->add_option("--bot", answer_options->bot, "The bot's id")->required();
  answer->add_option("suggestion_id", answer_options->suggestion, "The suggestion's id")->required();
  answer->add_option("--answer", answer_options->wanted.pair.answer, "The answer the bot should give")->required();
  answer->add_option("--question", answer_options->wanted.pair.question,
                     "The pair's question (default: the suggestion's most asked wording)");
  answer->add_flag("--test", answer_options->wanted.add_test,
                   "Also add a test case: the question must be answered from this pair");
  answer->add_flag("--json", answer_options->json, "Print the pair (and test case) as JSON");
  answer->callback(command_action(globals, [&globals, answer_options]() -> Status {
    std::optional<learn::Answered> answered;
    PARLEY_TRY(write_for_bot(globals, answer_options->bot, [&](store::WriteTx& tx, const std::string& workspace) -> Status {
      PARLEY_ASSIGN_OR_RETURN(answered, learn::answer_suggestion(tx, answer_options->bot, answer_options->suggestion,
                                                                 answer_options->wanted));
      return audit::record(tx, workspace, {"cli", "bot.suggestion.answer", answered->pair.id, nullptr,
                                           learn::answered_json(*answered)});
    }));
    return print_answered(*answered, answer_options->json);
  }));

  suggestions->callback(command_action(globals, [&globals, suggestions, list_bot, list_json]() -> Status {
    if (!suggestions->get_subcommands().empty()) return {};  // `suggestions answer` did the work
    if (list_bot->empty()) return make_error(ErrorCode::invalid_request, "--bot is required");
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    std::vector<learn::Suggestion> open;
    PARLEY_TRY(store->read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(open, learn::list_suggestions(tx, *list_bot));
      return {};
    }));
    if (*list_json) {
      store::Json rows = store::Json::array();
      for (const auto& suggestion : open) rows.push_back(learn::suggestion_json(suggestion));
      std::cout << rows.dump() << "\n";
      return {};
    }
    for (const auto& suggestion : open) {
      std::cout << suggestion.id << "  " << suggestion.count << "x  " << suggestion.question << "\n";
      for (const auto& example : suggestion.examples) {
        if (example != suggestion.question) std::cout << "      also: " << example << "\n";
      }
    }
    if (open.empty()) std::cout << "No open suggestions: no declined or thumbs-down questions left to answer.\n";
    return {};
  }));
}

void add_qa_commands(CLI::App& app, Globals& globals) {
  auto* qa = app.add_subcommand("qa", "A bot's curated Q&A pairs: add, list, edit, remove");
  qa->require_subcommand(1);

  struct AddOptions {
    std::string bot;
    learn::CuratedAnswer wanted;
    bool json = false;
  };
  auto add_options = std::make_shared<AddOptions>();
  auto* add = qa->add_subcommand("add", "Add a Q&A pair to the bot's knowledge and print its id");
  add->add_option("--bot", add_options->bot, "The bot's id")->required();
  add->add_option("--question", add_options->wanted.pair.question, "The question")->required();
  add->add_option("--answer", add_options->wanted.pair.answer, "The answer")->required();
  add->add_flag("--test", add_options->wanted.add_test, "Also add a test case: the question must be answered from this pair");
  add->add_flag("--json", add_options->json, "Print the pair (and test case) as JSON");
  add->callback(command_action(globals, [&globals, add_options]() -> Status {
    std::optional<learn::Answered> answered;
    PARLEY_TRY(write_for_bot(globals, add_options->bot, [&](store::WriteTx& tx, const std::string& workspace) -> Status {
      PARLEY_ASSIGN_OR_RETURN(answered, learn::add_curated_answer(tx, add_options->bot, add_options->wanted));
      return audit::record(tx, workspace, {"cli", "bot.qa.create", answered->pair.id, nullptr,
                                           learn::answered_json(*answered)});
    }));
    return print_answered(*answered, add_options->json);
  }));

  auto list_bot = std::make_shared<std::string>();
  auto list_json = std::make_shared<bool>(false);
  auto* list = qa->add_subcommand("list", "List the bot's curated Q&A pairs");
  list->add_option("--bot", *list_bot, "The bot's id")->required();
  list->add_flag("--json", *list_json, "Print JSON");
  list->callback(command_action(globals, [&globals, list_bot, list_json]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    std::vector<learn::CuratedPair> pairs;
    PARLEY_TRY(store->read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(pairs, learn::list_pairs(tx, *list_bot));
      return {};
    }));
    if (*list_json) {
      store::Json rows = store::Json::array();
      for (const auto& pair : pairs) rows.push_back(learn::pair_json(pair));
      std::cout << rows.dump() << "\n";
      return {};
    }
    for (const auto& pair : pairs) std::cout << pair.id << "  Q: " << pair.question << "\n      A: " << pair.answer << "\n";
    return {};
  }));

  struct EditOptions {
    std::string bot;
    std::string pair;
    std::optional<std::string> question;
    std::optional<std::string> answer;
  };
  auto edit_options = std::make_shared<EditOptions>();
  auto* edit = qa->add_subcommand("edit", "Change a pair's question or answer (only that pair is indexed again)");
  edit->add_option("--bot", edit_options->bot, "The bot's id")->required();
  edit->add_option("pair_id", edit_options->pair, "The pair's id")->required();
  edit->add_option("--question", edit_options->question, "The new question");
  edit->add_option("--answer", edit_options->answer, "The new answer");
  edit->callback(command_action(globals, [&globals, edit_options]() -> Status {
    if (!edit_options->question && !edit_options->answer) {
      return make_error(ErrorCode::invalid_request, "give --question, --answer or both");
    }
    return write_for_bot(globals, edit_options->bot, [&](store::WriteTx& tx, const std::string& workspace) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto pairs, learn::list_pairs(tx, edit_options->bot));
      const auto before = std::find_if(pairs.begin(), pairs.end(),
                                       [&](const learn::CuratedPair& pair) { return pair.id == edit_options->pair; });
      if (before == pairs.end()) return make_error(ErrorCode::not_found, "no such Q&A pair for this bot");
      const learn::PairText wanted{edit_options->question.value_or(before->question),
                                   edit_options->answer.value_or(before->answer)};
      PARLEY_ASSIGN_OR_RETURN(const auto after, learn::update_pair(tx, edit_options->bot, edit_options->pair, wanted));
      return audit::record(tx, workspace, {"cli", "bot.qa.update", after.id, learn::pair_json(*before),
                                           learn::pair_json(after)});
    });
  }));

  auto remove_bot = std::make_shared<std::string>();
  auto remove_pair = std::make_shared<std::string>();
  auto* remove = qa->add_subcommand("remove", "Delete a Q&A pair");
  remove->add_option("--bot", *remove_bot, "The bot's id")->required();
  remove->add_option("pair_id", *remove_pair, "The pair's id")->required();
  remove->callback(command_action(globals, [&globals, remove_bot, remove_pair]() -> Status {
    return write_for_bot(globals, *remove_bot, [&](store::WriteTx& tx, const std::string& workspace) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto removed, learn::remove_pair(tx, *remove_bot, *remove_pair));
      return audit::record(tx, workspace, {"cli", "bot.qa.delete", removed.id, learn::pair_json(removed), nullptr});
    });
  }));
}

}  // namespace

void add_learn_commands(CLI::App& app, Globals& globals) {
  add_suggestions_commands(app, globals);
  add_qa_commands(app, globals);
}

}  // namespace parley::cli
