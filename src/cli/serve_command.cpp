// parley serve [--host H] [--port P]: runs the HTTP server until SIGINT/SIGTERM.
#include <iostream>

#include <spdlog/spdlog.h>

#include "api/api.h"
#include "cli/commands.h"
#include "http/server.h"

namespace parley::cli {

void add_serve_command(CLI::App& app, Globals& globals) {
  auto* command = app.add_subcommand("serve", "Run the HTTP server (API, chat endpoint, demo page)");
  struct Options {
    std::optional<std::string> host;
    std::optional<int> port;
  };
  auto options = std::make_shared<Options>();
  command->add_option("--host", options->host, "Address to listen on (default from parley.toml, else 127.0.0.1)");
  command->add_option("--port", options->port, "Port to listen on; 0 picks a free one")->check(CLI::Range(0, 65535));
  command->callback(command_action(globals, [&globals, options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(const Config config, load_config(globals.data_dir));
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    api::ApiOptions api_options;
    api_options.max_upload_bytes = static_cast<std::size_t>(config.max_upload_mb) << 20;
    api_options.demo_bot_id = config.demo_bot_id;
    api::ApiContext context(*store, api_options);
    http::Router router;
    api::register_routes(router, context);

    http::ServerOptions server_options;
    server_options.host = options->host.value_or(config.host);
    server_options.port = static_cast<unsigned short>(options->port.value_or(config.port));
    server_options.io_threads = config.io_threads;
    server_options.worker_threads = config.worker_threads;
    http::Server server(server_options, router);
    PARLEY_TRY(server.listen());
    const std::string base = "http://" + server_options.host + ":" + std::to_string(server.port());
    std::cout << "Parley is listening on " << base << "\n"
              << "  Admin API:  " << base << "/api/v1  (Authorization: Bearer <the key printed by `parley init`>)\n";
    if (!config.demo_bot_id.empty()) std::cout << "  Demo page:  " << base << "/demo\n";
    std::cout << "  Health:     " << base << "/healthz\n" << std::flush;
    server.start();
    server.run_until_signal();
    spdlog::info("stopped");
    return {};
  }));
}

}  // namespace parley::cli
