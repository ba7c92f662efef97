// parley source add --bot ID PATH... : ingests files (a folder adds every file in it, recursively).
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "ingest/ingest.h"

namespace parley::cli {
namespace {

// The bot's workspace: CLI commands act with the operator's authority, across workspaces.
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

std::vector<std::filesystem::path> expand_paths(const std::vector<std::string>& paths) {
  std::vector<std::filesystem::path> files;
  for (const auto& path : paths) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path, error)) {
        if (entry.is_regular_file()) found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.emplace_back(path);
    }
  }
  return files;
}

}  // namespace

void add_source_commands(CLI::App& app, Globals& globals) {
  auto* source = app.add_subcommand("source", "Manage a bot's knowledge sources");
  source->require_subcommand(1);
  auto* add = source->add_subcommand("add", "Add files (or folders of files) to a bot's knowledge");
  struct Options {
    std::string bot;
    std::vector<std::string> paths;
  };
  auto options = std::make_shared<Options>();
  add->add_option("--bot", options->bot, "Bot id")->required();
  add->add_option("paths", options->paths, "Files or folders")->required();
  add->callback(command_action(globals, [&globals, options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(const std::string workspace, workspace_of_bot(*store, options->bot));
    const auto scope = store::Scope::workspace(workspace);
    const auto paths = expand_paths(options->paths);
    int failures = 0;
    // Files are read and stored in batches: one transaction per batch keeps bulk imports fast.
    constexpr std::size_t kBatchFiles = 64;
    constexpr std::size_t kBatchBytes = 32u << 20;
    for (std::size_t start = 0; start < paths.size();) {
      std::vector<std::string> contents;
      std::vector<std::filesystem::path> batch_paths;
      std::size_t batch_bytes = 0;
      for (; start < paths.size() && contents.size() < kBatchFiles && batch_bytes < kBatchBytes; ++start) {
        std::ifstream in(paths[start], std::ios::binary);
        if (!in) {
          std::cerr << "failed " << paths[start].string() << ": cannot read the file\n";
          ++failures;
          continue;
        }
        std::ostringstream bytes;
        bytes << in.rdbuf();
        contents.push_back(bytes.str());
        batch_paths.push_back(paths[start]);
        batch_bytes += contents.back().size();
      }
      std::vector<ingest::FileUpload> uploads;
      for (std::size_t i = 0; i < contents.size(); ++i) {
        uploads.push_back({options->bot, batch_paths[i].filename().string(), "", contents[i]});
      }
      PARLEY_ASSIGN_OR_RETURN(auto outcomes, ingest::add_files(*store, scope, uploads));
      for (std::size_t i = 0; i < outcomes.size(); ++i) {
        const auto& outcome = outcomes[i];
        if (!outcome.ok()) {
          std::cerr << "failed " << batch_paths[i].string() << ": " << outcome.error().message << "\n";
          ++failures;
          continue;
        }
        std::cout << (outcome->unchanged ? "unchanged " : "added ") << batch_paths[i].string() << " ("
                  << outcome->chunk_count << " chunks) " << outcome->source.id << "\n";
        for (const auto& warning : outcome->warnings) std::cout << "  warning: " << warning << "\n";
      }
    }
    if (failures > 0) return make_error(ErrorCode::unprocessable, std::to_string(failures) + " file(s) could not be added");
    return {};
  }));
}

}  // namespace parley::cli
