// Registration of each command group on the root CLI11 app, and what they share.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>
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

// The bot's workspace: CLI commands act with the operator's authority, across workspaces.
Result<std::string> workspace_of_bot(store::Store& store, const std::string& bot_id);

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
void add_job_commands(CLI::App& app, Globals& globals);
void add_store_commands(CLI::App& app, Globals& globals);

// `parley source add --crawl/--sitemap ...` (crawl_commands.cpp): the crawl settings given as flags.
struct CrawlOptions {
  std::string url;
  std::string sitemap;
  std::optional<int> max_pages;
  std::optional<int> max_depth;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::optional<int> concurrency;
  std::optional<int> delay_ms;
  std::optional<int> timeout_ms;
  std::string schedule;
  bool detach = false;  // queue the crawl for the server instead of running it here
  bool json = false;
  bool wanted() const { return !url.empty() || !sitemap.empty(); }
};
void add_crawl_options(CLI::App& command, CrawlOptions& options);
Status add_crawl_source(const Globals& globals, const std::string& bot_id, const CrawlOptions& options);
// `source sync`, `source list`, `source syncs` and `source report`.
void add_crawl_source_commands(CLI::App& source, Globals& globals);
void add_user_commands(CLI::App& app, Globals& globals);
void add_guard_commands(CLI::App& app, Globals& globals);
void add_lead_commands(CLI::App& app, Globals& globals);  // parley leads export|list
void add_eval_commands(CLI::App& app, Globals& globals);  // parley eval add|run|list|remove
// parley suggestions [answer] and parley qa add|list|edit|remove
void add_learn_commands(CLI::App& app, Globals& globals);
void add_backup_commands(CLI::App& app, Globals& globals);  // parley backup create|verify|restore
void add_doctor_command(CLI::App& app, Globals& globals);   // parley doctor
// parley workspace retention, parley erase, parley conversations export-finetune
void add_governance_commands(CLI::App& app, Globals& globals);

}  // namespace parley::cli
