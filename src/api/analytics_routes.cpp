// Analytics and conversation export, for the business:
//   GET /api/v1/bots/{bot_id}/analytics?from=YYYY-MM-DD&to=YYYY-MM-DD&tests=exclude|include
//       (default: the last 30 days, UTC, without test conversations: the playground's)
//   GET /api/v1/bots/{bot_id}/conversations/export?format=csv|json&...   (the list's filters; every message)
// and the filter that the conversation list and the export share.
#include <charconv>
#include <chrono>

#include "api/handlers.h"
#include "guard/pii.h"
#include "common/clock.h"
#include "common/csv.h"

namespace parley::api {
namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
constexpr int kMaxExportConversations = 10'000;

Error bad_query(std::string_view name, std::string_view expected) {
  return make_error(ErrorCode::invalid_request, "`" + std::string(name) + "` must be " + std::string(expected));
}

std::optional<std::string> query_value(const http::Request& request, const char* name) {
  const auto it = request.query.find(name);
  if (it == request.query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

Result<int> int_query(const http::Request& request, const char* name, int fallback, int low, int high) {
  const auto text = query_value(request, name);
  if (!text) return fallback;
  int value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < low || value > high) {
    return bad_query(name, "an integer from " + std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

// "YYYY-MM-DD" (UTC) as Unix milliseconds at the start of that day.
Result<std::optional<std::int64_t>> date_query(const http::Request& request, const char* name) {
  const auto text = query_value(request, name);
  if (!text) return std::optional<std::int64_t>();
  int year = 0;
  unsigned month = 0, day = 0;
  const char* p = text->data();
  const char* end = p + text->size();
  auto r1 = std::from_chars(p, end, year);
  if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != '-') return bad_query(name, "a date like 2026-01-31");
  auto r2 = std::from_chars(r1.ptr + 1, end, month);
  if (r2.ec != std::errc() || r2.ptr == end || *r2.ptr != '-') return bad_query(name, "a date like 2026-01-31");
  auto r3 = std::from_chars(r2.ptr + 1, end, day);
  if (r3.ec != std::errc() || r3.ptr != end) return bad_query(name, "a date like 2026-01-31");
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)};
  if (!date.ok()) return bad_query(name, "a valid date");
  const auto days = std::chrono::sys_days(date).time_since_epoch().count();
  return std::optional<std::int64_t>(static_cast<std::int64_t>(days) * kDayMs);
}

double percentile_ms(const std::vector<std::int64_t>& sorted_us, double fraction) {
  if (sorted_us.empty()) return 0;
  const auto index = static_cast<std::size_t>(fraction * static_cast<double>(sorted_us.size() - 1) + 0.5);
  return static_cast<double>(sorted_us[std::min(index, sorted_us.size() - 1)]) / 1000.0;
}

// `redact`: the kinds of personal data replaced in the visitors' questions listed verbatim (unanswered).
Json analytics_view(const store::BotAnalytics& data, std::int64_t since, std::int64_t until, guard::PiiTypes redact) {
  Json days = Json::array();
  for (const auto& day : data.days) {
    days.push_back({{"day", day.day},
                    {"conversations", day.conversations},
                    {"questions", day.questions},
                    {"answered", day.answered},
                    {"fallbacks", day.fallbacks}});
  }
  Json unanswered = Json::array();
  for (const auto& question : data.unanswered) {
    unanswered.push_back({{"text", redact != 0 ? guard::redact_pii(question.text, redact) : question.text},
                          {"count", question.count}, {"last_asked_at", format_rfc3339(question.last_asked_at)}});
  }
  Json sources = Json::array();
  for (const auto& source : data.top_sources) {
    sources.push_back({{"title", source.title}, {"url", source.url}, {"citations", source.citations}});
  }
  const std::int64_t answers = data.answered + data.fallbacks;
  const auto rate = [&](std::int64_t part) { return answers == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(answers); };
  return {{"from", format_rfc3339(since)},
          {"to", format_rfc3339(until)},
          {"totals",
           {{"conversations", data.conversations},
            {"questions", data.questions},
            {"answered", data.answered},
            {"fallbacks", data.fallbacks},
            {"answered_rate", rate(data.answered)},
            {"fallback_rate", rate(data.fallbacks)},
            {"handoffs", data.handoffs},
            // Of the conversations started in the window, those in which a person was asked for.
            {"handoff_rate", data.conversations == 0 ? 0.0
                                                     : static_cast<double>(data.handoffs) / static_cast<double>(data.conversations)},
            {"thumbs_up", data.thumbs_up},
            {"thumbs_down", data.thumbs_down}}},
          {"latency_ms",
           {{"p50", percentile_ms(data.latencies_us, 0.50)},
            {"p90", percentile_ms(data.latencies_us, 0.90)},
            {"p99", percentile_ms(data.latencies_us, 0.99)},
            {"count", data.latencies_us.size()}}},
          {"days", days},
          {"unanswered", unanswered},
          {"top_sources", sources}};
}

std::string csv_export(const std::vector<std::pair<store::Conversation, std::vector<store::Message>>>& conversations) {
  std::string out = "conversation_id,message_id,created_at,role,text,mode,confidence,latency_ms,feedback,sources\r\n";
  for (const auto& [conversation, messages] : conversations) {
    for (const auto& message : messages) {
      std::string sources;
      for (const auto& source : message.sources) {
        if (!sources.empty()) sources += " | ";
        sources += source.title + " <" + source.url + ">";
      }
      const bool answer = message.role == "assistant";
      out += csv_field(conversation.id) + "," + std::to_string(message.id) + "," + format_rfc3339(message.created_at) +
             "," + csv_field(message.role) + "," + csv_field(message.text) + "," + csv_field(message.mode) + "," +
             (answer ? std::to_string(message.confidence) : "") + "," +
             (answer ? std::to_string(static_cast<double>(message.latency_us) / 1000.0) : "") + "," +
             (message.rating > 0 ? "up" : message.rating < 0 ? "down" : "") + "," + csv_field(sources) + "\r\n";
    }
  }
  return out;
}

// The kinds of personal data a bot's settings.pii_redaction.types names ("email,phone,card,iban,national_id,
// ip_address"; default all).
guard::PiiTypes configured_pii_types(const store::Bot& bot) {
  if (const auto it = bot.settings.find("pii_redaction"); it != bot.settings.end() && it->is_object()) {
    if (const auto kinds = it->find("types"); kinds != it->end() && kinds->is_string()) {
      return guard::parse_pii_types(kinds->get<std::string>());
    }
  }
  return guard::kAllPii;
}

// settings.pii_redaction.<name> as a switch, or `fallback` when it is not set.
bool pii_switch(const store::Bot& bot, const char* name, bool fallback) {
  if (const auto it = bot.settings.find("pii_redaction"); it != bot.settings.end() && it->is_object()) {
    if (const auto value = it->find(name); value != it->end() && value->is_boolean()) return value->get<bool>();
  }
  return fallback;
}

// Personal data in exports: `?redact=pii` asks for it, and a bot's settings.pii_redaction.exports (true) makes it the
// rule.
guard::PiiTypes export_redaction(const http::Request& request, const store::Bot& bot) {
  const bool wanted = query_value(request, "redact").value_or("") == "pii" || pii_switch(bot, "exports", false);
  return wanted ? configured_pii_types(bot) : 0;
}

}  // namespace

Result<store::ConversationFilter> conversation_filter(const http::Request& request) {
  store::ConversationFilter filter;
  PARLEY_ASSIGN_OR_RETURN(filter.limit, int_query(request, "limit", 50, 1, 500));
  PARLEY_ASSIGN_OR_RETURN(filter.offset, int_query(request, "offset", 0, 0, 1'000'000'000));
  if (const auto text = query_value(request, "q")) {
    if (text->size() > 200) return bad_query("q", "at most 200 bytes");
    filter.text = *text;
  }
  if (const auto mode = query_value(request, "mode")) {
    if (*mode != "faq" && *mode != "extractive" && *mode != "fallback" && *mode != "generative") {
      return bad_query("mode", "faq, extractive, fallback or generative");
    }
    filter.mode = *mode;
  }
  if (const auto rating = query_value(request, "rating")) {
    if (*rating != "up" && *rating != "down") return bad_query("rating", "up or down");
    filter.rating = *rating == "up" ? 1 : -1;
  }
  PARLEY_ASSIGN_OR_RETURN(filter.since, date_query(request, "from"));
  PARLEY_ASSIGN_OR_RETURN(const auto to, date_query(request, "to"));
  if (to) filter.until = *to + kDayMs;  // `to` is inclusive
  return filter;
}

// The [since, until) window of a report: `from` and `to` (inclusive) as UTC dates; by default the last 30 days
// including today; at most a year.
Result<std::pair<std::int64_t, std::int64_t>> report_window(const http::Request& request) {
  PARLEY_ASSIGN_OR_RETURN(const auto from, date_query(request, "from"));
  PARLEY_ASSIGN_OR_RETURN(const auto to, date_query(request, "to"));
  const std::int64_t today = unix_millis() / kDayMs * kDayMs;
  const std::int64_t until = to ? *to + kDayMs : today + kDayMs;
  const std::int64_t since = from ? *from : until - 30 * kDayMs;
  if (since >= until || until - since > 366 * kDayMs) {
    return make_error(ErrorCode::invalid_request, "`from` must be before `to`, at most a year apart");
  }
  return std::pair{since, until};
}

void register_analytics_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/bots/{bot_id}/analytics", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const auto window, report_window(request));
    const std::int64_t since = window.first, until = window.second;
    // Test conversations (the playground's) are not visitor traffic: left out unless asked for.
    const auto tests = request.query.find("tests");
    if (tests != request.query.end() && tests->second != "include" && tests->second != "exclude") {
      return http::error_response(ErrorCode::invalid_request, "`tests` must be include or exclude");
    }
    const bool include_tests = tests != request.query.end() && tests->second == "include";
    std::optional<store::BotAnalytics> data;
    guard::PiiTypes redact = 0;
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto bot, tx.bot(request.params["bot_id"]));
      if (!bot) return make_error(ErrorCode::not_found, "no such bot");
      // Analytics are for trends, read by more people than exports: personal data in visitors' questions is
      // replaced unless the bot's settings.pii_redaction.analytics is false.
      if (pii_switch(*bot, "analytics", true)) redact = configured_pii_types(*bot);
      PARLEY_ASSIGN_OR_RETURN(data, tx.analytics(bot->id, since, until, include_tests));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    Json view = analytics_view(*data, since, until, redact);
    view["tests_included"] = include_tests;
    return http::json_response(200, view);
  }));

  // Model usage and cost per day, bot, provider and model (every route tried, failed ones included).
  router.add("GET", "/api/v1/usage", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const auto window, report_window(request));
    const std::int64_t since = window.first, until = window.second;
    const std::string bot_id = query_value(request, "bot_id").value_or("");
    std::vector<store::UsageRow> rows;
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(rows, tx.usage(bot_id, since, until));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    Json items = Json::array();
    Json totals = {{"requests", 0}, {"failures", 0}, {"prompt_tokens", 0}, {"completion_tokens", 0}, {"cost_usd", 0.0}};
    for (const auto& row : rows) {
      items.push_back(usage_view(row));
      totals["requests"] = totals["requests"].get<std::int64_t>() + row.requests;
      totals["failures"] = totals["failures"].get<std::int64_t>() + row.failures;
      totals["prompt_tokens"] = totals["prompt_tokens"].get<std::int64_t>() + row.prompt_tokens;
      totals["completion_tokens"] = totals["completion_tokens"].get<std::int64_t>() + row.completion_tokens;
      totals["cost_usd"] = totals["cost_usd"].get<double>() + row.cost_usd;
    }
    return http::json_response(200, {{"from", format_rfc3339(since)}, {"until", format_rfc3339(until)},
                                     {"items", items}, {"totals", totals}});
  }));
}

