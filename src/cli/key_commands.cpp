// parley key create --name N [--role R] [--json] | parley key list [--json] | parley key revoke KEY_ID
// API keys of the default workspace; a created key is printed once and only its hash is kept.
#include <iostream>

#include <nlohmann/json.hpp>

#include "auth/api_keys.h"
#include "api/views.h"
#include "audit/audit.h"
#include "cli/commands.h"
#include "common/clock.h"

namespace parley::cli {
namespace {

struct WorkspaceStore {
  std::unique_ptr<store::Store> store;
  std::string workspace;
};

Result<WorkspaceStore> open_workspace(const Globals& globals) {
  PARLEY_ASSIGN_OR_RETURN(auto config, load_config(globals.data_dir));
  PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
  PARLEY_ASSIGN_OR_RETURN(auto workspace, default_workspace(*store, config));
  return WorkspaceStore{std::move(store), std::move(workspace)};
}

}  // namespace

void add_key_commands(CLI::App& app, Globals& globals) {
  auto* key = app.add_subcommand("key", "Manage API keys of the workspace");
  key->require_subcommand(1);

  auto* create = key->add_subcommand("create", "Create an API key (printed once)");
  struct CreateOptions {
    std::string name = "api key";
    std::string role = "admin";
    bool json = false;
  };
  auto options = std::make_shared<CreateOptions>();
  create->add_option("--name", options->name, "What the key is for")->capture_default_str();
  create->add_option("--role", options->role, "owner, admin, agent or viewer")->capture_default_str();
  create->add_flag("--json", options->json, "Print JSON");
  create->callback(command_action(globals, [&globals, options]() -> Status {
    const auto role = store::parse_role(options->role);
    if (!role) return make_error(ErrorCode::invalid_request, "unknown role: " + options->role);
    PARLEY_ASSIGN_OR_RETURN(auto opened, open_workspace(globals));
    std::optional<auth::IssuedKey> issued;
    PARLEY_TRY(opened.store->write(store::Scope::workspace(opened.workspace), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(issued, auth::issue_api_key(tx, opened.workspace, options->name, *role));
      return audit::record(tx, opened.workspace,
                           {"cli", "key.create", issued->record.id, nullptr,
                            nlohmann::json{{"name", options->name}, {"role", options->role}}});
    }));
    if (options->json) {
      std::cout << nlohmann::json{{"id", issued->record.id}, {"key", issued->key}, {"role", options->role}}.dump() << "\n";
    } else {
      std::cout << issued->key << "\n";
    }
    return {};
  }));

  auto* list = key->add_subcommand("list", "List API keys (never their secrets)");
  auto list_json = std::make_shared<bool>(false);
  list->add_flag("--json", *list_json, "Print JSON");
  list->callback(command_action(globals, [&globals, list_json]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto opened, open_workspace(globals));
    nlohmann::json keys = nlohmann::json::array();
    PARLEY_TRY(opened.store->read(store::Scope::workspace(opened.workspace), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto rows, tx.api_keys());
      for (const auto& row : rows) keys.push_back(api::key_view(row));
      return {};
    }));
    if (*list_json) {
      std::cout << keys.dump() << "\n";
      return {};
    }
    for (const auto& k : keys) {
      std::cout << k["id"].get<std::string>() << "  " << k["prefix"].get<std::string>() << "...  " << k["role"].get<std::string>()
                << "  " << k["name"].get<std::string>() << (k["revoked"].get<bool>() ? "  (revoked)" : "") << "\n";
    }
    return {};
  }));

  auto* revoke = key->add_subcommand("revoke", "Revoke an API key");
  auto key_id = std::make_shared<std::string>();
  revoke->add_option("key_id", *key_id, "Key id (from `parley key list`)")->required();
  revoke->callback(command_action(globals, [&globals, key_id]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto opened, open_workspace(globals));
    return opened.store->write(store::Scope::workspace(opened.workspace),
                               [&](store::WriteTx& tx) -> Status {
                                 PARLEY_TRY(tx.revoke_api_key(*key_id));
                                 return audit::record(tx, opened.workspace,
                                                      {"cli", "key.revoke", *key_id, nullptr, nlohmann::json{{"revoked", true}}});
                               });
  }));
}

}  // namespace parley::cli
