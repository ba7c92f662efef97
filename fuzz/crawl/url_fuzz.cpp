// The URL normaliser on arbitrary bytes: parsing, resolving as a link, and one property — normalising a
// normalised URL changes nothing (one page, one spelling).
#include <cstdint>
#include <string>

#include "crawl/url.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  static const auto base = *parley::crawl::parse_url("https://www.example.com/docs/guide/intro?x=1");
  for (const auto& url : {parley::crawl::parse_url(input), parley::crawl::resolve_url(base, input)}) {
    if (!url.ok()) continue;
    const std::string text = url->str();
    const auto again = parley::crawl::parse_url(text);
    if (!again.ok() || again->str() != text) __builtin_trap();
    (void)parley::crawl::same_site(*url, base);
  }
  return 0;
}
