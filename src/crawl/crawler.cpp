#include "crawl/crawler.h"

#include <curl/curl.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/ids.h"
#include "crawl/fetcher.h"
#include "crawl/robots.h"
#include "crawl/sitemap.h"
#include "crawl/url.h"
#include "jobs/jobs.h"

namespace parley::crawl {
namespace {

using Json = store::Json;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kRobotsAgent = "ParleyBot";
constexpr int kMaxSitemapFiles = 200;
constexpr int kMaxSitemapNesting = 3;
constexpr std::size_t kMaxStoredLinks = 2000;
// Crawl traps: URLs that generate ever new URLs (calendars, session ids in paths, relative-link loops).
constexpr int kMaxRepeatedSegment = 3;
constexpr int kMaxPathSegments = 16;
constexpr int kMaxQueryParameters = 8;
// A robots.txt Crawl-delay longer than this is not waited out: the crawl would never end.
constexpr double kMaxCrawlDelaySeconds = 30;
constexpr int kMaxRedirects = 10;
constexpr int kCommitAttempts = 3;

// Links to files that are never pages: not worth a request.
bool is_asset_path(std::string_view path) {
  static constexpr std::string_view kAssets[] = {
      ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".ico", ".bmp", ".tif", ".tiff", ".css", ".js", ".mjs",
      ".map", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".m4a", ".wav", ".ogg", ".webm", ".avi",
      ".mov", ".zip", ".gz", ".tgz", ".rar", ".7z", ".exe", ".dmg", ".iso", ".apk", ".msi", ".bin"};
  std::string lower(path.substr(path.rfind('/') + 1));
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (auto extension : kAssets) {
    if (lower.ends_with(extension)) return true;
  }
  return false;
}

bool looks_like_trap(const Url& url) {
  std::map<std::string_view, int> segments;
  int count = 0;
  std::string_view path = url.path;
  std::size_t start = 1;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start && ++segments[path.substr(start, end - start)] > kMaxRepeatedSegment) return true;
    ++count;
    start = end + 1;
  }
  if (count > kMaxPathSegments) return true;
  return !url.query.empty() && std::count(url.query.begin(), url.query.end(), '&') + 1 > kMaxQueryParameters;
}

bool accepts_content_type(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  type.erase(type.find_last_not_of(" \t") + 1);
  static const std::unordered_set<std::string> kReadable = {
      "", "text/html", "application/xhtml+xml", "text/plain", "text/markdown", "text/x-markdown", "text/csv",
      "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/octet-stream"};  // the loaders look at the bytes of an untyped file
  return kReadable.contains(type);
}

std::optional<std::int64_t> parse_http_date(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const time_t parsed = curl_getdate(text.c_str(), nullptr);
  if (parsed < 0) return std::nullopt;
  return static_cast<std::int64_t>(parsed) * 1000;
}

std::string http_status_reason(int status) {
  switch (status) {
    case 401: return "HTTP 401: the page needs a login";
    case 403: return "HTTP 403: access forbidden";
    case 404: return "HTTP 404: not found";
    case 410: return "HTTP 410: gone";
    case 429: return "HTTP 429: the server asks to slow down";
    case 500: return "HTTP 500: server error";
    case 502: return "HTTP 502: bad gateway";
    case 503: return "HTTP 503: unavailable";
    case 504: return "HTTP 504: gateway timeout";
    default: return "HTTP " + std::to_string(status);
  }
}

// What one visited URL turned into, written with the next batch.
struct PageWrite {
  store::CrawlPage page;
  std::optional<ingest::PreparedDocument> document;  // to put
  std::string remove_document_id;                    // to delete
  std::vector<store::CrawlPage> discovered;          // new frontier URLs
  bool record_new = false;                           // the page is not in the frontier yet (a removal at the end)
};

struct HostState {
  RobotsRules robots = RobotsRules::allow_all();
  bool robots_loaded = false;
  int in_flight = 0;
  Clock::time_point next_start{};
  std::chrono::milliseconds delay{0};
};

class Crawl {
 public:
  Crawl(jobs::JobContext& context, const CrawlerOptions& options) : context_(context), options_(options) {}

  Result<Json> run() {
    started_ = Clock::now();
    auto result = crawl_site();
    // A failed sync leaves the source usable (its documents stay) and says why.
    if (!result.ok() && !source_.id.empty()) (void)set_source_state(result.error());
    return result;
  }

