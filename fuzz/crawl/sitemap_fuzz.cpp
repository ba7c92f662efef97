// Sitemaps on arbitrary bytes: XML, plain-text lists, gzip (bombs included), and W3C datetimes.
#include <cstdint>
#include <string>

#include "crawl/sitemap.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto sitemap = parley::crawl::parse_sitemap(input);
  if (sitemap.ok() && sitemap->entries.size() > parley::crawl::kMaxSitemapEntries) __builtin_trap();
  (void)parley::crawl::parse_w3c_datetime(input.substr(0, 64));
  return 0;
}
