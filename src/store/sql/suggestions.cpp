// Learning from misses: the questions a bot missed, and the suggestions its owner answered.
#include "common/clock.h"
#include "store/sql/sql_tx.h"

namespace parley::store {

Result<std::vector<MissedQuestion>> SqlTx::missed_questions(std::string_view bot_id) {
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return make_error(ErrorCode::not_found, "no such bot");
  // The question each missed answer answered: the latest user message before it in its conversation.
  auto stmt = db_.prepare(
      "SELECT q.text, q.created_at, CASE WHEN a.mode = 'fallback' THEN 1 ELSE 0 END, coalesce(f.rating, 0) "
      "FROM messages a JOIN conversations c ON c.id = a.conversation_id "
      "LEFT JOIN message_feedback f ON f.message_id = a.id "
      "JOIN messages q ON q.id = (SELECT max(p.id) FROM messages p WHERE p.conversation_id = a.conversation_id "
      "AND p.id < a.id AND p.role = 'user') "
      "WHERE c.bot_id = ? AND c.test = 0 AND a.role = 'assistant' AND (a.mode = 'fallback' OR f.rating = -1) "
      "ORDER BY a.id");
  stmt.bind_positional(bot_id);
  std::vector<MissedQuestion> missed;
  while (stmt.step()) {
    missed.push_back({stmt.text(0), stmt.integer(1), stmt.integer(2) != 0, stmt.integer(3) < 0});
  }
  return missed;
}

Result<std::vector<SuggestionAnswer>> SqlTx::suggestion_answers(std::string_view bot_id) {
  return all(sql({"SELECT suggestion_id, document_id, answered_at FROM suggestion_answers WHERE bot_id = ? AND ",
                  kInScope}),
             [](const Statement& row) { return SuggestionAnswer{row.text(0), row.text(1), row.integer(2)}; },
             bot_id);
}

Result<SuggestionAnswer> SqlTx::record_suggestion_answer(std::string_view bot_id, const SuggestionAnswer& answer) {
  PARLEY_ASSIGN_OR_RETURN(const auto workspace_id, bot_workspace(bot_id));
  if (!workspace_id) return make_error(ErrorCode::not_found, "no such bot");
  SuggestionAnswer stored = answer;
  stored.answered_at = unix_millis();
  db_.prepare("INSERT INTO suggestion_answers (workspace_id, bot_id, suggestion_id, document_id, answered_at) "
              "VALUES (?, ?, ?, ?, ?) ON CONFLICT (bot_id, suggestion_id) DO UPDATE SET "
              "document_id = excluded.document_id, answered_at = excluded.answered_at")
      .bind_positional(*workspace_id, bot_id, stored.suggestion_id, stored.document_id, stored.answered_at)
      .run();
  return stored;
}

}  // namespace parley::store