 private:
  Result<Json> crawl_site() {
    PARLEY_TRY(load());
    FetchOptions fetch;
    fetch.user_agent = options_.user_agent;
    fetch.max_body_bytes = static_cast<std::size_t>(config_.max_page_bytes);
    fetch.timeout = std::chrono::milliseconds(config_.timeout_ms);
    fetch.accepts_content_type = accepts_content_type;
    fetch.allow_private_addresses = options_.allow_private_addresses;
    pages_ = std::make_unique<Fetcher>(fetch);
    fetch.max_body_bytes = std::max<std::size_t>(fetch.max_body_bytes, kMaxSitemapBytes);
    fetch.accepts_content_type = nullptr;  // robots.txt and sitemaps come with all sorts of types
    control_ = std::make_unique<Fetcher>(fetch);
    if (known_.empty()) {
      phase_ = "seeding";
      PARLEY_TRY(seed());
    }
    phase_ = "crawling";
    if (!context_.should_stop()) PARLEY_TRY(crawl());
    pages_->cancel_all();
    const jobs::StopReason stop = context_.stop_reason();
    if (stop == jobs::StopReason::none || stop == jobs::StopReason::cancel) {
      // A cancelled sync ends here too, but it saw only part of the site: it removes nothing.
      if (stop == jobs::StopReason::cancel) truncated_ = true;
      phase_ = "finishing";
      PARLEY_TRY(finish());
    }
    context_.heartbeat(progress(), true);
    return summary();
  }

  // ---- state from the store ----

