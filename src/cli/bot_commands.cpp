// parley bot create --name N [--json] | parley bot list [--json] | parley bot embed --bot ID [--again] [--json]
#include <iostream>

#include <nlohmann/json.hpp>

#include "api/views.h"
#include "cli/commands.h"
#include "cli/providers.h"
#include "jobs/job_runner.h"
#include "semantic/embedding_job.h"
#include "leads/handoff.h"

namespace parley::cli {

void add_bot_commands(CLI::App& app, Globals& globals) {
  auto* bot = app.add_subcommand("bot", "Manage bots");
  bot->require_subcommand(1);

  auto* create = bot->add_subcommand("create", "Create a bot and print its id");
  auto name = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  create->add_option("--name", *name, "The bot's name")->required();
  create->add_flag("--json", *json, "Print the bot as JSON");
  create->callback(command_action(globals, [&globals, name, json]() -> Status {
    if (name->find_first_not_of(" \t") == std::string::npos) return make_error(ErrorCode::invalid_request, "--name is empty");
    PARLEY_ASSIGN_OR_RETURN(const Config config, load_config(globals.data_dir));
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(const std::string workspace, default_workspace(*store, config));
    std::optional<store::Bot> created;
    PARLEY_TRY(store->write(store::Scope::workspace(workspace), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(created, tx.create_bot(*name, leads::with_handoff_default({{"language", "en"}})));
      return {};
    }));
    std::cout << (*json ? api::bot_view(*created).dump() : created->id) << "\n";
    return {};
  }));

  auto* embed = bot->add_subcommand("embed", "Compute the vectors of a bot's chunks for hybrid retrieval, here and now");
  struct EmbedOptions {
    std::string bot;
    bool again = false;
    bool json = false;
  };
  auto embed_options = std::make_shared<EmbedOptions>();
  embed->add_option("--bot", embed_options->bot, "Bot id")->required();
  embed->add_flag("--again", embed_options->again, "Embed every chunk, also those that have a vector by the model");
  embed->add_flag("--json", embed_options->json, "Print the job's result as JSON");
  embed->callback(command_action(globals, [&globals, embed_options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(const Config config, load_config(globals.data_dir));
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(const std::string workspace, workspace_of_bot(*store, embed_options->bot));
    PARLEY_ASSIGN_OR_RETURN(auto embedder, load_embedding_model(config));
    auto index = std::make_shared<semantic::SemanticIndex>(*store, embedder, semantic::SemanticOptions{.background = false});
    jobs::JobRunner runner(*store);
    semantic::register_embedding_jobs(runner, index);
    const auto scope = store::Scope::workspace(workspace);
    PARLEY_ASSIGN_OR_RETURN(const auto queued,
                            semantic::enqueue_embedding(*store, scope, embed_options->bot, embed_options->again, "manual"));
    PARLEY_ASSIGN_OR_RETURN(const store::Job job, runner.run_job(scope, queued.id));
    if (job.state == store::JobState::failed) return make_error(ErrorCode::internal, "embedding failed: " + job.error);
    const auto& result = job.result;
    if (embed_options->json) {
      std::cout << nlohmann::json{{"job", job.id}, {"state", store::job_state_name(job.state)}, {"result", result}}.dump()
                << "\n";
      return {};
    }
    std::cout << "embedded " << result.value("computed", 0) << " chunks of bot " << embed_options->bot << " with "
              << result.value("model", "") << ": " << result.value("embedded", 0) << " of "
              << result.value("chunks", 0) << " chunks have its vectors (job " << job.id << ", "
              << store::job_state_name(job.state) << ")\n";
    return {};
  }));

  auto* list = bot->add_subcommand("list", "List the bots");
  auto list_json = std::make_shared<bool>(false);
  list->add_flag("--json", *list_json, "Print JSON");
  list->callback(command_action(globals, [&globals, list_json]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    nlohmann::json bots = nlohmann::json::array();
    PARLEY_TRY(store->read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto rows, tx.bots());
      for (const auto& row : rows) bots.push_back(api::bot_view(row));
      return {};
    }));
    if (*list_json) {
      std::cout << bots.dump() << "\n";
      return {};
    }
    for (const auto& row : bots) std::cout << row["id"].get<std::string>() << "  " << row["name"].get<std::string>() << "\n";
    return {};
  }));
}

}  // namespace parley::cli
