#include "crawl/url.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace parley::crawl {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// Query parameters that only track where a visitor came from: the page is the same without them.
bool is_tracking_parameter(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kExact = {"gclid", "fbclid", "msclkid", "mc_cid",
                                                              "mc_eid", "_ga", "_gl", "yclid"};
  return name.starts_with("utm_") || std::find(kExact.begin(), kExact.end(), name) != kExact.end();
}

bool is_unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

// Characters that may stand unencoded in a path or query (RFC 3986 pchar, plus '/' and '?').
bool may_stay_literal(unsigned char c) {
  if (is_unreserved(c)) return true;
  switch (c) {
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',': case ';': case '=':
    case ':': case '@': case '/': case '?':
      return true;
    default:
      return false;
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Canonical percent-encoding: escapes of unreserved characters decoded, other escapes upper-cased, characters
// that may not appear raw (spaces, non-ASCII bytes, quotes...) encoded, and a stray '%' encoded as "%25".
std::string normalise_encoding(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      const auto decoded = static_cast<unsigned char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      if (is_unreserved(decoded)) {
        out += static_cast<char>(decoded);
      } else {
        out += '%';
        out += kHex[decoded >> 4];
        out += kHex[decoded & 15];
      }
      i += 2;
    } else if (c != '%' && may_stay_literal(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// RFC 3986 section 5.2.4, on a path that starts with '/'.
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 1;
  bool trailing_slash = false;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    const bool last = end == path.size();
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      trailing_slash = last;
    } else if (segment == ".") {
      trailing_slash = last;
    } else {
      segments.push_back(segment);
      trailing_slash = false;
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& segment : segments) {
    out += '/';
    out += segment;
  }
  if (out.empty() || trailing_slash) out += '/';
  return out;
}

std::string normalise_query(std::string_view query) {
  std::vector<std::string> parameters;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view parameter = query.substr(start, end - start);
    if (!parameter.empty()) {
      std::string normalised = normalise_encoding(parameter);
      std::string name = normalised.substr(0, normalised.find('='));
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (!is_tracking_parameter(name)) parameters.push_back(std::move(normalised));
    }
    start = end + 1;
  }
  // Order does not change what a page shows on the sites worth crawling; sorting merges the spellings.
  std::stable_sort(parameters.begin(), parameters.end());
  std::string out;
  for (const auto& parameter : parameters) {
    if (!out.empty()) out += '&';
    out += parameter;
  }
  return out;
}

Status parse_host(std::string_view authority, Url& url) {
  if (authority.find('@') != std::string_view::npos) {
    return make_error(ErrorCode::invalid_request, "URLs with user names or passwords are not crawled");
  }
  std::string_view host = authority;
  std::string_view port;
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return make_error(ErrorCode::invalid_request, "unterminated IPv6 address");
    port = host.substr(close + 1);
    host = host.substr(0, close + 1);
    if (!port.empty() && !port.starts_with(':')) return make_error(ErrorCode::invalid_request, "malformed host");
    if (!port.empty()) port.remove_prefix(1);
    for (char c : host.substr(1, host.size() - 2)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return make_error(ErrorCode::invalid_request, "malformed IPv6 address");
      }
    }
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  while (host.ends_with('.')) host.remove_suffix(1);
  if (host.empty()) return make_error(ErrorCode::invalid_request, "the URL has no host");
  if (host.size() > 253) return make_error(ErrorCode::invalid_request, "the host name is too long");
  url.host.clear();
  const bool ipv6 = host.starts_with('[');
  for (char c : ipv6 ? host.substr(1, host.size() - 2) : host) {
    const auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '-' || c == '.' || c == '_' || (ipv6 && c == ':'))) {
      return make_error(ErrorCode::invalid_request,
                        u >= 0x80 ? "internationalised host names must be written in punycode (xn--...)"
                                  : "the host name has characters a host name cannot have");
    }
    url.host += static_cast<char>(std::tolower(u));
  }
  if (ipv6) url.host = "[" + url.host + "]";
  url.port = 0;
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return make_error(ErrorCode::invalid_request, "malformed port");
    }
    const int number = std::stoi(std::string(port));
    if (number <= 0 || number > 65535) return make_error(ErrorCode::invalid_request, "port out of range");
    const int default_port = url.scheme == "https" ? 443 : 80;
    url.port = number == default_port ? 0 : number;
  }
  return {};
}

