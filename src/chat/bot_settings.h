// The settings of a bot that the answer pipeline reads, with their defaults. Stored as a JSON object on the bot;
// keys this version does not know are kept untouched (later versions and the web app add their own).
#pragma once

#include <string>

#include "common/result.h"
#include "store/types.h"

namespace parley::chat {

struct BotSettings {
  std::string language = "en";
  std::string greeting = "Hi! How can I help you today?";
  // Without settings.fallback_message: this, or kFallbackWithoutHandoff for a bot that hands no conversation to
  // people (settings.handoff.enabled false), which must not offer a person.
  std::string fallback_message =
      "I'm sorry, I couldn't find that in our help content. Would you like me to connect you with a person?";
  // Curated answers are returned verbatim when the question matches a curated question at least this well.
  double faq_threshold = 0.4;
  // Below this confidence the bot declines instead of answering from passages.
  double answer_threshold = 0.38;
  int max_sources = 5;
  int max_answer_sentences = 3;
  std::size_t max_message_chars = 4000;
  // What retrieved passages that the ingest-time screen flagged as prompt injections do to an answer:
  // "exclude" (answer without them), "refuse" (the fallback message when one is among the passages an answer would
  // be grounded on, the best five), or "flag" (use them; the data-quality report lists them for review).
  std::string content_injection_policy = "exclude";
};

inline constexpr std::string_view kFallbackWithoutHandoff = "I'm sorry, I couldn't find that in our help content.";

// Reads the known keys, checking types and ranges; other keys are ignored here.
Result<BotSettings> parse_bot_settings(const store::Json& settings);

// Validates a settings object sent by a client (the same checks as parse_bot_settings, plus: must be an object,
// and the widget's keys below have the right types and sizes).
Status validate_bot_settings(const store::Json& settings);

// ---- The widget: what a visitor sees, and which sites may embed it ----
//
// settings.persona, settings.instructions: strings for generative answers; settings.routing: see llm/routing.h.
// settings.suggested_questions: up to 6 strings shown as buttons under the greeting.
// settings.allowed_domains: the sites that may embed the bot (see DomainRule).
// settings.widget: {primary_color "#rrggbb", position "right"|"left", direction "auto"|"ltr"|"rtl",
//   logo_url, avatar_url (https: or data:image/...), proactive_open_seconds (0 = never), texts: {name: string}}
//   where the text names are those of widget_text_defaults().

// Every string the widget shows a visitor, with its default (English); settings.widget.texts overrides each.
const store::Json& widget_text_defaults();

// The public configuration of the widget: the visible texts, colours, greeting and suggested questions with the
// defaults filled in. Nothing secret: persona, instructions, thresholds and allowed domains stay out.
store::Json public_widget_config(const store::Bot& bot);

// One entry of settings.allowed_domains: "example.com" (that host, http or https, any port), "*.example.com" (its
// subdomains), "https://shop.example.com" (that scheme only), "localhost:8000" (that port only).
struct DomainRule {
  std::string scheme;  // "http" or "https"; empty: either
  std::string host;    // lower-case, without the "*." of a subdomain rule
  bool subdomains = false;
  int port = 0;  // 0: any
};
Result<DomainRule> parse_domain_rule(std::string_view text);

// An allowed-domain entry as an owner may type it, in the form it is stored: surrounding spaces, a page's path,
// query or fragment and a trailing slash are dropped, scheme and host lower-cased ("https://WWW.Shop.com/page/" →
// "https://www.shop.com"; "localhost:8099" stays). Fails, in plain words, on what names no site.
Result<std::string> normalize_domain_entry(std::string_view text);
// Every entry of settings.allowed_domains normalised, duplicates dropped (in place; other settings untouched).
Status normalize_allowed_domains(store::Json& settings);

// A browser Origin header value ("https://shop.example.com:8443"), split; fails on anything else ("null" too).
struct WebOrigin {
  std::string scheme;
  std::string host;
  int port = 0;  // the explicit port, or the scheme's default
};
Result<WebOrigin> parse_web_origin(std::string_view origin);

// True when a page at `origin` may embed the bot with these settings (false for a bot without allowed domains).
bool origin_allowed(const store::Json& settings, std::string_view origin);

}  // namespace parley::chat
