#include "notify/slack.h"

#include "common/utf8.h"

namespace parley::notify {
namespace {

constexpr std::size_t kMaxQuotedBytes = 600;

std::string field(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// At most kMaxQuotedBytes of `text` (cut on a character boundary), escaped.
std::string quote_excerpt(std::string_view text) {
  const std::size_t keep = utf8_prefix_length(text, kMaxQuotedBytes);
  return slack_escape(text.substr(0, keep)) + (keep < text.size() ? "…" : "");
}

std::string lead_line(const Json& lead) {
  std::string line;
  for (const char* key : {"name", "email", "phone", "company"}) {
    const std::string value = field(lead, key);
    if (value.empty()) continue;
    if (!line.empty()) line += " · ";
    line += slack_escape(value);
  }
  return line.empty() ? "(no contact details)" : line;
}

}  // namespace

std::string slack_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

Json slack_message(const Event& event) {
  const std::string bot = "*" + slack_escape(event.bot_name) + "*";
  const Json& data = event.data;
  std::string text;
  if (event.type == event_type::lead_created) {
    text = "New lead for " + bot + ": " + lead_line(data.value("lead", Json::object()));
  } else if (event.type == event_type::handoff_requested) {
    const Json conversation = data.value("conversation", Json::object());
    text = "A visitor of " + bot + " asks for a person. " + quote_excerpt(field(conversation, "summary"));
  } else if (event.type == event_type::conversation_closed) {
    text = "A conversation with " + bot + " was closed.";
  } else if (event.type == event_type::message_created) {
    const Json message = data.value("message", Json::object());
    const std::string role = field(message, "role");
    const std::string who = role == "user" ? "Visitor" : role == "agent" ? slack_escape(field(message, "author")) : "Bot";
    text = who + " in " + bot + ": " + quote_excerpt(field(message, "text"));
  } else if (event.type == event_type::feedback_created) {
    text = std::string(data.value("rating", 0) > 0 ? "Helpful" : "Not helpful") + " — feedback on an answer of " + bot +
           ": " + quote_excerpt(field(data, "answer"));
  } else if (event.type == event_type::webhook_test) {
    text = "A test message from Parley: this channel will get the events you chose.";
  } else {
    text = slack_escape(event.type) + " in " + bot;
  }
  return {{"text", text}};
}

}  // namespace parley::notify
