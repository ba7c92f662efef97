// Quotas kept in the store so that a restart does not hand out fresh ones.
#include "store/sql/sql_tx.h"

namespace parley::store {

Result<bool> SqlTx::take_daily_message(std::string_view bot_id, std::int64_t day, std::int64_t limit) {
  PARLEY_ASSIGN_OR_RETURN(auto owner, bot(bot_id));
  if (!owner) return make_error(ErrorCode::not_found, "no such bot");
  if (limit <= 0) return false;
  db_.prepare("DELETE FROM bot_daily_messages WHERE bot_id = ? AND day < ?").bind_positional(bot_id, day).run();
  db_.prepare("INSERT INTO bot_daily_messages (workspace_id, bot_id, day, messages) VALUES (?, ?, ?, 1) "
              "ON CONFLICT (bot_id, day) DO UPDATE SET messages = bot_daily_messages.messages + 1 "
              "WHERE bot_daily_messages.messages < ?")
      .bind_positional(owner->workspace_id, bot_id, day, limit)
      .run();
  return db_.changes() > 0;
}

}  // namespace parley::store