  Status load() {
    const store::Job& job = context_.job();
    return context_.store().read(context_.scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto source, tx.source(job.bot_id, job.source_id));
      if (!source) return make_error(ErrorCode::not_found, "the job's source no longer exists");
      source_ = std::move(*source);
      PARLEY_ASSIGN_OR_RETURN(config_, source_crawl_config(source_));
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(job.bot_id));
      if (!bot) return make_error(ErrorCode::not_found, "the job's bot no longer exists");
      language_ = ingest::bot_language(*bot);
      site_ = *parse_url(config_.start_url.empty() ? config_.sitemap_url : config_.start_url);
      boilerplate_.load(source_.config.value("boilerplate", Json::object()));
      PARLEY_ASSIGN_OR_RETURN(auto documents, tx.documents(source_.id));
      for (auto& document : documents) {
        const std::string key = document.fetched_url.empty() ? document.uri : document.fetched_url;
        // Pages of a site link the same few hundred URLs: each is kept once, the pages keep numbers.
        std::vector<std::uint32_t>& links = links_[key];
        links.reserve(document.links.size());
        for (auto& link : document.links) links.push_back(intern(std::move(link)));
        document.links = {};
        documents_.emplace(key, std::move(document));
      }
      // A resumed job: what it had already found and done.
      store::CrawlPageFilter all;
      all.limit = -1;
      PARLEY_ASSIGN_OR_RETURN(auto pages, tx.crawl_pages(job.id, all));
      // A redirected page discovers only its target: a page whose referrer was redirected is the next hop of a chain.
      std::unordered_set<std::string> redirected;
      for (const auto& page : pages) {
        if (page.done && page.outcome == "redirected") redirected.insert(page.url);
      }
      for (const auto& page : pages) {
        if (redirected.contains(page.referrer)) redirected_from_[page.url] = page.referrer;
      }
      for (auto& page : pages) {
        known_.insert(page.url);
        if (!page.done) {
          queue_.push_back(std::move(page));
          continue;
        }
        count_outcome(page);
        if (!page.document_uri.empty()) kept_uris_.insert(page.document_uri);
        if (page.outcome == "skipped" && page.reason.starts_with(kCanonicalReason)) canonical_skipped_.insert(page.url);
      }
      // crawl_pages lists done pages first; the queue must be in breadth-first order.
      std::stable_sort(queue_.begin(), queue_.end(), [](const auto& a, const auto& b) {
        return a.depth != b.depth ? a.depth < b.depth : a.seq < b.seq;
      });
      return {};
    });
  }

  // ---- seeding ----

  Status seed() {
    HostState& host = host_state(site_);
    std::vector<std::string> sitemaps;
    if (!config_.sitemap_url.empty()) {
      sitemaps.push_back(config_.sitemap_url);
    } else {
      for (const auto& listed : host.robots.sitemaps()) {
        auto url = parse_url(listed);
        if (url.ok() && same_site(*url, site_)) sitemaps.push_back(url->str());
      }
    }
    std::vector<store::CrawlPage> seeds;
    if (!config_.start_url.empty()) add_seed(config_.start_url, std::nullopt, seeds);
    std::string sitemap_error;
    std::deque<std::pair<std::string, int>> pending_sitemaps;
    for (const auto& url : sitemaps) pending_sitemaps.emplace_back(url, 0);
    std::unordered_set<std::string> read_sitemaps;
    while (!pending_sitemaps.empty() && static_cast<int>(read_sitemaps.size()) < kMaxSitemapFiles &&
           !context_.should_stop()) {
      auto [url, nesting] = pending_sitemaps.front();
      pending_sitemaps.pop_front();
      if (!read_sitemaps.insert(url).second) continue;
      auto sitemap = read_sitemap(url);
      if (!sitemap.ok()) {
        spdlog::info("crawl {}: sitemap {}: {}", context_.job().id, url, sitemap.error().message);
        if (sitemap_error.empty()) sitemap_error = "sitemap " + url + ": " + sitemap.error().message;
        continue;
      }
      for (const auto& entry : sitemap->entries) {
        if (sitemap->is_index) {
          auto child = parse_url(entry.url);
          if (child.ok() && same_site(*child, site_) && nesting + 1 <= kMaxSitemapNesting) {
            pending_sitemaps.emplace_back(child->str(), nesting + 1);
          }
        } else {
          add_seed(entry.url, entry.modified_at, seeds);
        }
      }
      context_.heartbeat(progress());
    }
    // Stopped while reading sitemaps: nothing is stored, so the resumed job seeds again from the start.
    if (context_.should_stop()) return {};
    if (seeds.empty()) {
      return make_error(ErrorCode::unprocessable,
                        sitemap_error.empty() ? "nothing to crawl: the sitemap lists no page of the site that the settings admit"
                                              : "nothing to crawl: " + sitemap_error);
    }
    if (!sitemap_error.empty()) warnings_.push_back(sitemap_error);
    PARLEY_TRY(context_.store().write(context_.scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_TRY(tx.add_crawl_pages(context_.job().id, seeds));
      return {};
    }));
    for (auto& seed : seeds) queue_.push_back(std::move(seed));
    return {};
  }

  void add_seed(const std::string& text, std::optional<std::int64_t> modified_at, std::vector<store::CrawlPage>& seeds) {
    auto url = parse_url(text);
    if (!url.ok() || !admits(*url) || frontier_full()) return;
    const std::string key = url->str();
    if (!known_.insert(key).second) return;
    store::CrawlPage page;
    page.job_id = context_.job().id;
    page.url = key;
    page.depth = 0;
    page.listed_modified_at = modified_at;
    seeds.push_back(std::move(page));
  }

  Result<Sitemap> read_sitemap(const std::string& url) {
    FetchResponse response = control_->fetch({0, url, "", ""}, [this] { return context_.should_stop(); });
    if (response.status == 0) return make_error(ErrorCode::unavailable, response.error);
    if (response.status != 200) return make_error(ErrorCode::unavailable, http_status_reason(response.status));
    return parse_sitemap(response.body);
  }

  // ---- politeness and robots.txt ----

  HostState& host_state(const Url& url) {
    const std::string origin = url.origin();
    HostState& host = hosts_[origin];
    if (host.robots_loaded) return host;
    host.robots_loaded = true;
    FetchResponse response = control_->fetch({0, origin + "/robots.txt", "", ""}, [this] { return context_.should_stop(); });
    if (response.status == 0 && context_.should_stop()) {
      host.robots_loaded = false;  // abandoned: read again when the job resumes
      return host;
    }
    if (response.status >= 200 && response.status < 300) {
      host.robots = parse_robots(response.body, kRobotsAgent);
    } else if (response.status >= 400 && response.status < 500) {
      host.robots = RobotsRules::allow_all();  // no robots.txt: everything may be crawled
    } else {
      // RFC 9309: an unreachable robots.txt means the whole site is off limits until it can be read.
      host.robots = RobotsRules::disallow_all();
      robots_unreachable_ = response.status == 0 ? response.error : http_status_reason(response.status);
    }
    double delay_ms = config_.delay_ms;
    if (auto crawl_delay = host.robots.crawl_delay_seconds()) {
      delay_ms = std::max(delay_ms, std::min(*crawl_delay, kMaxCrawlDelaySeconds) * 1000);
    }
    host.delay = std::chrono::milliseconds(static_cast<std::int64_t>(delay_ms));
    return host;
  }

  // Whether a URL belongs to this crawl at all (site, patterns, traps, assets).
  bool admits(const Url& url) const {
    if (!same_site(url, site_) || is_asset_path(url.path) || looks_like_trap(url)) return false;
    const std::string path = url.path_and_query();
    if (!config_.include.empty() &&
        std::none_of(config_.include.begin(), config_.include.end(), [&](const auto& p) { return pattern_matches(p, path); })) {
      return false;
    }
    return std::none_of(config_.exclude.begin(), config_.exclude.end(), [&](const auto& p) { return pattern_matches(p, path); });
  }

  std::uint32_t intern(std::string url) {
    const auto [it, added] = link_ids_.emplace(std::move(url), static_cast<std::uint32_t>(link_urls_.size()));
    if (added) link_urls_.push_back(&it->first);  // map nodes never move
    return it->second;
  }

  bool frontier_full() {
    const std::size_t cap = static_cast<std::size_t>(config_.max_pages) * 4 + 1000;
    if (known_.size() < cap) return false;
    truncated_ = true;
    return true;
  }

  // ---- crawling ----

  Status crawl() {
    auto last_commit = Clock::now();
    while (!context_.should_stop()) {
      dispatch();
      if (pages_->in_flight() == 0 && (queue_.empty() || budget_spent())) break;
      if (pages_->in_flight() > 0) {
        for (auto& response : pages_->poll(std::chrono::milliseconds(100))) handle(std::move(response));
      } else {
        // Nothing in flight: the next page waits for its host's pause between requests. Sleep until then (a
        // fetcher with no transfer returns at once, so polling it would spin a core), waking at least every
        // 100 ms to notice a pause or cancel request.
        std::this_thread::sleep_for(std::clamp(until_next_start(), std::chrono::milliseconds(1), std::chrono::milliseconds(100)));
      }
      if (batch_.size() >= options_.batch_pages || Clock::now() - last_commit >= options_.batch_interval) {
        PARLEY_TRY(commit());
        last_commit = Clock::now();
      }
      context_.heartbeat(progress());
    }
    if (!queue_.empty()) truncated_ = true;
    return commit();
  }

  // How long until some host may be sent its next request.
  std::chrono::milliseconds until_next_start() const {
    const auto now = Clock::now();
    auto soonest = std::chrono::milliseconds(100);
    for (const auto& [origin, host] : hosts_) {
      if (host.in_flight >= config_.concurrency) continue;
      soonest = std::min(soonest, std::chrono::duration_cast<std::chrono::milliseconds>(host.next_start - now));
    }
    return soonest;
  }

  // Pages in flight count against max_pages already (they will end as pages, or as redirects that free their
  // place again); redirects are bounded by a request budget of their own.
  bool budget_spent() const {
    return pages_attempted_ + static_cast<std::int64_t>(in_flight_.size()) >= config_.max_pages ||
           requests_ >= 2 * static_cast<std::int64_t>(config_.max_pages) + 100;
  }

  // Starts what politeness allows; pages that need no request (robots, redirects budget) end here.
  void dispatch() {
    while (!queue_.empty() && !budget_spent()) {
      store::CrawlPage& next = queue_.front();
      const Url url = *parse_url(next.url);
      HostState& host = host_state(url);
      if (!host.robots_loaded) return;  // the job is stopping
      if (!host.robots.allows(url.path_and_query())) {
        PageWrite write;
        write.page = std::move(next);
        queue_.pop_front();
        const std::string reason = robots_unreachable_.empty()
                                       ? "disallowed by robots.txt"
                                       : "robots.txt could not be read (" + robots_unreachable_ + ")";
        end_without_document(write, "skipped", reason);
        continue;
      }
      const auto now = Clock::now();
      if (host.in_flight >= config_.concurrency || now < host.next_start) return;
      host.in_flight += 1;
      host.next_start = now + host.delay;
      FetchRequest request;
      request.tag = ++last_tag_;
      request.url = next.url;
      if (const auto known = documents_.find(next.url); known != documents_.end()) {
        request.if_none_match = known->second.etag;
        request.if_modified_since = known->second.last_modified;
      }
      in_flight_.emplace(request.tag, std::move(next));
      queue_.pop_front();
      ++requests_;
      pages_->start(std::move(request));
    }
  }

  void handle(FetchResponse response) {
    auto it = in_flight_.find(response.tag);
    if (it == in_flight_.end()) return;
    PageWrite write;
    write.page = std::move(it->second);
    in_flight_.erase(it);
    const Url url = *parse_url(write.page.url);
    HostState& host = hosts_[url.origin()];
    host.in_flight -= 1;
    if (response.status == 429 || response.status == 503) {
      // The server is struggling: slow down for the rest of the crawl.
      host.delay = std::min<std::chrono::milliseconds>(std::max<std::chrono::milliseconds>(host.delay * 2, std::chrono::seconds(1)),
                                                       std::chrono::seconds(static_cast<int>(kMaxCrawlDelaySeconds)));
    }
    write.page.http_status = response.status;
    bytes_ += static_cast<std::int64_t>(response.body.size());
    const store::Document* existing = nullptr;
    if (const auto known = documents_.find(write.page.url); known != documents_.end()) existing = &known->second;

    if (response.status == 0) return keep_or_fail(write, existing, response.error);
    if (response.status >= 300 && response.status < 400 && response.status != 304) {
      return follow_redirect(write, url, response, existing);
    }
    if (response.status == 304) {
      if (existing == nullptr) return keep_or_fail(write, existing, "HTTP 304 to a request that was not conditional");
      return unchanged(write, *existing);
    }
    if (response.status == 404 || response.status == 410) {
      if (existing == nullptr) return end_without_document(write, "failed", http_status_reason(response.status));
      // Gone for good: removed now, whatever else happens to the crawl.
      write.remove_document_id = existing->id;
      documents_.erase(write.page.url);
      return end_without_document(write, "removed", http_status_reason(response.status));
    }
    if (response.status < 200 || response.status >= 300) return keep_or_fail(write, existing, http_status_reason(response.status));
    index_page(write, url, response, existing);
  }

  void follow_redirect(PageWrite& write, const Url& url, const FetchResponse& response, const store::Document* existing) {
    auto target = resolve_url(url, response.location);
    if (response.location.empty() || !target.ok()) {
      return keep_or_fail(write, existing, "a redirect (HTTP " + std::to_string(response.status) + ") without a valid Location");
    }
    const std::string to = target->str();
    if (!same_site(*target, site_)) return end_without_document(write, "redirected", "off the site, to " + to);
    if (!admits(*target)) return end_without_document(write, "redirected", "to " + to + ", outside the crawl's patterns");
    // The chain that led here, counted back one hop at a time: each of its pages was a request of its own.
    std::string chain_start = write.page.url;
    int hops_before = 0;
    for (auto from = redirected_from_.find(chain_start); from != redirected_from_.end() && hops_before < kMaxRedirects;
         from = redirected_from_.find(chain_start)) {
      chain_start = from->second;
      ++hops_before;
    }
    if (hops_before >= kMaxRedirects) {
      return keep_or_fail(write, existing, "more than " + std::to_string(kMaxRedirects) + " redirects in a row (from " + chain_start + ")");
    }
    redirects_[write.page.url] = to;
    // Follow the chain of redirects already seen from the target: back here is a loop.
    std::string hop = to;
    for (int hops = 1; hops <= kMaxRedirects; ++hops) {
      if (hop == write.page.url) return keep_or_fail(write, existing, "a redirect loop (" + write.page.url + " -> " + to + " -> ... -> back)");
      const auto next = redirects_.find(hop);
      if (next == redirects_.end()) break;
      hop = next->second;
      if (hops == kMaxRedirects) return keep_or_fail(write, existing, "more than 10 redirects in a row");
    }
    const bool known = known_.contains(to);
    const std::string reason = known ? "to " + to + " (already in the crawl)" : "to " + to;
    // A redirect does not take the visitor a link further: same depth.
    discover(write, target->str(), write.page.depth);
    if (!known && known_.contains(to)) redirected_from_[to] = write.page.url;
    end_without_document(write, "redirected", reason);
  }

  void unchanged(PageWrite& write, const store::Document& existing) {
    if (const auto links = links_.find(write.page.url); links != links_.end()) {
      for (const std::uint32_t link : links->second) discover(write, *link_urls_[link], write.page.depth + 1);
    }
    hashes_.emplace(existing.content_hash, existing.uri);
    write.page.document_uri = existing.uri;
    write.page.outcome = "unchanged";
    finish_page(std::move(write));
  }

  void index_page(PageWrite& write, const Url& url, const FetchResponse& response, const store::Document* existing) {
    const std::string hash = sha256_hex(response.body);
    if (existing != nullptr && existing->content_hash == hash && existing->status == "indexed") {
      return unchanged(write, *existing);
    }
    if (const auto same = hashes_.find(hash); same != hashes_.end() && same->second != write.page.url) {
      return end_without_document(write, "skipped", "the same content as " + same->second);
    }
    auto prepared = ingest::prepare_document({write.page.url, response.content_type, response.body}, language_,
                                             options_.ingest, &boilerplate_);
    if (!prepared.ok()) return keep_or_fail(write, existing, prepared.error().message);
    const ingest::PageLinks& page = prepared->page;
    Url base = url;
    if (!page.base_href.empty()) {
      if (auto resolved = resolve_url(url, page.base_href); resolved.ok()) base = *resolved;
    }
    std::vector<std::string> links;
    if (!page.nofollow) {
      std::unordered_set<std::string> unique;
      for (const auto& href : page.hrefs) {
        auto link = resolve_url(base, href);
        if (!link.ok() || !admits(*link)) continue;
        std::string key = link->str();
        if (key == write.page.url || !unique.insert(key).second) continue;
        discover(write, key, write.page.depth + 1);
        if (links.size() < kMaxStoredLinks) links.push_back(std::move(key));
      }
    }
    if (page.noindex) return end_without_document(write, "skipped", "the page asks not to be indexed (noindex)");
    if (!page.canonical.empty() && !canonical_skipped_.contains(write.page.url)) {
      auto canonical = resolve_url(base, page.canonical);
      if (canonical.ok() && canonical->str() != write.page.url && admits(*canonical)) {
        canonical_skipped_.insert(write.page.url);
        discover(write, canonical->str(), write.page.depth);
        return end_without_document(write, "skipped", std::string(kCanonicalReason) + canonical->str());
      }
    }
    hashes_.emplace(hash, write.page.url);
    store::Document& document = prepared->document;
    document.bot_id = source_.bot_id;
    document.source_id = source_.id;
    document.uri = write.page.url;
    document.content_hash = hash;
    document.fetched_url = write.page.url;
    document.etag = response.etag;
    document.last_modified = response.last_modified;
    document.modified_at = parse_http_date(response.last_modified);
    if (!document.modified_at) document.modified_at = write.page.listed_modified_at;
    document.links = std::move(links);
    write.page.document_uri = document.uri;
    write.page.outcome = existing != nullptr ? "updated" : "added";
    write.document = std::move(*prepared);
    finish_page(std::move(write));
  }

  // A page that could not be read: its earlier content, if any, stays indexed.
  void keep_or_fail(PageWrite& write, const store::Document* existing, const std::string& reason) {
    if (existing != nullptr) write.page.document_uri = existing->uri;
    write.page.outcome = "failed";
    write.page.reason = existing != nullptr ? reason + " (the earlier version stays indexed)" : reason;
    finish_page(std::move(write));
  }

  // A page that yields no document. An earlier document of the URL is not kept, so a complete sync removes it.
  void end_without_document(PageWrite& write, const std::string& outcome, const std::string& reason) {
    write.page.outcome = outcome;
    write.page.reason = reason;
    no_document_reasons_[write.page.url] = outcome + ": " + reason;
    finish_page(std::move(write));
  }

  void discover(PageWrite& write, const std::string& url, int depth) {
    if (depth > config_.max_depth || known_.contains(url) || frontier_full()) return;
    known_.insert(url);
    store::CrawlPage page;
    page.job_id = context_.job().id;
    page.url = url;
    page.depth = depth;
    page.referrer = write.page.url;
    write.discovered.push_back(page);
    queue_.push_back(std::move(page));
  }

  void finish_page(PageWrite&& write) {
    write.page.done = true;
    if (!write.page.document_uri.empty()) kept_uris_.insert(write.page.document_uri);
    if (write.page.outcome == "failed" && first_failure_.empty()) first_failure_ = write.page.url + ": " + write.page.reason;
    count_outcome(write.page);
    batch_.push_back(std::move(write));
  }

  void count_outcome(const store::CrawlPage& page) {
    ++outcomes_[page.outcome];
    ++done_;
    if (page.outcome != "skipped" && page.outcome != "redirected") ++pages_attempted_;
  }

  // Writes the batch in one transaction; a store that is busy (another process writing) is given a few tries.
  Status commit() {
    if (batch_.empty()) return {};
    Status written = write_batch();
    for (int attempt = 1; !written.ok() && written.error().code == ErrorCode::unavailable && attempt < kCommitAttempts; ++attempt) {
      spdlog::warn("crawl {}: {}; trying again", context_.job().id, written.error().message);
      std::this_thread::sleep_for(std::chrono::seconds(1));
      written = write_batch();
    }
    PARLEY_TRY(written);
    batch_.clear();
    return {};
  }

  Status write_batch() {
    const std::string job_id = context_.job().id;
    return context_.store().write(context_.scope(), [&](store::WriteTx& tx) -> Status {
      for (auto& write : batch_) {
        if (write.record_new) PARLEY_TRY(tx.add_crawl_pages(job_id, {write.page}));
        if (!write.remove_document_id.empty()) {
          const Status removed = tx.delete_document(write.remove_document_id);
          if (!removed.ok() && removed.error().code != ErrorCode::not_found) return removed;
        }
        if (write.document) PARLEY_TRY(tx.put_document(write.document->document, write.document->chunks));
        PARLEY_TRY(tx.update_crawl_page(write.page));
        if (!write.discovered.empty()) PARLEY_TRY(tx.add_crawl_pages(job_id, write.discovered));
      }
      return {};
    });
  }

  // ---- the end of a sync ----

  Status finish() {
    // Only a crawl that saw the whole site may conclude that a page is gone.
    if (!truncated_) {
      for (const auto& [key, document] : documents_) {
        if (kept_uris_.contains(document.uri)) continue;
        PageWrite write;
        write.page.job_id = context_.job().id;
        write.page.url = key;
        write.record_new = !known_.contains(key);
        write.remove_document_id = document.id;
        write.page.outcome = "removed";
        const auto why = no_document_reasons_.find(key);
        write.page.reason = why != no_document_reasons_.end() ? "the page is now " + why->second
                                                              : "no longer linked from the site or listed in its sitemap";
        finish_page(std::move(write));
      }
    }
    PARLEY_TRY(commit());
    if (!kept_uris_.empty()) return set_source_state({});
    return set_source_state(make_error(
        ErrorCode::unprocessable, !robots_unreachable_.empty() ? "robots.txt could not be read (" + robots_unreachable_ + ")"
                                  : first_failure_.empty()     ? "no page could be indexed"
                                                               : "no page could be indexed: " + first_failure_));
  }

  // The source after a sync: ready, or failed with the reason; the boilerplate counts and the next sync time saved.
  Status set_source_state(const std::optional<Error>& failure) {
    return context_.store().write(context_.scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto current, tx.source(source_.bot_id, source_.id));
      if (!current) return make_error(ErrorCode::not_found, "the source was deleted during the crawl");
      store::Source& source = *current;
      source.config["boilerplate"] = boilerplate_.save();
      if (config_.schedule_seconds > 0) source.next_sync_at = unix_millis() + config_.schedule_seconds * 1000;
      source.status = failure ? "failed" : "ready";
      source.error = failure ? failure->message : "";
      return tx.update_source(source);
    });
  }

  // ---- reporting ----

  Json progress() const {
    Json outcomes = Json::object();
    for (const auto& [outcome, count] : outcomes_) outcomes[outcome] = count;
    return {{"phase", phase_},
            {"pages_done", done_},
            {"pages_found", static_cast<std::int64_t>(known_.size())},
            {"pages_in_flight", static_cast<std::int64_t>(in_flight_.size())},
            {"bytes", bytes_},
            {"errors", outcomes_.contains("failed") ? outcomes_.at("failed") : 0},
            {"outcomes", outcomes}};
  }

  Json summary() const {
    Json result = {{"pages_found", static_cast<std::int64_t>(known_.size())},
                   {"bytes", bytes_},
                   {"truncated", truncated_},
                   {"seconds", std::chrono::duration<double>(Clock::now() - started_).count()},
                   {"warnings", warnings_}};
    for (const char* outcome : {"added", "updated", "unchanged", "removed", "failed", "skipped", "redirected"}) {
      result[outcome] = outcomes_.contains(outcome) ? outcomes_.at(outcome) : 0;
    }
    return result;
  }

  static constexpr std::string_view kCanonicalReason = "a duplicate of its canonical URL ";

  jobs::JobContext& context_;
  const CrawlerOptions& options_;
  Clock::time_point started_;
  std::string phase_ = "starting";
  store::Source source_;
  CrawlConfig config_;
  std::string language_;
  Url site_;
  std::unique_ptr<Fetcher> pages_;    // page requests, many in flight
  std::unique_ptr<Fetcher> control_;  // robots.txt and sitemaps, one at a time
  ingest::BoilerplateFilter boilerplate_;
  std::unordered_map<std::string, store::Document> documents_;  // the source's documents by fetched URL (no links)
  std::unordered_map<std::string, std::vector<std::uint32_t>> links_;  // their stored links, as interned URLs
  std::unordered_map<std::string, std::uint32_t> link_ids_;
  std::vector<const std::string*> link_urls_;
  std::unordered_set<std::string> known_;                       // every URL of the frontier
  std::unordered_set<std::string> kept_uris_;                   // documents this sync keeps
  std::unordered_set<std::string> canonical_skipped_;
  std::unordered_map<std::string, std::string> hashes_;     // content hash -> the URL indexed with it
  std::unordered_map<std::string, std::string> redirects_;  // URL -> where it redirected
  std::unordered_map<std::string, std::string> redirected_from_;  // URL found through a redirect -> the redirecting URL
  std::unordered_map<std::string, std::string> no_document_reasons_;  // URL -> why it gave no document
  std::deque<store::CrawlPage> queue_;
  std::unordered_map<std::uint64_t, store::CrawlPage> in_flight_;
  std::map<std::string, HostState> hosts_;
  std::vector<PageWrite> batch_;
  std::map<std::string, std::int64_t> outcomes_;
  std::vector<std::string> warnings_;
  std::string robots_unreachable_;
  std::string first_failure_;
  std::uint64_t last_tag_ = 0;
  std::int64_t done_ = 0;
  std::int64_t pages_attempted_ = 0;  // pages that ended as a document or a failure (not skips or redirects)
  std::int64_t requests_ = 0;
  std::int64_t bytes_ = 0;
  bool truncated_ = false;
};

}  // namespace

