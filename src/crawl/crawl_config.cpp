#include "crawl/crawl_config.h"

#include <algorithm>
#include <charconv>

#include "crawl/url.h"

namespace parley::crawl {
namespace {

using Json = nlohmann::json;

Status read_int(const Json& json, const char* key, std::int64_t low, std::int64_t high, std::int64_t& out) {
  const auto it = json.find(key);
  if (it == json.end() || it->is_null()) return {};
  if (!it->is_number_integer()) return make_error(ErrorCode::invalid_request, std::string(key) + " must be an integer");
  const auto value = it->get<std::int64_t>();
  if (value < low || value > high) {
    return make_error(ErrorCode::invalid_request, std::string(key) + " must be between " + std::to_string(low) + " and " +
                                                      std::to_string(high));
  }
  out = value;
  return {};
}

template <typename T>
Status read_int_as(const Json& json, const char* key, std::int64_t low, std::int64_t high, T& out) {
  std::int64_t value = out;
  PARLEY_TRY(read_int(json, key, low, high, value));
  out = static_cast<T>(value);
  return {};
}

Status read_patterns(const Json& json, const char* key, std::vector<std::string>& out) {
  const auto it = json.find(key);
  if (it == json.end() || it->is_null()) return {};
  if (!it->is_array()) return make_error(ErrorCode::invalid_request, std::string(key) + " must be a list of patterns");
  for (const auto& pattern : *it) {
    if (!pattern.is_string() || pattern.get<std::string>().empty() || pattern.get<std::string>().size() > 512) {
      return make_error(ErrorCode::invalid_request, std::string(key) + " patterns are non-empty strings of at most 512 bytes");
    }
    out.push_back(pattern.get<std::string>());
  }
  if (out.size() > 100) return make_error(ErrorCode::invalid_request, std::string("at most 100 ") + key + " patterns");
  return {};
}

Result<std::string> read_url(const Json& json, const char* key) {
  const auto it = json.find(key);
  if (it == json.end() || it->is_null()) return std::string();
  if (!it->is_string()) return make_error(ErrorCode::invalid_request, std::string(key) + " must be a URL");
  auto url = parse_url(it->get<std::string>());
  if (!url.ok()) return make_error(ErrorCode::invalid_request, std::string(key) + ": " + url.error().message);
  return url->str();
}

}  // namespace

Result<CrawlConfig> crawl_config_from_json(const Json& json) {
  if (!json.is_object()) return make_error(ErrorCode::invalid_request, "the crawl settings must be a JSON object");
  static const std::vector<std::string> kKeys = {"url", "sitemap", "max_pages", "max_depth", "include", "exclude",
                                                 "concurrency", "delay_ms", "timeout_ms", "max_page_bytes", "schedule"};
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (std::find(kKeys.begin(), kKeys.end(), it.key()) == kKeys.end()) {
      return make_error(ErrorCode::invalid_request, "unknown crawl setting: " + it.key());
    }
  }
  CrawlConfig config;
  PARLEY_ASSIGN_OR_RETURN(config.start_url, read_url(json, "url"));
  PARLEY_ASSIGN_OR_RETURN(config.sitemap_url, read_url(json, "sitemap"));
  if (config.start_url.empty() && config.sitemap_url.empty()) {
    return make_error(ErrorCode::invalid_request, "a crawl needs a start URL, a sitemap URL, or both");
  }
  if (!config.start_url.empty() && !config.sitemap_url.empty()) {
    if (!same_site(*parse_url(config.start_url), *parse_url(config.sitemap_url))) {
      return make_error(ErrorCode::invalid_request, "the sitemap must be on the same site as the start URL");
    }
  }
  PARLEY_TRY(read_int_as(json, "max_pages", 1, 1'000'000, config.max_pages));
  PARLEY_TRY(read_int_as(json, "max_depth", 0, 100, config.max_depth));
  PARLEY_TRY(read_patterns(json, "include", config.include));
  PARLEY_TRY(read_patterns(json, "exclude", config.exclude));
  PARLEY_TRY(read_int_as(json, "concurrency", 1, 16, config.concurrency));
  PARLEY_TRY(read_int_as(json, "delay_ms", 0, 60'000, config.delay_ms));
  PARLEY_TRY(read_int_as(json, "timeout_ms", 100, 300'000, config.timeout_ms));
  PARLEY_TRY(read_int(json, "max_page_bytes", 1024, std::int64_t{256} << 20, config.max_page_bytes));
  if (const auto schedule = json.find("schedule"); schedule != json.end() && !schedule->is_null()) {
    if (schedule->is_number_integer()) {
      PARLEY_TRY(read_int(json, "schedule", 0, 365 * 86400, config.schedule_seconds));
      if (config.schedule_seconds > 0 && config.schedule_seconds < 60) {
        return make_error(ErrorCode::invalid_request, "a schedule is between one minute and one year");
      }
    } else if (schedule->is_string()) {
      PARLEY_ASSIGN_OR_RETURN(config.schedule_seconds, parse_schedule(schedule->get<std::string>()));
    } else {
      return make_error(ErrorCode::invalid_request, "schedule is \"daily\", \"6h\", a number of seconds or \"off\"");
    }
  }
  return config;
}

Json to_json(const CrawlConfig& config) {
  Json json = {{"max_pages", config.max_pages},   {"max_depth", config.max_depth},   {"include", config.include},
               {"exclude", config.exclude},       {"concurrency", config.concurrency}, {"delay_ms", config.delay_ms},
               {"timeout_ms", config.timeout_ms}, {"max_page_bytes", config.max_page_bytes},
               {"schedule", format_schedule(config.schedule_seconds)}};
  if (!config.start_url.empty()) json["url"] = config.start_url;
  if (!config.sitemap_url.empty()) json["sitemap"] = config.sitemap_url;
  return json;
}

Result<std::int64_t> parse_schedule(std::string_view text) {
  if (text == "off" || text == "never" || text.empty()) return 0;
  if (text == "hourly") return 3600;
  if (text == "daily") return 86400;
  if (text == "weekly") return 7 * 86400;
  std::int64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::int64_t scale = 0;
  if (unit == "s") scale = 1;
  if (unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (unit == "d") scale = 86400;
  if (error != std::errc() || scale == 0 || number <= 0) {
    return make_error(ErrorCode::invalid_request, "schedule is \"off\", \"hourly\", \"daily\", \"weekly\" or like \"30m\", \"6h\", \"2d\"");
  }
  const std::int64_t seconds = number * scale;
  if (seconds < 60 || seconds > 365 * 86400) {
    return make_error(ErrorCode::invalid_request, "a schedule is between one minute and one year");
  }
  return seconds;
}

std::string format_schedule(std::int64_t seconds) {
  if (seconds <= 0) return "off";
  if (seconds == 3600) return "hourly";
  if (seconds == 86400) return "daily";
  if (seconds == 7 * 86400) return "weekly";
  if (seconds % 86400 == 0) return std::to_string(seconds / 86400) + "d";
  if (seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

}  // namespace parley::crawl
