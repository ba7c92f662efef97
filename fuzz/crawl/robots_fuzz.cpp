// robots.txt on arbitrary bytes: parsing, then rule matching against fixed paths and against a path taken from the
// input (wildcard matching is where the cost could explode).
#include <cstdint>
#include <algorithm>
#include <string>
#include <string_view>

#include "crawl/robots.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto rules = parley::crawl::parse_robots(input, "ParleyBot");
  for (const char* path : {"/", "/private/x?y=1", "/a/b/c.pdf", "/robots.txt"}) (void)rules.allows(path);
  (void)rules.allows("/" + input.substr(0, 256));
  const std::string_view view(input);
  (void)parley::crawl::pattern_matches(view.substr(0, 64), "/" + std::string(view.substr(std::min<std::size_t>(64, view.size()), 512)));
  return 0;
}