Result<Json> run_crawl(jobs::JobContext& context, const CrawlerOptions& options) {
  Crawl crawl(context, options);
  return crawl.run();
}

void register_crawl_jobs(jobs::JobRunner& runner, const CrawlerOptions& options) {
  runner.register_handler(std::string(kCrawlJobKind), [options](jobs::JobContext& context) { return run_crawl(context, options); });
}

Result<CrawlConfig> source_crawl_config(const store::Source& source) {
  if (source.kind != store::SourceKind::crawl) return make_error(ErrorCode::invalid_request, "not a crawl source");
  return crawl_config_from_json(source.config.value("crawl", Json::object()));
}

std::int64_t source_schedule_seconds(const store::Source& source) {
  auto config = source_crawl_config(source);
  return config.ok() ? config->schedule_seconds : 0;
}

Result<QueuedCrawl> add_crawl_source(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                                     const CrawlConfig& config) {
  QueuedCrawl queued;
  PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
    const std::string name = config.start_url.empty() ? config.sitemap_url : config.start_url;
    PARLEY_ASSIGN_OR_RETURN(auto existing, tx.source_by_name(bot_id, name));
    if (existing) {
      return make_error(ErrorCode::conflict, "the bot already crawls " + name + " (source " + existing->id + "); resync it instead");
    }
    PARLEY_ASSIGN_OR_RETURN(queued.source, tx.create_source(bot_id, store::SourceKind::crawl, name));
    queued.source.config = {{"crawl", to_json(config)}};
    PARLEY_TRY(tx.update_source(queued.source));
    PARLEY_ASSIGN_OR_RETURN(queued.job, jobs::enqueue_job(tx, bot_id, queued.source.id, std::string(kCrawlJobKind),
                                                          Json::object(), "manual"));
    return {};
  }));
  return queued;
}

