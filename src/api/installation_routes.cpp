// "Check my installation", for the bot builder:
//   POST /api/v1/bots/{bot_id}/installation-check {url}
// says whether the widget can load on the page at `url` and, when not, why and what to change: whether the page's
// site is one of the bot's allowed domains, and whether the page (fetched by this server, under the same
// private-address rules as crawls and webhooks) carries the bot's script tag. Facts and a sentence for each.
#include <algorithm>
#include <cctype>

#include "api/handlers.h"
#include "common/utf8.h"
#include "chat/bot_settings.h"
#include "crawl/fetcher.h"
#include "crawl/url.h"

namespace parley::api {
namespace {

constexpr std::size_t kMaxPageBytes = 4u << 20;

struct ScriptTag {
  std::string src;
  std::string bot;
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The value of attribute `name` in one tag's text (`<script src="..." data-bot='...'>`), empty when absent.
std::string attribute(std::string_view tag, std::string_view name) {
  const std::string lowered = lower(tag);
  for (std::size_t at = lowered.find(name); at != std::string::npos; at = lowered.find(name, at + 1)) {
    const bool starts_word = at > 0 && std::isspace(static_cast<unsigned char>(lowered[at - 1]));
    std::size_t pos = at + name.size();
    while (pos < tag.size() && std::isspace(static_cast<unsigned char>(tag[pos]))) ++pos;
    if (!starts_word || pos >= tag.size() || tag[pos] != '=') continue;
    ++pos;
    while (pos < tag.size() && std::isspace(static_cast<unsigned char>(tag[pos]))) ++pos;
    if (pos >= tag.size()) return {};
    const char quote = tag[pos];
    if (quote == '"' || quote == '\'') {
      const auto end = tag.find(quote, pos + 1);
      return std::string(tag.substr(pos + 1, end == std::string_view::npos ? std::string_view::npos : end - pos - 1));
    }
    const auto end = tag.find_first_of(" \t\r\n>", pos);
    return std::string(tag.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
  }
  return {};
}

// The page's script tags that load a Parley widget (a src ending in widget.js).
std::vector<ScriptTag> widget_tags(std::string_view page) {
  std::vector<ScriptTag> tags;
  const std::string lowered = lower(page);
  for (std::size_t at = lowered.find("<script"); at != std::string::npos; at = lowered.find("<script", at + 7)) {
    const auto end = lowered.find('>', at);
    if (end == std::string::npos) break;
    const std::string_view tag = page.substr(at, end - at);
    ScriptTag found{attribute(tag, "src"), attribute(tag, "data-bot")};
    const std::string path = found.src.substr(0, found.src.find_first_of("?#"));
    if (path.ends_with("widget.js")) tags.push_back(std::move(found));
  }
  return tags;
}

// What an address typed without a scheme means: a site on the internet is https, a development server on this
// machine or an address by number ("localhost:8099", "192.168.1.20") plain http.
std::string assumed_scheme(std::string_view typed) {
  const std::string host = lower(typed.substr(0, typed.find_first_of(":/?#")));
  const bool numeric = !host.empty() && host.find_first_not_of("0123456789.") == std::string::npos;
  return host == "localhost" || host.ends_with(".localhost") || numeric ? "http://" : "https://";
}

Json check_page(const ApiContext& context, const crawl::Url& url, const store::Bot& bot) {
  crawl::FetchOptions options;
  options.user_agent = "Parley-InstallationCheck/0.1";
  options.max_body_bytes = kMaxPageBytes;
  options.timeout = std::chrono::seconds(10);
  options.connect_timeout = std::chrono::seconds(5);
  options.allow_private_addresses = context.options().allow_private_addresses;
  crawl::Fetcher fetcher(options);
  crawl::FetchRequest request;
  request.tag = 1;
  request.url = url.str();
  const crawl::FetchResponse response = fetcher.fetch(std::move(request));
  if (response.status < 200 || response.status >= 300) {
    const std::string why = response.status == 0 ? response.error : "the site answered HTTP " + std::to_string(response.status);
    return {{"fetched", false},
            {"error", why},
            {"message", "This server could not open the page (" + why +
                            "), so only the allowed domains were checked. If the page is private or needs a sign-in, "
                            "open it in your browser and look for the chat."}};
  }
  const auto tags = widget_tags(response.body);
  const auto mine = std::find_if(tags.begin(), tags.end(), [&](const ScriptTag& tag) { return tag.bot == bot.id; });
  if (mine != tags.end()) {
    return {{"fetched", true}, {"snippet", "found"}, {"src", mine->src},
            {"message", "The page has this bot's script tag."}};
  }
  if (!tags.empty()) {
    return {{"fetched", true}, {"snippet", "other_bot"}, {"src", tags.front().src}, {"other_bot", tags.front().bot},
            {"message", "The page's chat script tag is for another bot (data-bot=\"" + tags.front().bot +
                            "\"). Copy this bot's snippet from \"Embed on your site\" and paste it in its place."}};
  }
  return {{"fetched", true}, {"snippet", "missing"},
          {"message", "The page has no chat script tag. Paste the snippet from \"Embed on your site\" before the "
                      "page's closing </body> tag. (A tag added later by a tag manager cannot be seen from here.)"}};
}

Json installation_check(const ApiContext& context, const http::Request& request, const store::Bot& bot,
                        const crawl::Url& url) {
  const std::string origin = url.origin();
  const auto self = chat::parse_web_origin(url.scheme + "://" + std::string(request.header("Host")));
  const bool this_server = self.ok() && self->host == url.host &&
                           self->port == (url.port != 0 ? url.port : (url.scheme == "https" ? 443 : 80));
  const bool allowed = this_server || chat::origin_allowed(bot.settings, origin);
  Json check = {{"url", url.str()}, {"origin", origin}, {"allowed", allowed}};
  if (allowed) {
    check["domain_message"] = this_server ? "This is Parley's own server: its pages may always show the chat."
                                          : url.host + " is in the bot's allowed domains.";
  } else {
    const auto suggested = chat::normalize_domain_entry(url.port != 0 ? url.host + ":" + std::to_string(url.port) : url.host);
    check["suggested_domain"] = suggested.ok() ? *suggested : url.host;
    check["domain_message"] = "Visitors of " + origin + " see no chat: " + check["suggested_domain"].get<std::string>() +
                              " is not in the bot's allowed domains. Add it under \"Allowed domains\" and save.";
  }
  check["page"] = check_page(context, url, bot);
  const std::string snippet = check["page"].value("snippet", std::string());
  check["ok"] = allowed && snippet != "missing" && snippet != "other_bot";
  return check;
}

}  // namespace

void register_installation_routes(http::Router& router, ApiContext& context) {
  router.add("POST", "/api/v1/bots/{bot_id}/installation-check",
             admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
               PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
               std::string typed = body.value("url", std::string());
               typed = trim(typed);
               if (typed.empty()) {
                 return field_error("url", ErrorCode::invalid_request, "enter the address of a page of your site");
               }
               if (typed.find("://") == std::string::npos) typed = assumed_scheme(typed) + typed;
               const auto url = crawl::parse_url(typed);
               if (!url.ok()) {
                 return field_error("url", ErrorCode::invalid_request,
                                    "this is not a web page address (like https://www.example.com/contact)");
               }
               std::optional<store::Bot> bot;
               const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(bot, tx.bot(request.params["bot_id"]));
                 if (!bot) return make_error(ErrorCode::not_found, "no such bot");
                 return {};
               });
               if (!status.ok()) return http::error_response(status.error());
               return http::json_response(200, installation_check(context, request, *bot, *url));
             }));
  router.set_body_limit("POST", "/api/v1/bots/{bot_id}/installation-check", 8192);
}

}  // namespace parley::api
