// parley init [--demo] [--workspace NAME] [--admin-email EMAIL] [--json]: creates the data folder, the database, a
// workspace, its first admin API key and its owner's admin-app sign-in (both printed once), and optionally the demo
// bot.
#include <iostream>

#include <nlohmann/json.hpp>

#include "auth/api_keys.h"
#include "auth/passwords.h"
#include "cli/commands.h"
#include "demo/demo.h"

namespace parley::cli {

void add_init_command(CLI::App& app, Globals& globals) {
  auto* command = app.add_subcommand("init", "Create the data folder with a workspace and an admin API key");
  struct Options {
    bool demo = false;
    bool json = false;
    std::string workspace = "Default";
    std::string admin_email = "admin@parley.local";
    std::string admin_name;
  };
  auto options = std::make_shared<Options>();
  command->add_flag("--demo", options->demo, "Also create the Northwind Bikes demo bot");
  command->add_flag("--json", options->json, "Print the result as JSON");
  command->add_option("--workspace", options->workspace, "Name of the first workspace")->capture_default_str();
  command->add_option("--admin-name", options->admin_name, "The owner's name, shown to visitors they answer (settable in the admin app)");
  command->add_option("--admin-email", options->admin_email, "Email the owner signs in to the admin app with")
      ->capture_default_str();
  command->callback(command_action(globals, [&globals, options]() -> Status {
    const std::filesystem::path data(globals.data_dir);
    Config config;
    const store::StoreOptions store_options = cli::store_options(data, config);
    if (store_options.url.empty() && std::filesystem::exists(store_options.path)) {
      return make_error(ErrorCode::conflict, globals.data_dir + " is already initialised");
    }
    std::error_code error;
    std::filesystem::create_directories(data, error);
    if (error) return make_error(ErrorCode::internal, "cannot create " + globals.data_dir + ": " + error.message());
    PARLEY_ASSIGN_OR_RETURN(auto store, store::open_store(store_options));
    if (!store_options.url.empty()) {
      // A shared database is initialised once, by whoever comes first.
      bool empty = true;
      PARLEY_TRY(store->read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(auto workspaces, tx.workspaces());
        empty = workspaces.empty();
        return {};
      }));
      if (!empty) return make_error(ErrorCode::conflict, "the PostgreSQL database is already initialised");
      // The data folder remembers its database; another replica's folder gets a copy of this parley.toml.
      config.store_url = store_options.url;
    }
    std::string api_key;
    const std::string password = auth::generate_password();
    PARLEY_ASSIGN_OR_RETURN(const std::string password_hash, auth::hash_password(password));
    PARLEY_TRY(store->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace(options->workspace));
      config.default_workspace = workspace.id;
      PARLEY_ASSIGN_OR_RETURN(auto issued, auth::issue_api_key(tx, workspace.id, "admin (parley init)", store::Role::owner));
      api_key = issued.key;
      store::User owner;
      owner.workspace_id = workspace.id;
      owner.email = options->admin_email;
      owner.name = options->admin_name;  // empty: the agent is shown by the email's name until they set theirs
      owner.password_hash = password_hash;
      owner.role = store::Role::owner;
      PARLEY_TRY(tx.create_user(owner));
      return {};
    }));
    std::optional<demo::DemoBot> demo_bot;
    if (options->demo) {
      PARLEY_ASSIGN_OR_RETURN(demo_bot, demo::create_demo_bot(*store, config.default_workspace));
      config.demo_bot_id = demo_bot->bot_id;
    }
    // Settings an operator (or a package) already wrote are theirs: only a missing file is written.
    const bool kept_config = std::filesystem::exists(config_path(data));
    if (!kept_config) PARLEY_TRY(save_config(data, config));
    if (options->json) {
      nlohmann::json out = {{"data", globals.data_dir}, {"workspace_id", config.default_workspace}, {"api_key", api_key},
                            {"admin_email", options->admin_email}, {"admin_password", password}};
      if (demo_bot) out["demo_bot_id"] = demo_bot->bot_id;
      std::cout << out.dump() << "\n";
      return {};
    }
    if (kept_config) {
      std::cout << "Kept the settings in " << config_path(data).string()
                << (demo_bot ? " (add [demo] bot_id = \"" + demo_bot->bot_id + "\" to serve the demo page)" : "") << "\n";
    }
    std::cout << "Initialised Parley in " << globals.data_dir << "\n"
              << "Workspace:     " << config.default_workspace << "\n"
              << "Admin API key: " << api_key << "\n"
              << "               (shown only now; only its hash is stored. `parley key create` makes more.)\n"
              << "Admin sign-in: " << options->admin_email << " / " << password << "\n"
              << "               (the admin app at /admin; shown only now, stored only as an argon2id hash)\n";
    if (demo_bot) {
      std::cout << "Demo bot:      " << demo_bot->bot_id << " (Northwind Bikes, " << demo_bot->documents
                << " documents, " << demo_bot->chunks << " chunks)\n";
    }
    return {};
  }));
}

}  // namespace parley::cli
