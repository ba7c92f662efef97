// Crawl throughput against a site on loopback (Parley's own HTTP server serving the demo help centre, varied so
// that every page is new content): a first crawl of N pages, then a resync of the unchanged site (conditional
// requests answered 304). Prints pages/s and the speed-up of the resync.
// Usage: crawl_bench [pages, default 1000] [concurrency, default 8]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "crawl/crawler.h"
#include "demo/demo.h"
#include "jobs/job_runner.h"
#include "support/test_site.h"

namespace {

using Clock = std::chrono::steady_clock;

// The demo page with some words numbered, so that every copy is a different page.
std::string vary(std::string_view page, unsigned seed) {
  std::mt19937 random(seed);
  std::string out;
  std::size_t word = 0;
  bool in_tag = false;
  for (char c : page) {
    out += c;
    if (c == '<') in_tag = true;
    if (c == '>') in_tag = false;
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    word = letter && !in_tag ? word + 1 : 0;
    if (word == 6 && random() % 8 == 0) out += std::to_string(random() % 5000);
  }
  return out;
}

struct Run {
  double seconds = 0;
  parley::store::Job job;
};

Run crawl(parley::store::Store& store, const parley::store::Scope& scope, const parley::store::Job& job) {
  parley::jobs::JobRunner runner(store);
  parley::crawl::CrawlerOptions crawler;
  crawler.allow_private_addresses = true;  // the benchmark site is on loopback
  parley::crawl::register_crawl_jobs(runner, crawler);
  const auto started = Clock::now();
  auto ended = runner.run_job(scope, job.id);
  Run run;
  run.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (!ended.ok() || ended->state != parley::store::JobState::succeeded) {
    std::fprintf(stderr, "crawl failed: %s\n", ended.ok() ? ended->error.c_str() : ended.error().message.c_str());
    std::exit(1);
  }
  run.job = *ended;
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  const int pages = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int concurrency = argc > 2 ? std::atoi(argv[2]) : 8;
  std::vector<std::string> templates;
  for (const auto& file : parley::demo::knowledge_files()) {
    if (std::string_view(file.name).ends_with(".html")) templates.emplace_back(file.bytes);
  }
  parley::testing::TestSite site;
  std::string sitemap = R"(<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
  std::size_t bytes = 0;
  for (int i = 0; i < pages; ++i) {
    const std::string path = "/page/" + std::to_string(i);
    // Each page links the next few, so that links and the sitemap both lead everywhere.
    std::string links = "<nav>";
    for (int k = 1; k <= 5; ++k) links += "<a href=\"/page/" + std::to_string((i + k) % pages) + "\">next</a>";
    links += "</nav>";
    std::string html = vary(templates[static_cast<std::size_t>(i) % templates.size()], static_cast<unsigned>(i));
    const auto body = html.find("<body>");
    html.insert(body == std::string::npos ? 0 : body + 6, links);
    parley::testing::TestPage page;
    page.body = std::move(html);
    bytes += page.body.size();
    site.set(path, std::move(page));
    sitemap += "<url><loc>" + site.url(path) + "</loc></url>";
  }
  parley::testing::TestPage sitemap_page;
  sitemap_page.body = sitemap + "</urlset>";
  sitemap_page.content_type = "application/xml";
  site.set("/sitemap.xml", sitemap_page);

  const auto folder = std::filesystem::temp_directory_path() / ("parley-crawl-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  auto store = std::move(parley::store::open_store({(folder / "bench.db").string()})).value();
  std::string workspace, bot;
  (void)store->write(parley::store::Scope::system(), [&](parley::store::WriteTx& tx) -> parley::Status {
    PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_workspace("bench"));
    workspace = created.id;
    return {};
  });
  const auto scope = parley::store::Scope::workspace(workspace);
  (void)store->write(scope, [&](parley::store::WriteTx& tx) -> parley::Status {
    PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_bot("bench", {{"language", "en"}}));
    bot = created.id;
    return {};
  });
  auto config = parley::crawl::crawl_config_from_json({{"sitemap", site.url("/sitemap.xml")}, {"max_pages", pages + 10},
                                                        {"concurrency", concurrency}, {"delay_ms", 0}});
  auto queued = parley::crawl::add_crawl_source(*store, scope, bot, *config);
  if (!queued.ok()) {
    std::fprintf(stderr, "%s\n", queued.error().message.c_str());
    return 1;
  }
  const Run first = crawl(*store, scope, queued->job);
  const auto added = first.job.result["added"].get<std::int64_t>();
  std::printf("first crawl: %lld pages (%.1f MB) in %.2f s = %.0f pages/s\n", static_cast<long long>(added),
              static_cast<double>(bytes) / (1 << 20), first.seconds, static_cast<double>(added) / first.seconds);
  auto resync_job = parley::crawl::queue_sync(*store, scope, bot, queued->source.id);
  const Run resync = crawl(*store, scope, *resync_job);
  const auto unchanged = resync.job.result["unchanged"].get<std::int64_t>();
  std::printf("resync (unchanged): %lld pages in %.2f s = %.0f pages/s, %d answered 304\n", static_cast<long long>(unchanged),
              resync.seconds, static_cast<double>(unchanged) / resync.seconds, site.not_modified_answers());
  std::printf("RESULT crawl_pages_per_s=%.0f resync_speedup=%.1f\n", static_cast<double>(added) / first.seconds,
              first.seconds / resync.seconds);
  store.reset();
  site.stop();
  std::filesystem::remove_all(folder);
  return 0;
}
