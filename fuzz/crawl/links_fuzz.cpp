// Link extraction as the crawler does it: the HTML loader's walk collects links, the canonical URL, <base> and
// robots meta tags from arbitrary bytes; every link is then resolved against the page's URL.
#include <cstdint>
#include <string>

#include "crawl/url.h"
#include "ingest/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  static const auto page_url = *parley::crawl::parse_url("https://example.com/help/page.html");
  const auto parsed = parley::ingest::parse_document({page_url.str(), "text/html", input});
  if (!parsed.ok()) return 0;
  const auto& page = parsed->page;
  auto base = parley::crawl::resolve_url(page_url, page.base_href);
  const auto& from = base.ok() ? *base : page_url;
  for (const auto& href : page.hrefs) (void)parley::crawl::resolve_url(from, href);
  (void)parley::crawl::resolve_url(from, page.canonical);
  return 0;
}
