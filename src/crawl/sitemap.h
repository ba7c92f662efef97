// Sitemaps: XML <urlset> and <sitemapindex> (sitemaps.org), plain-text lists of URLs, either of them gzipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::crawl {

// The sitemaps.org limits: 50,000 URLs and 50 MB (uncompressed) per file.
constexpr std::size_t kMaxSitemapEntries = 50'000;
constexpr std::size_t kMaxSitemapBytes = 50u << 20;

struct SitemapEntry {
  std::string url;  // as written (the crawler resolves and filters it)
  std::optional<std::int64_t> modified_at;  // <lastmod>, Unix milliseconds
};

struct Sitemap {
  bool is_index = false;  // entries are further sitemaps
  std::vector<SitemapEntry> entries;
};

// Inflates gzip data (detected by its magic bytes) up to `max_bytes`; other data is returned as it is.
Result<std::string> gunzip_if_compressed(std::string_view bytes, std::size_t max_bytes = kMaxSitemapBytes);

// Parses a sitemap (gzipped or not); a file that is neither sitemap XML nor a list of URLs is an error.
Result<Sitemap> parse_sitemap(std::string_view bytes);

// A W3C datetime ("2024-05-01", "2024-05-01T10:20:30+02:00", "2024-05") in Unix milliseconds.
std::optional<std::int64_t> parse_w3c_datetime(std::string_view text);

}  // namespace parley::crawl
