// Registration of each command group on the root CLI11 app, and what they share.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/config.h"
#include "common/result.h"
#include "store/store.h"

namespace parley::cli {

struct Globals {
  std::string data_dir = "data";
  int exit_code = 0;
};

// The data folder's store, or an error telling the user to run `parley init`.
Result<std::unique_ptr<store::Store>> open_data_store(const Globals& globals);

// The workspace commands act in: the configured default, else the first one.
Result<std::string> default_workspace(store::Store& store, const Config& config);

// Prints "error: <message>" to stderr and returns 1.
int fail(const Error& error);

// A CLI11 callback running `body`: its error is printed and becomes exit status 1; exceptions are caught.
std::function<void()> command_action(Globals& globals, std::function<Status()> body);

void add_init_command(CLI::App& app, Globals& globals);
void add_serve_command(CLI::App& app, Globals& globals);
void add_bot_commands(CLI::App& app, Globals& globals);
void add_source_commands(CLI::App& app, Globals& globals);
void add_ask_command(CLI::App& app, Globals& globals);
void add_key_commands(CLI::App& app, Globals& globals);

}  // namespace parley::cli
