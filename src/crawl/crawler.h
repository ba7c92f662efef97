// Website crawls as background jobs. A crawl source holds its settings (crawl_config.h); each sync of it — the
// first crawl and every resync — is one job of kind "crawl":
//
//  1. seeding: robots.txt, the sitemap(s) (indexes and gzip too) and the start URL fill the job's frontier;
//  2. crawling: breadth-first over same-site links, politely (per-host concurrency and delay, Crawl-delay,
//     robots rules), with conditional requests (ETag / Last-Modified) and content hashes so that unchanged
//     pages cost no parsing or indexing; every page ends as an outcome with a reason;
//  3. finishing: documents of pages no longer found are removed (only after a complete crawl), and the
//     source's schedule moves on.
//
// Pages and the frontier are written together in batches, one short transaction each: a crash or restart loses
// at most the pages in flight, which the resumed job fetches again, and chat reads are never blocked for long.
#pragma once

#include <chrono>

#include "common/result.h"
#include "crawl/crawl_config.h"
#include "ingest/ingest.h"
#include "jobs/job_runner.h"
#include "store/store.h"

namespace parley::crawl {

inline constexpr std::string_view kCrawlJobKind = "crawl";

struct CrawlerOptions {
  std::string user_agent = "ParleyBot/0.1 (+https://github.com/parley-chat/parley)";
  std::size_t batch_pages = 32;                     // pages per write transaction
  std::chrono::milliseconds batch_interval{1'000};  // and at least this often
  ingest::IngestOptions ingest;
  bool allow_private_addresses = false;  // FetchOptions::allow_private_addresses
};

// The handler of "crawl" jobs.
Result<store::Json> run_crawl(jobs::JobContext& context, const CrawlerOptions& options = {});
void register_crawl_jobs(jobs::JobRunner& runner, const CrawlerOptions& options = {});

// The settings of a crawl source (an error for other sources).
Result<CrawlConfig> source_crawl_config(const store::Source& source);
std::int64_t source_schedule_seconds(const store::Source& source);

struct QueuedCrawl {
  store::Source source;
  store::Job job;
};

// Adds a crawl source to a bot and queues its first crawl.
Result<QueuedCrawl> add_crawl_source(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                                     const CrawlConfig& config);
// Queues a resync of a crawl source ("manual" or "schedule").
Result<store::Job> queue_sync(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                              const std::string& source_id, const std::string& trigger = "manual");
// Replaces a crawl source's settings (e.g. its schedule); the next sync uses them.
Result<store::Source> update_crawl_source(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                                          const std::string& source_id, const store::Json& changes);

}  // namespace parley::crawl
