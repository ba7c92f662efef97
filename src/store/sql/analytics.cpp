// Reports over conversations and generations: a bot's analytics, usage and spend.
#include <map>

#include "store/sql/sql_tx.h"

namespace parley::store {

Result<BotAnalytics> SqlTx::analytics(std::string_view bot_id, std::int64_t since, std::int64_t until,
                                      bool include_tests) {
  BotAnalytics out;
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return make_error(ErrorCode::not_found, "no such bot");
  std::map<std::string, DailyActivity> days;
  // Messages of the bot in the window; `a` is the message, `c` its conversation (tests left out unless asked for).
  constexpr std::string_view kBotMessages =
      " FROM messages a JOIN conversations c ON c.id = a.conversation_id"
      " WHERE c.bot_id = :bot AND a.created_at >= :since AND a.created_at < :until AND (:tests = 1 OR c.test = 0)";
  const auto window = [&](Statement& stmt) {
    stmt.bind(":bot", bot_id).bind(":since", since).bind(":until", until).bind(":tests", include_tests ? 1 : 0);
  };

  auto started = db_.prepare(sql({"SELECT ", day_of("created_at"), " AS day, count(*) FROM conversations "
                                  "WHERE bot_id = :bot AND created_at >= :since AND created_at < :until "
                                  "AND (:tests = 1 OR test = 0) GROUP BY day"}));
  window(started);
  while (started.step()) {
    auto& day = days[started.text(0)];
    day.conversations = started.integer(1);
    out.conversations += day.conversations;
  }
  auto messages = db_.prepare(sql({"SELECT ", day_of("a.created_at"), " AS day, a.role, a.mode, count(*)",
                                   kBotMessages, " GROUP BY day, a.role, a.mode"}));
  window(messages);
  while (messages.step()) {
    auto& day = days[messages.text(0)];
    const std::string role = messages.text(1);
    const std::string mode = messages.text(2);
    const std::int64_t count = messages.integer(3);
    if (role == "user") {
      day.questions += count;
      out.questions += count;
    } else if (role == "assistant" && mode == "fallback") {
      day.fallbacks += count;
      out.fallbacks += count;
    } else if (role == "assistant") {
      day.answered += count;
      out.answered += count;
    }
  }
  for (auto& [name, day] : days) {
    day.day = name;
    out.days.push_back(day);
  }

  auto feedback = db_.prepare("SELECT f.rating, count(*) FROM message_feedback f JOIN conversations c ON c.id = "
                              "f.conversation_id WHERE f.bot_id = :bot AND f.created_at >= :since AND f.created_at < "
                              ":until AND (:tests = 1 OR c.test = 0) GROUP BY f.rating");
  window(feedback);
  while (feedback.step()) (feedback.integer(0) > 0 ? out.thumbs_up : out.thumbs_down) = feedback.integer(1);

  // The visitor's question that each fallback answered: the latest user message before it.
  auto unanswered = db_.prepare(
      "SELECT min(q.text), count(*), max(q.created_at) FROM messages a JOIN conversations c ON c.id = a.conversation_id "
      "JOIN messages q ON q.id = (SELECT max(p.id) FROM messages p WHERE p.conversation_id = a.conversation_id "
      "AND p.id < a.id AND p.role = 'user') "
      "WHERE c.bot_id = :bot AND a.created_at >= :since AND a.created_at < :until AND a.mode = 'fallback' "
      "AND (:tests = 1 OR c.test = 0) "
      "GROUP BY lower(trim(q.text)) ORDER BY count(*) DESC, max(q.created_at) DESC LIMIT 20");
  window(unanswered);
  while (unanswered.step()) out.unanswered.push_back({unanswered.text(0), unanswered.integer(1), unanswered.integer(2)});

  auto cited = db_.prepare(sql(
      {"SELECT ", json_text("j.value", "url"), " AS url, max(", json_text("j.value", "title"), "), count(*) "
       "FROM messages a JOIN conversations c ON c.id = a.conversation_id, ", json_elements("a.sources"),
       " WHERE c.bot_id = :bot AND a.created_at >= :since AND a.created_at < :until AND a.role = 'assistant' "
       "AND (:tests = 1 OR c.test = 0) GROUP BY url ORDER BY count(*) DESC, url LIMIT 10"}));
  window(cited);
  while (cited.step()) out.top_sources.push_back({cited.text(1), cited.text(0), cited.integer(2)});

  auto latencies = db_.prepare(sql({"SELECT a.latency_us", kBotMessages, " AND a.role = 'assistant' ORDER BY a.latency_us"}));
  window(latencies);
  while (latencies.step()) out.latencies_us.push_back(latencies.integer(0));

  auto handoffs = db_.prepare("SELECT count(*) FROM conversations WHERE bot_id = :bot AND created_at >= :since AND "
                              "created_at < :until AND handoff_requested_at IS NOT NULL AND (:tests = 1 OR test = 0)");
  window(handoffs);
  if (handoffs.step()) out.handoffs = handoffs.integer(0);
  return out;
}

Result<std::vector<UsageRow>> SqlTx::usage(std::string_view bot_id, std::int64_t since, std::int64_t until) {
  auto stmt = db_.prepare(sql(
      {"SELECT ", day_of("created_at"), " AS day, bot_id, provider, model, count(*), "
       "sum(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END), sum(prompt_tokens), sum(completion_tokens), sum(cost_usd), avg(first_token_ms), "
       "avg(total_ms) FROM generations WHERE ", kInScope,
       " AND (:bot = '' OR bot_id = :bot) AND created_at >= :since AND created_at < :until "
       "GROUP BY day, bot_id, provider, model ORDER BY day, bot_id, provider, model"}));
  bind_scope(stmt);
  stmt.bind(":bot", bot_id).bind(":since", since).bind(":until", until);
  std::vector<UsageRow> rows;
  while (stmt.step()) {
    rows.push_back({stmt.text(0), stmt.text(1), stmt.text(2), stmt.text(3), stmt.integer(4), stmt.integer(5),
                    stmt.integer(6), stmt.integer(7), stmt.real(8), stmt.real(9), stmt.real(10)});
  }
  return rows;
}

Result<double> SqlTx::spend_since(std::string_view bot_id, std::int64_t since) {
  auto stmt = db_.prepare(sql({"SELECT coalesce(sum(cost_usd), 0) FROM generations WHERE ", kInScope,
                               " AND (:bot = '' OR bot_id = :bot) AND created_at >= :since"}));
  bind_scope(stmt);
  stmt.bind(":bot", bot_id).bind(":since", since);
  stmt.step();
  return stmt.real(0);
}

}  // namespace parley::store
