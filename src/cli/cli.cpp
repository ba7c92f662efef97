#include "cli/cli.h"

#include <cstdlib>
#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "common/logging.h"
#if PARLEY_HAVE_ENGINE_CLI
#include "engine/cli/model_commands.h"
#include "guard/model_hash.h"
#endif

namespace parley::cli {

Result<std::unique_ptr<store::Store>> open_data_store(const Globals& globals) {
  PARLEY_ASSIGN_OR_RETURN(const Config config, load_config(globals.data_dir));
  const store::StoreOptions options = store_options(globals.data_dir, config);
  if (options.url.empty() && !std::filesystem::exists(options.path)) {
    return make_error(ErrorCode::not_found, "no Parley data in " + globals.data_dir + "; run `parley init` first");
  }
  return store::open_store(options);
}

Result<std::string> default_workspace(store::Store& store, const Config& config) {
  if (!config.default_workspace.empty()) return config.default_workspace;
  std::string id;
  PARLEY_TRY(store.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto workspaces, tx.workspaces());
    if (workspaces.empty()) return make_error(ErrorCode::not_found, "no workspace; run `parley init`");
    id = workspaces.front().id;
    return {};
  }));
  return id;
}

Result<std::string> workspace_of_bot(store::Store& store, const std::string& bot_id) {
  std::string workspace;
  PARLEY_TRY(store.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(bot_id));
    if (!bot) return make_error(ErrorCode::not_found, "no such bot: " + bot_id);
    workspace = bot->workspace_id;
    return {};
  }));
  return workspace;
}

int fail(const Error& error) {
  std::cerr << "error: " << error.message << "\n";
  return 1;
}

std::function<void()> command_action(Globals& globals, std::function<Status()> body) {
  return [&globals, body = std::move(body)] {
    try {
      if (const Status status = body(); !status.ok()) globals.exit_code = fail(status.error());
    } catch (const std::exception& error) {
      globals.exit_code = fail({ErrorCode::internal, error.what()});
    }
  };
}

int run(int argc, char** argv) {
  // Logs on stderr: stdout is for what commands print (results, --json, the server's banner).
  spdlog::set_default_logger(spdlog::stderr_color_mt("parley"));
  CLI::App app{"Parley: your own AI chatbot, built from your own content"};
  app.require_subcommand(1);
  Globals globals;
  std::string log_level = "warn";
  std::string log_format = "text";
  std::string config_file;
  app.add_option("--data", globals.data_dir, "Data folder (database and parley.toml)")->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
  app.add_option("--config", config_file, "Settings file (default: <data>/parley.toml; also $PARLEY_CONFIG)");
  app.add_option("--log-format", log_format, "text, or json (one object per line, with the request id)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.parse_complete_callback([&] {
    if (!config_file.empty()) ::setenv("PARLEY_CONFIG", config_file.c_str(), 1);
    spdlog::set_level(spdlog::level::from_str(log_level));
    LogFormat format = LogFormat::text;
    parse_log_format(log_format, format);
    set_log_format(format);
  });
  add_init_command(app, globals);
  add_serve_command(app, globals);
  add_bot_commands(app, globals);
  add_source_commands(app, globals);
  add_ask_command(app, globals);
  add_key_commands(app, globals);
  add_job_commands(app, globals);
  add_store_commands(app, globals);
  add_user_commands(app, globals);
  add_guard_commands(app, globals);
  add_lead_commands(app, globals);
  add_eval_commands(app, globals);
  add_learn_commands(app, globals);
  add_backup_commands(app, globals);
  add_doctor_command(app, globals);
  add_governance_commands(app, globals);
#if PARLEY_HAVE_ENGINE_CLI
  // `model pull` downloads only from the sources parley.toml allows (engine.allowed_model_sources), if it names any.
  engine::register_model_commands(app, [&globals](std::string_view url) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const Config config, load_config(globals.data_dir));
    if (guard::model_source_allowed(url, config.engine.allowed_model_sources)) return {};
    return make_error(ErrorCode::forbidden, std::string(url) + " is not among engine.allowed_model_sources in " +
                                                config_path(globals.data_dir).string());
  });
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CLI11 reports an unknown command as a missing one; name it instead.
    if (const auto extras = app.remaining(); !extras.empty() && app.get_subcommands().empty()) {
      std::cerr << "error: unknown command '" << extras.front() << "'; run `parley --help` for the list\n";
      return 2;
    }
    return app.exit(error);
  }
  return globals.exit_code;
}

}  // namespace parley::cli
