// Websites and background jobs from the command line:
//   parley source add --bot ID --crawl URL [--sitemap URL] [--max-pages N] [--max-depth N] [--include P]...
//                     [--exclude P]... [--schedule daily] [--detach] [--json]
//   parley source sync --bot ID SOURCE_ID [--detach] [--json]     resync a website now
//   parley source list --bot ID [--json]                          sources with their state and schedule
//   parley source syncs --bot ID SOURCE_ID [--json]               the record of each sync
//   parley source report --bot ID [--json]                        the data-quality report
//   parley job list --bot ID [--json] | job show --bot ID JOB_ID [--pages OUTCOME] [--json]
//   parley job pause|resume|cancel --bot ID JOB_ID
// Without --detach a crawl runs in this process (under the same lease as the server's runner, so the two never
// run one job) and prints what it added, updated and removed; with it, the running server picks the job up.
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "api/views.h"
#include "cli/commands.h"
#include "cli/providers.h"
#include "semantic/status.h"
#include "common/clock.h"
#include "common/progress.h"
#include "crawl/crawler.h"
#include "ingest/report.h"
#include "jobs/job_runner.h"
#include "jobs/jobs.h"

namespace parley::cli {
namespace {

using Json = store::Json;

struct BotStore {
  std::unique_ptr<store::Store> store;
  store::Scope scope = store::Scope::system();
};

Result<BotStore> open_for_bot(const Globals& globals, const std::string& bot_id) {
  PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
  PARLEY_ASSIGN_OR_RETURN(const std::string workspace, workspace_of_bot(*store, bot_id));
  return BotStore{std::move(store), store::Scope::workspace(workspace)};
}

std::int64_t count(const Json& result, const char* key) { return result.value(key, std::int64_t{0}); }

void print_sync(const store::Job& job, const store::Source& source, const std::vector<store::CrawlPage>& notable) {
  const Json& r = job.result;
  std::cout << "synced " << source.name << " (source " << source.id << ", job " << job.id << "): "
            << std::string(store::job_state_name(job.state)) << "\n"
            << "  " << count(r, "added") << " added, " << count(r, "updated") << " updated, " << count(r, "unchanged")
            << " unchanged, " << count(r, "removed") << " removed, " << count(r, "failed") << " failed, "
            << count(r, "skipped") << " skipped, " << count(r, "redirected") << " redirected";
  if (r.value("truncated", false)) std::cout << " (stopped at the page limit)";
  std::cout << "\n";
  if (!job.error.empty()) std::cout << "  error: " << job.error << "\n";
  for (const auto& page : notable) std::cout << "  " << page.outcome << " " << page.url << ": " << page.reason << "\n";
}

// While a crawl runs on this thread: its progress as the job stores it (pages done of pages found), and Ctrl-C turned
// into the job's own pause, so that it stops at its next page with everything fetched so far kept.
class CrawlWatcher {
 public:
  CrawlWatcher(store::Store& store, const store::Scope& scope, const store::Job& job, bool quiet)
      : progress_("crawl", "pages", 0, progress_style_for(stderr, quiet)),
        thread_([this, &store, scope, job] { watch(store, scope, job); }) {}
  ~CrawlWatcher() { finish(); }
  CrawlWatcher(const CrawlWatcher&) = delete;
  CrawlWatcher& operator=(const CrawlWatcher&) = delete;
  // Stops watching and blanks the bar (the outcome is printed next).
  void finish() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    progress_.clear();
  }
  bool paused() const { return paused_; }

 private:
  void watch(store::Store& store, const store::Scope& scope, const store::Job& job) {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(250), [&] { return done_; })) {
      lock.unlock();
      if (Interruption::requested() && !paused_) {
        paused_ = jobs::control_job(store, scope, job.bot_id, job.id, jobs::JobAction::pause).ok();
      }
      std::optional<store::Job> current;
      const Status read = store.read(scope, [&](store::ReadTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(current, tx.job(job.id));
        return {};
      });
      if (read.ok() && current) {
        progress_.set_total(static_cast<double>(current->progress.value("pages_found", std::int64_t{0})));
        progress_.update(static_cast<double>(current->progress.value("pages_done", std::int64_t{0})));
      }
      lock.lock();
    }
  }

  Progress progress_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::atomic<bool> paused_{false};
  std::thread thread_;
};

