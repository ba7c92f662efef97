// The settings of a crawl source, stored in its config (key "crawl") and given by the API or the CLI.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace parley::crawl {

struct CrawlConfig {
  std::string start_url;    // normalised; may be empty when a sitemap is given
  std::string sitemap_url;  // normalised; optional
  int max_pages = 1000;     // pages fetched per sync
  int max_depth = 10;       // links followed from the start URL (sitemap URLs are depth 0)
  // Patterns on the path and query, as in robots.txt: a prefix, "*" for any run, "$" for the end.
  std::vector<std::string> include;  // when any is given, a URL must match one
  std::vector<std::string> exclude;
  int concurrency = 2;      // requests in flight per host
  int delay_ms = 250;       // between the starts of two requests to one host (robots.txt Crawl-delay, when longer, wins)
  int timeout_ms = 30'000;  // per page, the whole transfer
  std::int64_t max_page_bytes = 16 << 20;
  std::int64_t schedule_seconds = 0;  // resync every so often; 0: on demand only
};

// Reads and validates settings (unknown keys are errors, so typos do not pass silently).
Result<CrawlConfig> crawl_config_from_json(const nlohmann::json& json);
nlohmann::json to_json(const CrawlConfig& config);

// "off", "hourly", "daily", "weekly", or a number with a unit ("30m", "6h", "2d"); seconds (0 for off).
Result<std::int64_t> parse_schedule(std::string_view text);
std::string format_schedule(std::int64_t seconds);

}  // namespace parley::crawl
