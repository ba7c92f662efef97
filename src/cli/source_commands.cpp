// parley source add --bot ID PATH... [--detach] [--quiet]: ingests files (a folder adds every file in it,
// recursively), here or, with --detach, as background jobs of the running server. Progress: a bar on a terminal
// (files, MB/s, time left), a line every few seconds otherwise; Ctrl-C stops after the batch being written and says
// what was kept.
// parley source add --bot ID --crawl URL [--sitemap URL] [--max-pages N] ...: adds a website (crawl_commands.cpp).
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "common/progress.h"
#include "ingest/ingest.h"
#include "ingest/upload_jobs.h"

namespace parley::cli {
namespace {

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
  auto* add = source->add_subcommand("add", "Add files (or folders of files), or a website to crawl, to a bot's knowledge");
  struct Options {
    std::string bot;
    std::vector<std::string> paths;
    CrawlOptions crawl;
    bool quiet = false;
  };
  auto options = std::make_shared<Options>();
  add->add_option("--bot", options->bot, "Bot id")->required();
  add->add_option("paths", options->paths, "Files or folders");
  add->add_flag("--quiet", options->quiet, "No progress output");
  add_crawl_options(*add, options->crawl);
  add->callback(command_action(globals, [&globals, options]() -> Status {
    if (options->crawl.wanted()) {
      if (!options->paths.empty()) return make_error(ErrorCode::invalid_request, "add files or a website, not both at once");
      return add_crawl_source(globals, options->bot, options->crawl);
    }
    if (options->paths.empty()) {
      return make_error(ErrorCode::invalid_request, "name files or folders to add, or a website with --crawl URL / --sitemap URL");
    }
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(const std::string workspace, workspace_of_bot(*store, options->bot));
    const auto scope = store::Scope::workspace(workspace);
    const auto paths = expand_paths(options->paths);
    int failures = 0, added = 0, unchanged = 0;
    const Interruption interruption;
    Progress progress(options->crawl.detach ? "queue" : "add", "files", static_cast<double>(paths.size()),
                      progress_style_for(stderr, options->quiet));
    // On a terminal the bar stands for the per-file lines; failures and warnings are printed either way.
    const bool per_file_lines = !progress.is_bar();
    std::size_t done = 0;
    // Files are read and stored in batches (ingest::kUploadBatchFiles): bounded memory, few transactions.
    for (std::size_t start = 0; start < paths.size();) {
      if (Interruption::requested()) {
        progress.clear();
        std::cerr << "interrupted: " << done << " of " << paths.size() << " file(s) were "
                  << (options->crawl.detach ? "queued" : "added or found unchanged")
                  << " and are kept; the other " << paths.size() - done
                  << " were not. Run the same command again to finish: files already added are skipped as unchanged.\n";
        return make_error(ErrorCode::unavailable, "interrupted");
      }
      std::vector<std::string> contents;
      std::vector<std::filesystem::path> batch_paths;
      std::size_t batch_bytes = 0;
      for (; start < paths.size() && contents.size() < ingest::kUploadBatchFiles && batch_bytes < ingest::kUploadBatchBytes; ++start) {
        std::ifstream in(paths[start], std::ios::binary);
        if (!in) {
          progress.clear();
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
      if (options->crawl.detach) {
        // Handed to the running server as a background job per batch.
        if (uploads.empty()) continue;
        PARLEY_ASSIGN_OR_RETURN(const auto job, ingest::queue_uploads(*store, scope, options->bot, uploads));
        progress.clear();
        std::cout << "queued " << uploads.size() << " file(s) as job " << job.id << "\n";
        done = start;
        progress.update(static_cast<double>(done));
        continue;
      }
      auto outcomes = ingest::add_files(*store, scope, uploads);
      if (!outcomes.ok()) {
        progress.clear();
        std::cerr << "stopped: " << outcomes.error().message << ". The " << done << " file(s) before this batch are kept; "
                  << "run the same command again once it is fixed (they are skipped as unchanged).\n";
        return outcomes.error();
      }
      for (std::size_t i = 0; i < outcomes->size(); ++i) {
        const auto& outcome = (*outcomes)[i];
        if (!outcome.ok()) {
          progress.clear();
          std::cerr << "failed " << batch_paths[i].string() << ": " << outcome.error().message << "\n";
          ++failures;
          continue;
        }
        ++(outcome->unchanged ? unchanged : added);
        if (per_file_lines || !outcome->warnings.empty()) {
          progress.clear();
          std::cout << (outcome->unchanged ? "unchanged " : "added ") << batch_paths[i].string() << " ("
                    << outcome->chunk_count << " chunks) " << outcome->source.id << "\n";
          for (const auto& warning : outcome->warnings) std::cout << "  warning: " << warning << "\n";
          std::cout << std::flush;
        }
      }
      done = start;
      progress.update(static_cast<double>(done));
    }
    progress.update(static_cast<double>(paths.size()));
    progress.finish(std::to_string(added) + " added, " + std::to_string(unchanged) + " unchanged, " +
                    std::to_string(failures) + " failed of " + std::to_string(paths.size()) + " file(s)");
    if (failures > 0) return make_error(ErrorCode::unprocessable, std::to_string(failures) + " file(s) could not be added");
    return {};
  }));
  add_crawl_source_commands(*source, globals);
}

}  // namespace parley::cli