// Runs a queued crawl job here and prints its outcome.
Status run_here(const Globals& globals, store::Store& store, const store::Scope& scope, const store::Job& queued,
                bool json) {
  PARLEY_ASSIGN_OR_RETURN(const Config config, load_config(globals.data_dir));
  crawl::CrawlerOptions crawler;
  crawler.allow_private_addresses = config.allow_private_addresses;
  jobs::JobRunner runner(store);
  crawl::register_crawl_jobs(runner, crawler);
  const Interruption interruption;
  CrawlWatcher watcher(store, scope, queued, json);
  PARLEY_ASSIGN_OR_RETURN(const store::Job job, runner.run_job(scope, queued.id));
  watcher.finish();
  std::optional<store::Source> source;
  std::vector<store::CrawlPage> notable;
  PARLEY_TRY(store.read(scope, [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(source, tx.source(job.bot_id, job.source_id));
    for (const char* outcome : {"failed", "removed"}) {
      store::CrawlPageFilter filter;
      filter.outcome = outcome;
      filter.limit = 50;
      PARLEY_ASSIGN_OR_RETURN(auto pages, tx.crawl_pages(job.id, filter));
      notable.insert(notable.end(), pages.begin(), pages.end());
    }
    return {};
  }));
  if (json) {
    Json out = api::job_view(job);
    if (source) out["source"] = api::source_view(*source);
    std::cout << out.dump(2) << "\n";
  } else if (source) {
    print_sync(job, *source, notable);
  }
  if (job.state == store::JobState::failed) return make_error(ErrorCode::unprocessable, "the crawl failed: " + job.error);
  if (job.state == store::JobState::paused && watcher.paused()) {
    std::cerr << "interrupted: the crawl is paused with " << job.progress.value("pages_done", std::int64_t{0})
              << " page(s) kept; `parley job resume --bot " << job.bot_id << " " << job.id
              << "` continues it (the server, or `parley source sync`, picks it up)\n";
    return make_error(ErrorCode::unavailable, "interrupted");
  }
  return {};
}

void print_job(const store::Job& job) {
  std::cout << job.id << "  " << job.kind << "  " << std::string(store::job_state_name(job.state))
            << (job.requested.empty() ? "" : " (" + job.requested + " requested)") << "  "
            << job.progress.value("pages_done", std::int64_t{0}) << "/" << job.progress.value("pages_found", std::int64_t{0})
            << " pages  " << format_rfc3339(job.created_at) << (job.error.empty() ? "" : "  error: " + job.error) << "\n";
}

void print_report(const Json& report) {
  const Json& summary = report["summary"];
  std::cout << "Data-quality report for bot " << report["bot_id"].get<std::string>() << " ("
            << summary["documents"] << " documents, " << summary["chunks"] << " chunks)\n";
  const Json& semantic = report["semantic"];
  const std::string status = semantic.value("status", "off");
  if (status != "off") {
    std::cout << "Semantic search (" << semantic.value("model", semantic.value("model_path", std::string())) << "): "
              << status << ", " << semantic.value("embedded_chunks", std::int64_t{0}) << " of "
              << semantic.value("chunks", std::int64_t{0}) << " chunks embedded"
              << (semantic.contains("error") ? "\n  " + semantic["error"].get<std::string>() : std::string()) << "\n";
  }
  const auto section = [&](const char* title, const char* key, const std::function<std::string(const Json&)>& line) {
    const Json& items = report[key];
    std::cout << "\n" << title << ": " << (items.empty() ? "none" : std::to_string(items.size())) << "\n";
    for (const auto& item : items) std::cout << "  - " << line(item) << "\n";
  };
  const auto uri = [](const Json& ref) { return ref.value("uri", std::string()); };
  section("Exact duplicates", "exact_duplicates", [&](const Json& item) {
    std::string line;
    for (const auto& ref : item["documents"]) line += (line.empty() ? "" : " = ") + uri(ref);
    return line;
  });
  section("Near duplicates", "near_duplicates", [&](const Json& item) {
    return uri(item["a"]) + " ~ " + uri(item["b"]) + " (" + std::to_string(static_cast<int>(item["similarity"].get<double>() * 100)) + "% similar)";
  });
  section("Boilerplate", "boilerplate", [](const Json& item) {
    return "on " + std::to_string(item["pages"].get<std::int64_t>()) + " pages" +
           (item["indexed"].get<bool>() ? "" : " (kept out of the index)") + ": \"" + item["text"].get<std::string>() + "\"";
  });
  section("Empty or thin", "empty_or_thin", [&](const Json& item) {
    return uri(item) + " (" + item["problem"].get<std::string>() + ", " + std::to_string(item["words"].get<std::int64_t>()) + " words)";
  });
  section("Repetitive (little information)", "repetitive",
          [&](const Json& item) { return uri(item) + ": " + item["problem"].get<std::string>(); });
  section("Failed", "failed", [&](const Json& item) { return uri(item) + ": " + item.value("reason", std::string()); });
  section("Not in the bot's language", "other_language",
          [&](const Json& item) { return uri(item) + " (" + item["language"].get<std::string>() + ")"; });
  section("Conflicting answers", "contradictions", [](const Json& item) {
    return "\"" + item["question"].get<std::string>() + "\" (" + item["uri"].get<std::string>() + ") vs \"" +
           item["other_question"].get<std::string>() + "\" (" + item["other_uri"].get<std::string>() + "): " +
           item["reason"].get<std::string>();
  });
  section("Stale (not changed for a long time)", "stale", [&](const Json& item) {
    return uri(item) + " (last changed " + item["last_changed"].get<std::string>() + ", " +
           std::to_string(item["days"].get<std::int64_t>()) + " days ago)";
  });
}

}  // namespace

