#include "chat/bot_settings.h"

#include <algorithm>
#include <cctype>

#include "common/utf8.h"
#include "llm/routing.h"

namespace parley::chat {
namespace {

Status read_string(const store::Json& settings, const char* key, std::string& out, std::size_t max_bytes) {
  const auto it = settings.find(key);
  if (it == settings.end() || it->is_null()) return {};
  if (!it->is_string()) return make_error(ErrorCode::invalid_request, std::string("settings.") + key + " must be a string");
  const auto& value = it->get_ref<const std::string&>();
  if (value.size() > max_bytes) {
    return make_error(ErrorCode::invalid_request, std::string("settings.") + key + " is too long");
  }
  out = value;
  return {};
}

Status read_number(const store::Json& settings, const char* key, double& out, double low, double high) {
  const auto it = settings.find(key);
  if (it == settings.end() || it->is_null()) return {};
  if (!it->is_number()) return make_error(ErrorCode::invalid_request, std::string("settings.") + key + " must be a number");
  const double value = it->get<double>();
  if (!(value >= low && value <= high)) {
    return make_error(ErrorCode::invalid_request, std::string("settings.") + key + " must be between " +
                                                      std::to_string(low) + " and " + std::to_string(high));
  }
  out = value;
  return {};
}

}  // namespace

Result<BotSettings> parse_bot_settings(const store::Json& settings) {
  BotSettings out;
  if (!settings.is_object()) return out;
  PARLEY_TRY(read_string(settings, "language", out.language, 16));
  if (out.language.empty()) out.language = "en";
  PARLEY_TRY(read_string(settings, "greeting", out.greeting, 2000));
  if (const auto handoff = settings.find("handoff"); handoff != settings.end() && handoff->is_object()) {
    const auto enabled = handoff->find("enabled");
    if (enabled != handoff->end() && enabled->is_boolean() && !enabled->get<bool>()) {
      out.fallback_message = std::string(kFallbackWithoutHandoff);
    }
  }
  PARLEY_TRY(read_string(settings, "fallback_message", out.fallback_message, 2000));
  PARLEY_TRY(read_number(settings, "faq_threshold", out.faq_threshold, 0.0, 1.0));
  PARLEY_TRY(read_number(settings, "answer_threshold", out.answer_threshold, 0.0, 1.0));
  double max_sources = out.max_sources;
  PARLEY_TRY(read_number(settings, "max_sources", max_sources, 1, 10));
  out.max_sources = static_cast<int>(max_sources);
  double sentences = out.max_answer_sentences;
  PARLEY_TRY(read_number(settings, "max_answer_sentences", sentences, 1, 10));
  out.max_answer_sentences = static_cast<int>(sentences);
  double max_chars = static_cast<double>(out.max_message_chars);
  PARLEY_TRY(read_number(settings, "max_message_chars", max_chars, 1, 100000));
  out.max_message_chars = static_cast<std::size_t>(max_chars);
  double semantic_weight = 1;  // checked here, read by retrieval (search::semantic_weight)
  PARLEY_TRY(read_number(settings, "semantic_weight", semantic_weight, 0, 10));
  PARLEY_TRY(read_string(settings, "content_injection_policy", out.content_injection_policy, 16));
  if (out.content_injection_policy != "exclude" && out.content_injection_policy != "refuse" &&
      out.content_injection_policy != "flag") {
    return make_error(ErrorCode::invalid_request, "settings.content_injection_policy must be exclude, refuse or flag");
  }
  return out;
}

namespace {

constexpr std::size_t kMaxTextBytes = 500;
constexpr std::size_t kMaxLongTextBytes = 8000;
constexpr std::size_t kMaxSuggestedQuestions = 6;
constexpr std::size_t kMaxAllowedDomains = 50;
constexpr std::size_t kMaxSynonymGroups = 200;
constexpr std::size_t kMaxSynonymGroupWords = 20;
constexpr std::size_t kMaxSynonymWordBytes = 64;
constexpr std::size_t kMaxImageUrlBytes = 128 * 1024;
constexpr std::string_view kDefaultColor = "#1f6f5c";

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Error setting_error(std::string_view key, std::string_view problem) {
  return make_error(ErrorCode::invalid_request, "settings." + std::string(key) + " " + std::string(problem));
}

Status check_string(const store::Json& value, std::string_view key, std::size_t max_bytes) {
  if (!value.is_string()) return setting_error(key, "must be a string");
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() > max_bytes) return setting_error(key, "is too long");
  if (!is_valid_utf8(text)) return setting_error(key, "is not valid UTF-8");
  return {};
}

Status check_string_list(const store::Json& value, std::string_view key, std::size_t max_items, std::size_t max_bytes) {
  if (!value.is_array()) return setting_error(key, "must be a list of strings");
  if (value.size() > max_items) return setting_error(key, "has more than " + std::to_string(max_items) + " entries");
  for (const auto& item : value) PARLEY_TRY(check_string(item, key, max_bytes));
  return {};
}

bool is_hex_color(std::string_view text) {
  if (text.size() != 7 || text[0] != '#') return false;
  for (char c : text.substr(1)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Images the widget may show: https URLs, or small inline raster/SVG images (an <img> never runs SVG scripts).
bool is_image_url(std::string_view url) {
  return url.empty() || url.starts_with("https://") || url.starts_with("data:image/png;base64,") ||
         url.starts_with("data:image/jpeg;base64,") || url.starts_with("data:image/gif;base64,") ||
         url.starts_with("data:image/webp;base64,") || url.starts_with("data:image/svg+xml;base64,");
}

Status check_widget(const store::Json& widget) {
  if (!widget.is_object()) return setting_error("widget", "must be an object");
  for (auto it = widget.begin(); it != widget.end(); ++it) {
    const std::string key = "widget." + it.key();
    const auto& value = *it;
    if (it.key() == "primary_color") {
      if (!value.is_string() || !is_hex_color(value.get<std::string>())) return setting_error(key, "must be a colour like #1f6f5c");
    } else if (it.key() == "position") {
      if (value != "right" && value != "left") return setting_error(key, "must be \"right\" or \"left\"");
    } else if (it.key() == "direction") {
      if (value != "auto" && value != "ltr" && value != "rtl") return setting_error(key, "must be \"auto\", \"ltr\" or \"rtl\"");
    } else if (it.key() == "logo_url" || it.key() == "avatar_url") {
      PARLEY_TRY(check_string(value, key, kMaxImageUrlBytes));
      if (!is_image_url(value.get<std::string>())) return setting_error(key, "must be an https: URL or a data:image/ URL");
    } else if (it.key() == "proactive_open_seconds") {
      if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 3600) {
        return setting_error(key, "must be a number of seconds from 0 to 3600");
      }
    } else if (it.key() == "texts") {
      if (!value.is_object()) return setting_error(key, "must be an object");
      for (auto text = value.begin(); text != value.end(); ++text) {
        if (!widget_text_defaults().contains(text.key())) return setting_error(key + "." + text.key(), "is not a widget text");
        PARLEY_TRY(check_string(*text, key + "." + text.key(), kMaxTextBytes));
      }
    } else {
      return setting_error(key, "is not a widget setting");
    }
  }
  return {};
}

// settings.synonyms (read by retrieval, search/bot_synonyms.h): groups of single words the bot's visitors and its
// content use for the same thing, [["delivery", "shipping", "arrive"], ...].
Status check_synonyms(const store::Json& groups) {
  const auto problem = [](const std::string& what) { return make_error(ErrorCode::invalid_request, "settings.synonyms: " + what); };
  if (!groups.is_array()) return problem("a list of word groups, each a list of words");
  if (groups.size() > kMaxSynonymGroups) return problem("at most " + std::to_string(kMaxSynonymGroups) + " groups");
  for (const auto& group : groups) {
    if (!group.is_array() || group.size() < 2 || group.size() > kMaxSynonymGroupWords) {
      return problem("each group needs 2 to " + std::to_string(kMaxSynonymGroupWords) + " words");
    }
    for (const auto& word : group) {
      if (!word.is_string()) return problem("each word must be text");
      const auto& text = word.get_ref<const std::string&>();
      if (text.size() > kMaxSynonymWordBytes || !is_valid_utf8(text)) {
        return problem("each word must be valid UTF-8 of at most " + std::to_string(kMaxSynonymWordBytes) + " bytes");
      }
      if (text.empty() || std::any_of(text.begin(), text.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
        return problem("each entry must be a single word (not \"" + text + "\")");
      }
    }
  }
  return {};
}

Status check_widget_settings(const store::Json& settings) {
  for (const char* key : {"persona", "instructions"}) {
    if (const auto it = settings.find(key); it != settings.end() && !it->is_null()) {
      PARLEY_TRY(check_string(*it, key, kMaxLongTextBytes));
    }
  }
  if (const auto it = settings.find("suggested_questions"); it != settings.end() && !it->is_null()) {
    PARLEY_TRY(check_string_list(*it, "suggested_questions", kMaxSuggestedQuestions, kMaxTextBytes));
  }
  if (const auto it = settings.find("allowed_domains"); it != settings.end() && !it->is_null()) {
    PARLEY_TRY(check_string_list(*it, "allowed_domains", kMaxAllowedDomains, 253));
    for (const auto& entry : *it) {
      if (const auto rule = parse_domain_rule(entry.get<std::string>()); !rule.ok()) return rule.error();
    }
  }
  if (const auto it = settings.find("widget"); it != settings.end() && !it->is_null()) PARLEY_TRY(check_widget(*it));
  return {};
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '[' || c == ']' || c == ':';
}

// "host[:port]" into its parts; the host lower-cased and checked to hold only host-name characters.
Status split_host_port(std::string_view text, std::string& host, int& port) {
  std::size_t colon = text.rfind(':');
  if (colon != std::string_view::npos && text.find(']', colon) != std::string_view::npos) colon = std::string_view::npos;
  host = ascii_lower(text.substr(0, colon));
  port = 0;
  if (colon != std::string_view::npos) {
    const std::string_view digits = text.substr(colon + 1);
    if (digits.empty() || digits.size() > 5) return make_error(ErrorCode::invalid_request, "bad port");
    for (char c : digits) {
      if (c < '0' || c > '9') return make_error(ErrorCode::invalid_request, "bad port");
      port = port * 10 + (c - '0');
    }
    if (port == 0 || port > 65535) return make_error(ErrorCode::invalid_request, "bad port");
  }
  if (host.empty() || host.size() > 253) return make_error(ErrorCode::invalid_request, "bad host");
  for (char c : host) {
    if (!is_host_char(c)) return make_error(ErrorCode::invalid_request, "bad host");
  }
  return {};
}

bool rule_matches(const DomainRule& rule, const WebOrigin& origin) {
  if (!rule.scheme.empty() && rule.scheme != origin.scheme) return false;
  if (rule.port != 0 && rule.port != origin.port) return false;
  if (!rule.subdomains) return origin.host == rule.host;
  return origin.host.size() > rule.host.size() + 1 && origin.host.ends_with(rule.host) &&
         origin.host[origin.host.size() - rule.host.size() - 1] == '.';
}

bool is_rtl_language(std::string_view language) {
  const std::string primary = ascii_lower(language.substr(0, language.find('-')));
  for (const char* rtl : {"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ku"}) {
    if (primary == rtl) return true;
  }
  return false;
}

}  // namespace

const store::Json& widget_text_defaults() {
  static const store::Json defaults = {
      {"title", ""},  // empty: the bot's name
      {"subtitle", "We usually answer right away"},
      {"launcher", "Chat with us"},
      {"placeholder", "Type your question…"},
      {"send", "Send"},
      {"close", "Close chat"},
      {"restart", "Start a new conversation"},
      {"sources", "Sources"},
      {"thumbs_up", "Helpful"},
      {"thumbs_down", "Not helpful"},
      {"feedback_thanks", "Thanks for your feedback!"},
      {"thinking", "Looking that up…"},
      {"error", "Sorry, something went wrong. Please try again."},
      {"offline", "You're offline. We'll reconnect as soon as we can."},
      {"busy", "Lots of questions right now. Trying again in a moment…"},
      {"not_allowed", "This chat isn't available on this site."},
      // Leads and handoff (docs/LEADS.md).
      {"talk_to_person", "Talk to a person"},
      {"leave_details", "Leave your contact details"},
      {"lead_intro", "Leave your details and we'll get back to you."},
      {"lead_submit", "Send my details"},
      {"lead_skip", "Not now"},
      {"lead_thanks", "Thank you! We'll be in touch."},
      {"field_required", "Please fill this in."},
      {"field_invalid", "Please check this."},
      {"phone_hint", "Without a country code, we read it as a number in {country}."},
      {"phone_code_needed", "Start with your country code, like +44."},
  };
  return defaults;
}

store::Json public_widget_config(const store::Bot& bot) {
  const store::Json& settings = bot.settings;
  const auto parsed = parse_bot_settings(settings);
  const BotSettings values = parsed.ok() ? *parsed : BotSettings{};
  const store::Json widget = settings.value("widget", store::Json::object());
  store::Json texts = widget_text_defaults();
  if (const auto custom = widget.find("texts"); custom != widget.end() && custom->is_object()) {
    for (auto it = custom->begin(); it != custom->end(); ++it) {
      if (it->is_string() && !it->get_ref<const std::string&>().empty()) texts[it.key()] = *it;
    }
  }
  if (texts["title"].get_ref<const std::string&>().empty()) texts["title"] = bot.name;
  std::string direction = widget.value("direction", "auto");
  if (direction != "ltr" && direction != "rtl") direction = is_rtl_language(values.language) ? "rtl" : "ltr";
  return {{"bot_id", bot.id},
          {"name", bot.name},
          {"language", values.language},
          {"direction", direction},
          {"greeting", values.greeting},
          {"suggested_questions", settings.value("suggested_questions", store::Json::array())},
          {"primary_color", widget.value("primary_color", std::string(kDefaultColor))},
          {"position", widget.value("position", "right")},
          {"logo_url", widget.value("logo_url", "")},
          {"avatar_url", widget.value("avatar_url", "")},
          {"proactive_open_seconds", widget.value("proactive_open_seconds", 0)},
          {"max_message_chars", values.max_message_chars},
          {"texts", texts}};
}

Result<DomainRule> parse_domain_rule(std::string_view text) {
  const auto invalid = [&] {
    return make_error(ErrorCode::invalid_request,
                      "settings.allowed_domains: \"" + std::string(text) +
                          "\" is not a website address. Write the site, like example.com, *.example.com (every "
                          "subdomain), https://shop.example.com or localhost:8000");
  };
  DomainRule rule;
  std::string_view rest = text;
  if (const auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    rule.scheme = ascii_lower(rest.substr(0, scheme_end));
    if (rule.scheme != "http" && rule.scheme != "https") return invalid();
    rest.remove_prefix(scheme_end + 3);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.starts_with("*.")) {
    rule.subdomains = true;
    rest.remove_prefix(2);
  }
  if (rest.find_first_of("/*?#@ ") != std::string_view::npos) return invalid();
  if (!split_host_port(rest, rule.host, rule.port).ok()) return invalid();
  return rule;
}

Result<std::string> normalize_domain_entry(std::string_view text) {
  std::string_view rest = text;
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  const std::string typed(rest);
  const auto scheme_end = rest.find("://");
  const std::size_t host_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  // Only the site counts: what follows the host (a page, a query, a fragment) is dropped.
  if (const auto end = rest.find_first_of("/?#", host_start); end != std::string_view::npos) rest = rest.substr(0, end);
  const auto rule = parse_domain_rule(rest);
  if (!rule.ok() || rest.empty()) {
    return make_error(ErrorCode::invalid_request,
                      "settings.allowed_domains: \"" + typed +
                          "\" is not a website address. Write the site, like example.com, *.example.com (every "
                          "subdomain), https://shop.example.com or localhost:8000");
  }
  std::string out = rule->scheme.empty() ? "" : rule->scheme + "://";
  if (rule->subdomains) out += "*.";
  out += rule->host;
  if (rule->port != 0) out += ":" + std::to_string(rule->port);
  return out;
}

Status normalize_allowed_domains(store::Json& settings) {
  if (!settings.is_object()) return {};
  const auto domains = settings.find("allowed_domains");
  if (domains == settings.end() || !domains->is_array()) return {};
  store::Json normalized = store::Json::array();
  for (const auto& entry : *domains) {
    if (!entry.is_string()) return setting_error("allowed_domains", "must be a list of website addresses");
    PARLEY_ASSIGN_OR_RETURN(const std::string site, normalize_domain_entry(entry.get<std::string>()));
    if (std::find(normalized.begin(), normalized.end(), site) == normalized.end()) normalized.push_back(site);
  }
  *domains = std::move(normalized);
  return {};
}

Result<WebOrigin> parse_web_origin(std::string_view origin) {
  const auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return make_error(ErrorCode::invalid_request, "not an origin");
  WebOrigin out;
  out.scheme = ascii_lower(origin.substr(0, scheme_end));
  if (out.scheme != "http" && out.scheme != "https") return make_error(ErrorCode::invalid_request, "not a web origin");
  const std::string_view rest = origin.substr(scheme_end + 3);
  if (rest.find_first_of("/*?#@ ") != std::string_view::npos) return make_error(ErrorCode::invalid_request, "not an origin");
  PARLEY_TRY(split_host_port(rest, out.host, out.port));
  if (out.port == 0) out.port = out.scheme == "https" ? 443 : 80;
  return out;
}

bool origin_allowed(const store::Json& settings, std::string_view origin) {
  const auto domains = settings.find("allowed_domains");
  if (domains == settings.end() || !domains->is_array()) return false;
  const auto parsed = parse_web_origin(origin);
  if (!parsed.ok()) return false;
  for (const auto& entry : *domains) {
    if (!entry.is_string()) continue;
    const auto rule = parse_domain_rule(entry.get<std::string>());
    if (rule.ok() && rule_matches(*rule, *parsed)) return true;
  }
  return false;
}

Status validate_bot_settings(const store::Json& settings) {
  if (!settings.is_object()) return make_error(ErrorCode::invalid_request, "settings must be a JSON object");
  PARLEY_TRY(parse_bot_settings(settings));
  PARLEY_TRY(llm::routing_policy_from_settings(settings));
  if (const auto it = settings.find("synonyms"); it != settings.end() && !it->is_null()) PARLEY_TRY(check_synonyms(*it));
  return check_widget_settings(settings);
}

}  // namespace parley::chat
