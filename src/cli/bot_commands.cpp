// parley bot create --name N [--json] | parley bot list [--json]
#include <iostream>

#include <nlohmann/json.hpp>

#include "api/views.h"
#include "cli/commands.h"

namespace parley::cli {

void add_bot_commands(CLI::App& app, Globals& globals) {
  auto* bot = app.add_subcommand("bot", "Manage bots");
  bot->require_subcommand(1);

  auto* create = bot->add_subcommand("create", "Create a bot and print its id");
  auto name = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  create->add_option("--name", *name, "The bot's name")->required();
  create->add_flag("--json", *json, "Print the bot as JSON");
  create->callback([&globals, name, json] {
    auto store = open_data_store(globals);
    auto config = load_config(globals.data_dir);
    if (!store.ok() || !config.ok()) {
      globals.exit_code = fail(!store.ok() ? store.error() : config.error());
      return;
    }
    auto workspace = default_workspace(**store, *config);
    if (!workspace.ok()) {
      globals.exit_code = fail(workspace.error());
      return;
    }
    if (name->find_first_not_of(" \t") == std::string::npos) {
      globals.exit_code = fail({ErrorCode::invalid_request, "--name is empty"});
      return;
    }
    std::optional<store::Bot> created;
    const auto status = (*store)->write(store::Scope::workspace(*workspace), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(created, tx.create_bot(*name, {{"language", "en"}}));
      return {};
    });
    if (!status.ok()) {
      globals.exit_code = fail(status.error());
      return;
    }
    std::cout << (*json ? api::bot_view(*created).dump() : created->id) << "\n";
  });

  auto* list = bot->add_subcommand("list", "List the bots");
  auto list_json = std::make_shared<bool>(false);
  list->add_flag("--json", *list_json, "Print JSON");
  list->callback([&globals, list_json] {
    auto store = open_data_store(globals);
    if (!store.ok()) {
      globals.exit_code = fail(store.error());
      return;
    }
    nlohmann::json bots = nlohmann::json::array();
    const auto status = (*store)->read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto rows, tx.bots());
      for (const auto& row : rows) bots.push_back(api::bot_view(row));
      return {};
    });
    if (!status.ok()) {
      globals.exit_code = fail(status.error());
      return;
    }
    if (*list_json) {
      std::cout << bots.dump() << "\n";
      return;
    }
    for (const auto& bot_row : bots) std::cout << bot_row["id"].get<std::string>() << "  " << bot_row["name"].get<std::string>() << "\n";
  });
}

}  // namespace parley::cli
