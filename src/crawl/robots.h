// robots.txt (RFC 9309): the group for our user agent (else "*"), Allow/Disallow rules with "*" and "$",
// the longest matching rule deciding (Allow on a tie), Crawl-delay, and Sitemap lines.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::crawl {

// How a URL pattern of robots.txt or of a crawl's include/exclude list matches a path: a prefix, "*" for any
// run of characters, "$" at the end for the end of the path.
bool pattern_matches(std::string_view pattern, std::string_view path_and_query);

class RobotsRules {
 public:
  static RobotsRules allow_all() { return RobotsRules(); }
  static RobotsRules disallow_all();

  // `path_and_query` is a normalised path with its query ("/a/b?c=d").
  bool allows(std::string_view path_and_query) const;
  std::optional<double> crawl_delay_seconds() const { return crawl_delay_; }
  const std::vector<std::string>& sitemaps() const { return sitemaps_; }

 private:
  friend RobotsRules parse_robots(std::string_view text, std::string_view user_agent);
  struct Rule {
    std::string pattern;
    bool allow = false;
  };
  std::vector<Rule> rules_;
  std::optional<double> crawl_delay_;
  std::vector<std::string> sitemaps_;
};

// `user_agent` is our product token ("ParleyBot"), matched case-insensitively. Only the first 512 KiB are read
// (as RFC 9309 allows); malformed lines are skipped.
RobotsRules parse_robots(std::string_view text, std::string_view user_agent);

}  // namespace parley::crawl
