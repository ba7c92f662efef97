#include "crawl/url.h"

#include <gtest/gtest.h>

namespace parley::crawl {
namespace {

std::string normal(std::string_view text) {
  auto url = parse_url(text);
  return url.ok() ? url->str() : "error: " + url.error().message;
}

std::string resolved(std::string_view base, std::string_view reference) {
  auto url = resolve_url(*parse_url(base), reference);
  return url.ok() ? url->str() : "error: " + url.error().message;
}

TEST(UrlNormaliser, OnePageHasOneSpelling) {
  EXPECT_EQ(normal("HTTP://Example.COM:80/a/./b/../c"), "http://example.com/a/c");
  EXPECT_EQ(normal("https://example.com:443"), "https://example.com/");
  EXPECT_EQ(normal("https://example.com:8443/x#section"), "https://example.com:8443/x");
  EXPECT_EQ(normal("http://example.com/%7euser/%2fslash%zz"), "http://example.com/~user/%2Fslash%25zz");
  EXPECT_EQ(normal("http://example.com/caf\xC3\xA9 menu"), "http://example.com/caf%C3%A9%20menu");
  EXPECT_EQ(normal("http://example.com/?b=2&a=1&utm_source=x&fbclid=y"), "http://example.com/?a=1&b=2");
  EXPECT_EQ(normal("http://example.com/?utm_medium=x"), "http://example.com/");
  EXPECT_EQ(normal("  http://example.com./a/../../b/  "), "http://example.com/b/");
  EXPECT_EQ(normal("http://[::1]:8080/x"), "http://[::1]:8080/x");
}

TEST(UrlNormaliser, RefusesWhatIsNotAWebPage) {
  EXPECT_EQ(normal("ftp://example.com/file"), "error: only http and https URLs are crawled, not ftp:");
  EXPECT_EQ(normal("/relative"), "error: not an absolute URL: /relative");
  EXPECT_EQ(normal("http://user:pass@example.com/"), "error: URLs with user names or passwords are not crawled");
  EXPECT_EQ(normal("http://exa mple.com/"), "error: the host name has characters a host name cannot have");
  EXPECT_EQ(normal("http://example.com:99999/"), "error: port out of range");
  EXPECT_EQ(normal("http:///path"), "error: the URL has no host");
  EXPECT_EQ(normal("http://example.com/" + std::string(3000, 'a')), "error: the URL is longer than 2048 bytes");
}

TEST(UrlNormaliser, ResolvesLinksAsBrowsersDo) {
  const std::string base = "http://example.com/docs/guide/intro?x=1";
  EXPECT_EQ(resolved(base, "setup"), "http://example.com/docs/guide/setup");
  EXPECT_EQ(resolved(base, "../faq"), "http://example.com/docs/faq");
  EXPECT_EQ(resolved(base, "/about"), "http://example.com/about");
  EXPECT_EQ(resolved(base, "?page=2"), "http://example.com/docs/guide/intro?page=2");
  EXPECT_EQ(resolved(base, "#top"), "http://example.com/docs/guide/intro?x=1");
  EXPECT_EQ(resolved(base, "//cdn.example.com/a"), "http://cdn.example.com/a");
  EXPECT_EQ(resolved(base, "https://Example.com/b"), "https://example.com/b");
  EXPECT_EQ(resolved(base, "\n  /split\n/link "), "http://example.com/split/link");
  EXPECT_EQ(resolved(base, "mailto:a@example.com"), "error: only http and https URLs are crawled, not mailto:");
  EXPECT_EQ(resolved(base, "javascript:void(0)"), "error: only http and https URLs are crawled, not javascript:");
}

TEST(UrlNormaliser, OneSiteIgnoresWwwAndScheme) {
  const auto a = *parse_url("https://www.example.com/a");
  EXPECT_TRUE(same_site(a, *parse_url("http://example.com/b")));
  EXPECT_FALSE(same_site(a, *parse_url("https://shop.example.com/")));
  EXPECT_FALSE(same_site(a, *parse_url("https://example.com:8080/")));
}

}  // namespace
}  // namespace parley::crawl
