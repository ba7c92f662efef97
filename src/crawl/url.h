// Web addresses as the crawler compares them: parsed (http and https only), resolved against the page they
// appear on, and normalised so that one page has one spelling — lower-case scheme and host, no default port, no
// dot segments, no fragment, canonical percent-encoding, tracking parameters dropped and the others sorted.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::crawl {

constexpr std::size_t kMaxUrlBytes = 2048;

struct Url {
  std::string scheme;  // "http" | "https"
  std::string host;    // lower case; an IPv6 address keeps its brackets
  int port = 0;        // 0: the scheme's default
  std::string path;    // starts with "/"
  std::string query;   // without the "?"; empty when there is none

  std::string origin() const;          // "https://example.com:8080"
  std::string path_and_query() const;  // "/a/b?x=1"
  std::string str() const;             // the normalised URL
  bool operator==(const Url&) const = default;
};

// An absolute http(s) URL, normalised; an error (invalid_request) says what is wrong with it.
Result<Url> parse_url(std::string_view text);

// A link as written on the page at `base` ("../a", "/b?c", "//host/d", "https://..."), resolved and
// normalised. Links that are not web pages (mailto:, javascript:, tel:, data:) are errors.
Result<Url> resolve_url(const Url& base, std::string_view reference);

// One site: the same host (ignoring a leading "www.") and port; http and https count as the same site.
bool same_site(const Url& a, const Url& b);

}  // namespace parley::crawl