void add_crawl_options(CLI::App& command, CrawlOptions& options) {
  command.add_option("--crawl", options.url, "Website to crawl, from this start URL");
  command.add_option("--sitemap", options.sitemap, "Sitemap (or sitemap index, gzip too) listing the pages to crawl");
  command.add_option("--max-pages", options.max_pages, "Pages fetched per sync (default 1000)")->check(CLI::Range(1, 1'000'000));
  command.add_option("--max-depth", options.max_depth, "Links followed from the start URL (default 10)")->check(CLI::Range(0, 100));
  // One pattern per flag, so that a pattern never swallows the words after it.
  command.add_option("--include", options.include, "Only URLs whose path matches (robots.txt-style pattern; repeatable)")
      ->allow_extra_args(false);
  command.add_option("--exclude", options.exclude, "Never URLs whose path matches (repeatable)")->allow_extra_args(false);
  command.add_option("--concurrency", options.concurrency, "Requests in flight per host (default 2)")->check(CLI::Range(1, 16));
  command.add_option("--delay-ms", options.delay_ms, "Pause between two requests to a host (default 250)")->check(CLI::Range(0, 60'000));
  command.add_option("--timeout-ms", options.timeout_ms, "Time limit per page (default 30000)")->check(CLI::Range(100, 300'000));
  command.add_option("--schedule", options.schedule, "Resync every: off, hourly, daily, weekly, or like 6h, 2d");
  command.add_flag("--detach", options.detach, "Queue the crawl (or the files) for the running server instead of working here");
  command.add_flag("--json", options.json, "Print JSON");
}

Status add_crawl_source(const Globals& globals, const std::string& bot_id, const CrawlOptions& options) {
  Json settings = Json::object();
  if (!options.url.empty()) settings["url"] = options.url;
  if (!options.sitemap.empty()) settings["sitemap"] = options.sitemap;
  if (options.max_pages) settings["max_pages"] = *options.max_pages;
  if (options.max_depth) settings["max_depth"] = *options.max_depth;
  if (!options.include.empty()) settings["include"] = options.include;
  if (!options.exclude.empty()) settings["exclude"] = options.exclude;
  if (options.concurrency) settings["concurrency"] = *options.concurrency;
  if (options.delay_ms) settings["delay_ms"] = *options.delay_ms;
  if (options.timeout_ms) settings["timeout_ms"] = *options.timeout_ms;
  if (!options.schedule.empty()) settings["schedule"] = options.schedule;
  PARLEY_ASSIGN_OR_RETURN(const auto config, crawl::crawl_config_from_json(settings));
  PARLEY_ASSIGN_OR_RETURN(auto opened, open_for_bot(globals, bot_id));
  PARLEY_ASSIGN_OR_RETURN(const auto queued, crawl::add_crawl_source(*opened.store, opened.scope, bot_id, config));
  if (options.detach) {
    if (options.json) {
      std::cout << Json{{"source", api::source_view(queued.source)}, {"job", api::job_view(queued.job)}}.dump(2) << "\n";
    } else {
      std::cout << "queued " << queued.source.name << " (source " << queued.source.id << ", job " << queued.job.id
                << "); the server crawls it\n";
    }
    return {};
  }
  return run_here(globals, *opened.store, opened.scope, queued.job, options.json);
}

void add_crawl_source_commands(CLI::App& source, Globals& globals) {
  struct Options {
    std::string bot;
    std::string source_id;
    bool detach = false;
    bool json = false;
    int stale_days = 365;
  };
  auto options = std::make_shared<Options>();

  auto* sync = source.add_subcommand("sync", "Resync a website source now (changed pages re-indexed, gone pages removed)");
  sync->add_option("--bot", options->bot, "Bot id")->required();
  sync->add_option("source", options->source_id, "Source id")->required();
  sync->add_flag("--detach", options->detach, "Queue the sync for the running server instead of running it here");
  sync->add_flag("--json", options->json, "Print JSON");
  sync->callback(command_action(globals, [&globals, options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto opened, open_for_bot(globals, options->bot));
    PARLEY_ASSIGN_OR_RETURN(const auto job, crawl::queue_sync(*opened.store, opened.scope, options->bot, options->source_id));
    if (options->detach) {
      std::cout << (options->json ? api::job_view(job).dump(2) : "queued job " + job.id) << "\n";
      return {};
    }
    return run_here(globals, *opened.store, opened.scope, job, options->json);
  }));

  auto* list = source.add_subcommand("list", "List a bot's sources");
  list->add_option("--bot", options->bot, "Bot id")->required();
  list->add_flag("--json", options->json, "Print JSON");
  list->callback(command_action(globals, [&globals, options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto opened, open_for_bot(globals, options->bot));
    return opened.store->read(opened.scope, [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto sources, tx.sources(options->bot));
      Json out = Json::array();
      for (const auto& row : sources) {
        if (options->json) {
          out.push_back(api::source_view(row));
          continue;
        }
        std::cout << row.id << "  " << std::string(store::source_kind_name(row.kind)) << "  " << row.status << "  "
                  << row.document_count << " documents, " << row.chunk_count << " chunks  " << row.name;
        if (row.next_sync_at) std::cout << "  next sync " << format_rfc3339(*row.next_sync_at);
        if (!row.error.empty()) std::cout << "  error: " << row.error;
        std::cout << "\n";
      }
      if (options->json) std::cout << out.dump(2) << "\n";
      return {};
    });
  }));

  auto* syncs = source.add_subcommand("syncs", "The record of a source's syncs: what each added, updated, removed, failed");
  syncs->add_option("--bot", options->bot, "Bot id")->required();
  syncs->add_option("source", options->source_id, "Source id")->required();
  syncs->add_flag("--json", options->json, "Print JSON");
  syncs->callback(command_action(globals, [&globals, options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto opened, open_for_bot(globals, options->bot));
    return opened.store->read(opened.scope, [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto found, tx.source(options->bot, options->source_id));
      if (!found) return make_error(ErrorCode::not_found, "no such source");
      store::JobFilter filter;
      filter.bot_id = options->bot;
      filter.source_id = found->id;
      PARLEY_ASSIGN_OR_RETURN(auto jobs, tx.jobs(filter));
      Json out = Json::array();
      for (const auto& job : jobs) {
        if (options->json) {
          out.push_back(api::job_view(job));
          continue;
        }
        std::cout << format_rfc3339(job.created_at) << "  " << job.trigger << "  ";
        print_sync(job, *found, {});
      }
      if (options->json) std::cout << out.dump(2) << "\n";
      return {};
    });
  }));

  auto* report = source.add_subcommand("report", "Data-quality report: duplicates, boilerplate, thin, failed, conflicting, stale");
  report->add_option("--bot", options->bot, "Bot id")->required();
  report->add_option("--stale-days", options->stale_days, "Unchanged for this many days counts as stale")->capture_default_str();
  report->add_flag("--json", options->json, "Print JSON");
  report->callback(command_action(globals, [&globals, options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto opened, open_for_bot(globals, options->bot));
    PARLEY_ASSIGN_OR_RETURN(const Config config, load_config(globals.data_dir));
    ingest::ReportOptions report_options;
    report_options.stale_days = options->stale_days;
    PARLEY_ASSIGN_OR_RETURN(auto result, ingest::build_report(*opened.store, opened.scope, options->bot, report_options));
    PARLEY_TRY(semantic::add_to_report(*opened.store, opened.scope, options->bot, embedding_model_status(config),
                                       nullptr, result));
    if (options->json) {
      std::cout << result.dump(2) << "\n";
    } else {
      print_report(result);
    }
    return {};
  }));
}

