// Conversations, messages, visitors' feedback and model generations.
#include <limits>

#include "common/clock.h"
#include "common/ids.h"
#include "store/sql/sql_tx.h"

namespace parley::store {

Result<std::optional<Conversation>> SqlTx::conversation(std::string_view bot_id, std::string_view conversation_id) {
  return one(sql({"SELECT ", kConversationSummaryColumns, " FROM conversations WHERE id = ? AND bot_id = ? AND ", kInScope}),
             read_conversation, conversation_id, bot_id);
}

Result<std::vector<Conversation>> SqlTx::conversations(std::string_view bot_id, const ConversationFilter& filter) {
  // Named parameters throughout: the optional filters each appear twice.
  auto stmt = db_.prepare(sql(
      {"SELECT ", kConversationSummaryColumns,
       " FROM conversations WHERE bot_id = :bot AND created_at >= :since AND created_at < :until"
       " AND (:text = '' OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id"
       "      AND instr(lower(m.text), :text) > 0))"
       " AND (:mode = '' OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id AND m.mode = :mode))"
       " AND (:rating = 0 OR EXISTS (SELECT 1 FROM message_feedback f WHERE f.conversation_id = conversations.id"
       "      AND f.rating = :rating)) AND ",
       kInScope, " ORDER BY created_at DESC, rowid DESC LIMIT :limit OFFSET :offset"}));
  stmt.bind(":bot", bot_id)
      .bind(":since", filter.since.value_or(0))
      .bind(":until", filter.until.value_or(std::numeric_limits<std::int64_t>::max()))
      .bind(":text", ascii_lower(filter.text))
      .bind(":mode", filter.mode.value_or(""))
      .bind(":rating", filter.rating.value_or(0))
      .bind(":limit", filter.limit)
      .bind(":offset", filter.offset);
  bind_scope(stmt);
  std::vector<Conversation> out;
  while (stmt.step()) out.push_back(read_conversation(stmt));
  return out;
}

Result<std::vector<Message>> SqlTx::messages(std::string_view conversation_id) {
  // Scoped through the conversation row, which carries the workspace.
  return all(sql({"SELECT ", kMessageColumns, " FROM messages WHERE conversation_id = ? AND EXISTS ("
                  "SELECT 1 FROM conversations WHERE id = ? AND ", kInScope, ") ORDER BY id"}),
             read_message, conversation_id, conversation_id);
}

Result<Conversation> SqlTx::create_conversation(std::string_view bot_id) {
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return make_error(ErrorCode::not_found, "no such bot");
  Conversation conversation;
  conversation.id = new_id("conv");
  conversation.workspace_id = *owner;
  conversation.bot_id = std::string(bot_id);
  conversation.created_at = conversation.updated_at = unix_millis();
  db_.prepare(sql({"INSERT INTO conversations (", kConversationColumns, ") VALUES (?, ?, ?, ?, 0, ?, ?)"}))
      .bind(1, conversation.id)
      .bind(2, conversation.workspace_id)
      .bind(3, conversation.bot_id)
      .bind(4, conversation.status)
      .bind(5, conversation.created_at)
      .bind(6, conversation.updated_at)
      .run();
  return conversation;
}

Status SqlTx::mark_test_conversation(std::string_view conversation_id) {
  auto stmt = db_.prepare(sql({"UPDATE conversations SET test = 1 WHERE id = ? AND ", kInScope}));
  stmt.bind(1, conversation_id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such conversation");
  return {};
}

Result<Message> SqlTx::append_message(const Message& message) {
  Message stored = message;
  stored.created_at = unix_millis();
  auto update = db_.prepare(sql({"UPDATE conversations SET message_count = message_count + 1, updated_at = ? "
                                 "WHERE id = ? AND ", kInScope}));
  update.bind(1, stored.created_at).bind(2, stored.conversation_id);
  bind_scope(update);
  update.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such conversation");
  stored.id = db_.insert(db_.prepare_insert("INSERT INTO messages (conversation_id, role, text, mode, confidence, "
                                             "sources, latency_us, created_at, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                             .bind_positional(stored.conversation_id, stored.role, stored.text, stored.mode,
                                              stored.confidence, sources_to_json(stored.sources).dump(),
                                              stored.latency_us, stored.created_at, stored.author));
  return stored;
}

Status SqlTx::set_feedback(std::string_view conversation_id, std::int64_t message_id, int rating) {
  auto target = db_.prepare(sql({"SELECT c.workspace_id, c.bot_id FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                                 "WHERE m.id = ? AND m.conversation_id = ? AND m.role = 'assistant' AND "
                                 "(:ws = '' OR c.workspace_id = :ws)"}));
  target.bind(1, message_id).bind(2, conversation_id);
  bind_scope(target);
  if (!target.step()) return make_error(ErrorCode::not_found, "no such answer in this conversation");
  const std::string workspace_id = target.text(0);
  const std::string bot_id = target.text(1);
  target.reset();
  if (rating == 0) {
    db_.prepare("DELETE FROM message_feedback WHERE message_id = ?").bind(1, message_id).run();
    return {};
  }
  db_.prepare("INSERT INTO message_feedback (message_id, conversation_id, workspace_id, bot_id, rating, created_at) "
              "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO UPDATE SET rating = excluded.rating, "
              "created_at = excluded.created_at")
      .bind(1, message_id)
      .bind(2, conversation_id)
      .bind(3, workspace_id)
      .bind(4, bot_id)
      .bind(5, rating)
      .bind(6, unix_millis())
      .run();
  return {};
}

Result<Generation> SqlTx::record_generation(const Generation& generation) {
  PARLEY_ASSIGN_OR_RETURN(auto owner, bot(generation.bot_id));
  if (!owner) return make_error(ErrorCode::not_found, "no such bot");
  Generation stored = generation;
  stored.workspace_id = owner->workspace_id;
  stored.created_at = unix_millis();
  stored.id = db_.insert(
      db_.prepare_insert("INSERT INTO generations (workspace_id, bot_id, message_id, provider, model, outcome, error, "
                         "prompt_tokens, completion_tokens, cost_usd, first_token_ms, total_ms, routing, created_at) "
                         "VALUES (?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .bind_positional(stored.workspace_id, stored.bot_id, stored.message_id, stored.provider, stored.model,
                           stored.outcome, stored.error, stored.prompt_tokens, stored.completion_tokens,
                           stored.cost_usd, stored.first_token_ms, stored.total_ms, stored.routing.dump(),
                           stored.created_at));
  return stored;
}

}  // namespace parley::store