void register_conversation_export_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/bots/{bot_id}/conversations/export",
             admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
               const std::string format = query_value(request, "format").value_or("json");
               if (format != "json" && format != "csv") return http::error_response(bad_query("format", "csv or json"));
               PARLEY_RESPOND_ON_ERROR(auto filter, conversation_filter(request));
               filter.limit = kMaxExportConversations;
               filter.offset = 0;
               std::vector<std::pair<store::Conversation, std::vector<store::Message>>> rows;
               guard::PiiTypes redact = 0;
               const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(request.params["bot_id"]));
                 if (!bot) return make_error(ErrorCode::not_found, "no such bot");
                 redact = export_redaction(request, *bot);
                 PARLEY_ASSIGN_OR_RETURN(auto conversations, tx.conversations(bot->id, filter));
                 for (auto& conversation : conversations) {
                   PARLEY_ASSIGN_OR_RETURN(auto messages, tx.messages(conversation.id));
                   rows.emplace_back(std::move(conversation), std::move(messages));
                 }
                 return {};
               });
               if (!status.ok()) return http::error_response(status.error());
               if (redact != 0) {
                 for (auto& [conversation, messages] : rows) {
                   conversation.first_question = guard::redact_pii(conversation.first_question, redact);
                   for (auto& message : messages) message.text = guard::redact_pii(message.text, redact);
                 }
               }
               http::Response response;
               if (format == "csv") {
                 response = http::text_response(200, csv_export(rows), "text/csv; charset=utf-8");
               } else {
                 Json conversations = Json::array();
                 for (const auto& [conversation, messages] : rows) {
                   Json view = conversation_view(conversation);
                   view["messages"] = Json::array();
                   for (const auto& message : messages) view["messages"].push_back(message_view(message));
                   conversations.push_back(std::move(view));
                 }
                 response = http::json_response(200, {{"conversations", conversations}});
               }
               response.headers["Content-Disposition"] =
                   "attachment; filename=\"conversations-" + request.params["bot_id"] + "." + format + "\"";
               return response;
             }));
}

}  // namespace parley::api