void add_job_commands(CLI::App& app, Globals& globals) {
  auto* job = app.add_subcommand("job", "Background jobs (crawls and resyncs)");
  job->require_subcommand(1);
  struct Options {
    std::string bot;
    std::string job_id;
    std::string pages;
    bool json = false;
  };
  auto options = std::make_shared<Options>();

  auto* list = job->add_subcommand("list", "A bot's jobs, newest first");
  list->add_option("--bot", options->bot, "Bot id")->required();
  list->add_flag("--json", options->json, "Print JSON");
  list->callback(command_action(globals, [&globals, options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto opened, open_for_bot(globals, options->bot));
    return opened.store->read(opened.scope, [&](store::ReadTx& tx) -> Status {
      store::JobFilter filter;
      filter.bot_id = options->bot;
      PARLEY_ASSIGN_OR_RETURN(auto jobs, tx.jobs(filter));
      Json out = Json::array();
      for (const auto& row : jobs) {
        if (options->json) {
          out.push_back(api::job_view(row));
        } else {
          print_job(row);
        }
      }
      if (options->json) std::cout << out.dump(2) << "\n";
      return {};
    });
  }));

  auto* show = job->add_subcommand("show", "One job: state, progress, result, and its pages by outcome");
  show->add_option("--bot", options->bot, "Bot id")->required();
  show->add_option("job", options->job_id, "Job id")->required();
  show->add_option("--pages", options->pages, "List the pages with this outcome (failed, removed, added, ...)");
  show->add_flag("--json", options->json, "Print JSON");
  show->callback(command_action(globals, [&globals, options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto opened, open_for_bot(globals, options->bot));
    return opened.store->read(opened.scope, [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto found, tx.job(options->job_id));
      if (!found || found->bot_id != options->bot) return make_error(ErrorCode::not_found, "no such job");
      Json out = api::job_view(*found);
      std::vector<store::CrawlPage> pages;
      if (!options->pages.empty()) {
        store::CrawlPageFilter filter;
        filter.outcome = options->pages == "pending" ? "" : options->pages;
        filter.pending_only = options->pages == "pending";
        filter.limit = 1000;
        PARLEY_ASSIGN_OR_RETURN(pages, tx.crawl_pages(found->id, filter));
        out["pages"] = Json::array();
        for (const auto& page : pages) out["pages"].push_back(api::crawl_page_view(page));
      }
      if (options->json) {
        std::cout << out.dump(2) << "\n";
        return {};
      }
      print_job(*found);
      std::cout << "  progress: " << found->progress.dump() << "\n  result: " << found->result.dump() << "\n";
      for (const auto& page : pages) std::cout << "  " << page.outcome << " " << page.url << (page.reason.empty() ? "" : ": " + page.reason) << "\n";
      return {};
    });
  }));

  for (const char* action : {"pause", "resume", "cancel"}) {
    auto* command = job->add_subcommand(action, std::string(action) + " a job (a running one within about a second)");
    command->add_option("--bot", options->bot, "Bot id")->required();
    command->add_option("job", options->job_id, "Job id")->required();
    command->callback(command_action(globals, [&globals, options, action]() -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto opened, open_for_bot(globals, options->bot));
      PARLEY_ASSIGN_OR_RETURN(const auto updated, jobs::control_job(*opened.store, opened.scope, options->bot, options->job_id,
                                                                    *jobs::parse_job_action(action)));
      print_job(updated);
      return {};
    }));
  }
}

}  // namespace parley::cli
