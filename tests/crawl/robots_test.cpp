#include "crawl/robots.h"

#include <gtest/gtest.h>

namespace parley::crawl {
namespace {

TEST(Robots, OurGroupWinsOverTheStarGroup) {
  const auto rules = parse_robots(
      "User-agent: *\nDisallow: /\n\n# ours\nUser-agent: ParleyBot\nUser-agent: otherbot\nDisallow: /private\n"
      "Crawl-delay: 2\n\nSitemap: https://example.com/sitemap.xml\n",
      "ParleyBot");
  EXPECT_TRUE(rules.allows("/"));
  EXPECT_TRUE(rules.allows("/public/page"));
  EXPECT_FALSE(rules.allows("/private"));
  EXPECT_FALSE(rules.allows("/private/x?y=1"));
  EXPECT_EQ(rules.crawl_delay_seconds(), 2.0);
  ASSERT_EQ(rules.sitemaps().size(), 1u);
  EXPECT_EQ(rules.sitemaps()[0], "https://example.com/sitemap.xml");
}

TEST(Robots, TheLongestMatchDecidesAndAllowWinsTies) {
  const auto rules = parse_robots("user-agent: *\ndisallow: /shop\nallow: /shop/help\nallow: /a\ndisallow: /a\n", "ParleyBot");
  EXPECT_FALSE(rules.allows("/shop/cart"));
  EXPECT_TRUE(rules.allows("/shop/help/returns"));
  EXPECT_TRUE(rules.allows("/a/b"));
}

TEST(Robots, WildcardsAndEndAnchors) {
  const auto rules = parse_robots("User-agent: *\nDisallow: /*.pdf$\nDisallow: /*?session=\nDisallow: /tmp*/x\n", "ParleyBot");
  EXPECT_FALSE(rules.allows("/files/manual.pdf"));
  EXPECT_TRUE(rules.allows("/files/manual.pdf.html"));
  EXPECT_FALSE(rules.allows("/page?session=1"));
  EXPECT_FALSE(rules.allows("/tmp123/x/y"));
  EXPECT_TRUE(rules.allows("/tmp123/y"));
  EXPECT_TRUE(pattern_matches("/a*b*c$", "/aXXbYYc"));
  EXPECT_FALSE(pattern_matches("/a*b*c$", "/aXXbYYcd"));
}

TEST(Robots, EmptyDisallowAllowsAndGarbageIsSkipped) {
  const auto rules = parse_robots("\xEF\xBB\xBFUser-agent: *\r\nDisallow:\r\nthis is not a rule\r\n: empty key\r\n", "ParleyBot");
  EXPECT_TRUE(rules.allows("/anything"));
  EXPECT_TRUE(RobotsRules::disallow_all().allows("/robots.txt"));
  EXPECT_FALSE(RobotsRules::disallow_all().allows("/"));
}

TEST(Robots, NonAsciiPatternsMatchEncodedPaths) {
  const auto rules = parse_robots("User-agent: *\nDisallow: /caf\xC3\xA9\n", "ParleyBot");
  EXPECT_FALSE(rules.allows("/caf%C3%A9/menu"));
}

}  // namespace
}  // namespace parley::crawl