Result<store::Job> queue_sync(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                              const std::string& source_id, const std::string& trigger) {
  store::Job job;
  PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto source, tx.source(bot_id, source_id));
    if (!source) return make_error(ErrorCode::not_found, "no such source");
    PARLEY_TRY(source_crawl_config(*source));
    source->status = "processing";
    PARLEY_TRY(tx.update_source(*source));
    PARLEY_ASSIGN_OR_RETURN(job, jobs::enqueue_job(tx, bot_id, source_id, std::string(kCrawlJobKind), Json::object(), trigger));
    return {};
  }));
  return job;
}

Result<store::Source> update_crawl_source(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                                          const std::string& source_id, const Json& changes) {
  store::Source updated;
  PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto source, tx.source(bot_id, source_id));
    if (!source) return make_error(ErrorCode::not_found, "no such source");
    PARLEY_ASSIGN_OR_RETURN(const CrawlConfig current, source_crawl_config(*source));
    Json merged = to_json(current);
    if (!changes.is_object()) return make_error(ErrorCode::invalid_request, "send the settings to change as a JSON object");
    for (auto it = changes.begin(); it != changes.end(); ++it) merged[it.key()] = it.value();
    PARLEY_ASSIGN_OR_RETURN(const CrawlConfig config, crawl_config_from_json(merged));
    if (config.start_url != current.start_url || config.sitemap_url != current.sitemap_url) {
      return make_error(ErrorCode::invalid_request, "a crawl source's URLs cannot change; add a new source instead");
    }
    source->config["crawl"] = to_json(config);
    source->next_sync_at = config.schedule_seconds > 0
                               ? std::optional<std::int64_t>(unix_millis() + config.schedule_seconds * 1000)
                               : std::nullopt;
    PARLEY_TRY(tx.update_source(*source));
    updated = std::move(*source);
    return {};
  }));
  return updated;
}

}  // namespace parley::crawl
