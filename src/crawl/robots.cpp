#include "crawl/robots.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "crawl/url.h"

namespace parley::crawl {
namespace {

constexpr std::size_t kMaxRobotsBytes = 512 * 1024;
constexpr std::size_t kMaxRules = 10'000;
constexpr std::size_t kMaxPatternBytes = 2048;
constexpr std::size_t kMaxSitemaps = 100;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// "*" matches any run; the whole of `text` must be matched. Greedy with one backtrack point: linear in
// practice, O(pattern x text) at worst, both bounded in length.
bool wildcard_full_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// A rule's path written the way normalised URLs are (percent-encoding), so that "/café" matches "/caf%C3%A9".
std::string normalise_pattern(std::string_view pattern) {
  const bool anchored = pattern.ends_with('$');
  if (anchored) pattern.remove_suffix(1);
  // Encoded by the URL normaliser, which leaves '*' as it is.
  auto parsed = parse_url("http://h" + std::string(pattern.starts_with('/') ? "" : "/") + std::string(pattern));
  std::string out = parsed.ok() ? parsed->path_and_query() : std::string(pattern);
  if (!pattern.starts_with('/') && out.starts_with('/')) out.erase(0, 1);
  if (anchored) out += '$';
  return out;
}

}  // namespace

bool pattern_matches(std::string_view pattern, std::string_view path_and_query) {
  if (pattern.ends_with('$')) return wildcard_full_match(pattern.substr(0, pattern.size() - 1), path_and_query);
  // A prefix match is a full match of the pattern followed by "*"; most patterns have no wildcard at all.
  if (pattern.find('*') == std::string_view::npos) return path_and_query.starts_with(pattern);
  std::string with_tail(pattern);
  with_tail += '*';
  return wildcard_full_match(with_tail, path_and_query);
}

RobotsRules RobotsRules::disallow_all() {
  RobotsRules rules;
  rules.rules_.push_back({"/", false});
  return rules;
}

bool RobotsRules::allows(std::string_view path_and_query) const {
  if (path_and_query == "/robots.txt") return true;
  const Rule* best = nullptr;
  for (const auto& rule : rules_) {
    if (!pattern_matches(rule.pattern, path_and_query)) continue;
    if (best == nullptr || rule.pattern.size() > best->pattern.size() ||
        (rule.pattern.size() == best->pattern.size() && rule.allow && !best->allow)) {
      best = &rule;
    }
  }
  return best == nullptr || best->allow;
}

RobotsRules parse_robots(std::string_view text, std::string_view user_agent) {
  text = text.substr(0, kMaxRobotsBytes);
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  const std::string agent = lower(user_agent);
  RobotsRules ours, star;
  bool have_ours = false, have_star = false;
  // The group being read: which agents it names, and whether its rule lines have started.
  bool group_ours = false, group_star = false, in_rules = false;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find_first_of("\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    line = line.substr(0, line.find('#'));
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string key = lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (key == "user-agent") {
      if (in_rules) {
        group_ours = group_star = false;
        in_rules = false;
      }
      const std::string name = lower(value);
      if (name == "*") {
        group_star = true;
        have_star = true;
      } else if (!name.empty() && (agent == name || agent.starts_with(name + "/"))) {
        group_ours = true;
        have_ours = true;
      }
    } else if (key == "allow" || key == "disallow") {
      in_rules = true;
      if (value.empty() || value.size() > kMaxPatternBytes) continue;  // an empty Disallow allows everything
      const RobotsRules::Rule rule{normalise_pattern(value), key == "allow"};
      if (group_ours && ours.rules_.size() < kMaxRules) ours.rules_.push_back(rule);
      if (group_star && star.rules_.size() < kMaxRules) star.rules_.push_back(rule);
    } else if (key == "crawl-delay") {
      in_rules = true;
      double seconds = 0;
      const auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (error != std::errc() || !(seconds >= 0) || seconds > 86400) continue;
      if (group_ours) ours.crawl_delay_ = seconds;
      if (group_star) star.crawl_delay_ = seconds;
    } else if (key == "sitemap") {
      // Sitemap lines belong to no group.
      if (!value.empty() && star.sitemaps_.size() < kMaxSitemaps) star.sitemaps_.emplace_back(value);
    }
  }
  RobotsRules chosen = have_ours ? std::move(ours) : have_star ? std::move(star) : RobotsRules();
  if (have_ours || !have_star) chosen.sitemaps_ = std::move(star.sitemaps_);
  return chosen;
}

}  // namespace parley::crawl