// Where the scheme of a reference ends (the ':'), or npos when it has none.
std::size_t scheme_end(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == ':') return i > 0 ? i : std::string_view::npos;
    if (!(std::isalpha(c) || (i > 0 && (std::isdigit(c) || c == '+' || c == '-' || c == '.')))) return std::string_view::npos;
  }
  return std::string_view::npos;
}

// Leading and trailing spaces and control characters are dropped; tabs and line breaks inside are removed
// (as browsers do with links split over lines).
std::string clean_reference(std::string_view text) {
  while (!text.empty() && static_cast<unsigned char>(text.front()) <= ' ') text.remove_prefix(1);
  while (!text.empty() && static_cast<unsigned char>(text.back()) <= ' ') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c != '\t' && c != '\n' && c != '\r') out += c;
  }
  return out;
}

}  // namespace

std::string Url::origin() const {
  std::string out = scheme + "://" + host;
  if (port != 0) out += ":" + std::to_string(port);
  return out;
}

std::string Url::path_and_query() const { return query.empty() ? path : path + "?" + query; }

std::string Url::str() const { return origin() + path_and_query(); }

Result<Url> parse_url(std::string_view input) {
  const std::string text = clean_reference(input);
  if (text.size() > kMaxUrlBytes) return make_error(ErrorCode::invalid_request, "the URL is longer than 2048 bytes");
  const std::size_t colon = scheme_end(text);
  if (colon == std::string_view::npos) return make_error(ErrorCode::invalid_request, "not an absolute URL: " + text.substr(0, 100));
  Url url;
  url.scheme = text.substr(0, colon);
  std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (url.scheme != "http" && url.scheme != "https") {
    return make_error(ErrorCode::invalid_request, "only http and https URLs are crawled, not " + url.scheme + ":");
  }
  std::string_view rest = std::string_view(text).substr(colon + 1);
  if (!rest.starts_with("//")) return make_error(ErrorCode::invalid_request, "the URL has no host");
  rest.remove_prefix(2);
  const std::size_t authority_end = rest.find_first_of("/?#");
  PARLEY_TRY(parse_host(rest.substr(0, authority_end), url));
  rest = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  rest = rest.substr(0, rest.find('#'));
  const std::size_t question = rest.find('?');
  const std::string_view path = rest.substr(0, question);
  url.path = remove_dot_segments(normalise_encoding(path.empty() ? "/" : path));
  if (question != std::string_view::npos) url.query = normalise_query(rest.substr(question + 1));
  if (url.str().size() > kMaxUrlBytes) return make_error(ErrorCode::invalid_request, "the URL is longer than 2048 bytes");
  return url;
}

Result<Url> resolve_url(const Url& base, std::string_view input) {
  const std::string reference = clean_reference(input);
  if (reference.size() > kMaxUrlBytes) return make_error(ErrorCode::invalid_request, "the link is longer than 2048 bytes");
  if (scheme_end(reference) != std::string_view::npos) return parse_url(reference);
  if (reference.starts_with("//")) return parse_url(base.scheme + ":" + reference);
  if (reference.empty() || reference.starts_with('#')) return base;
  if (reference.starts_with('/')) return parse_url(base.origin() + reference);
  if (reference.starts_with('?')) return parse_url(base.origin() + base.path + reference);
  // A relative path replaces the last segment of the base path.
  const std::string directory = base.path.substr(0, base.path.rfind('/') + 1);
  return parse_url(base.origin() + directory + reference);
}

bool same_site(const Url& a, const Url& b) {
  const auto site_host = [](std::string_view host) { return host.starts_with("www.") ? host.substr(4) : host; };
  return site_host(a.host) == site_host(b.host) && a.port == b.port;
}

}  // namespace parley::crawl
