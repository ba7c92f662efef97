// Leads and the handoff to a person: the inbox, unclaimed requests and the conversations' support fields.
#include <limits>

#include "common/clock.h"
#include "common/ids.h"
#include "store/sql/sql_tx.h"

namespace parley::store {

Result<std::optional<Lead>> SqlTx::lead(std::string_view lead_id) {
  return one(sql({"SELECT ", kLeadColumns, " FROM leads WHERE id = ? AND ", kInScope}), read_lead, lead_id);
}

Result<std::vector<Lead>> SqlTx::leads(std::string_view bot_id, const LeadFilter& filter) {
  auto stmt = db_.prepare(sql(
      {"SELECT ", kLeadColumns, " FROM leads WHERE bot_id = :bot AND created_at >= :since AND created_at < :until"
       " AND (:text = '' OR instr(lower(name || ' ' || email || ' ' || phone || ' ' || company), :text) > 0)"
       " AND (:trigger = '' OR trigger = :trigger) AND ",
       kInScope, " ORDER BY created_at DESC, rowid DESC LIMIT :limit OFFSET :offset"}));
  stmt.bind(":bot", bot_id)
      .bind(":since", filter.since.value_or(0))
      .bind(":until", filter.until.value_or(std::numeric_limits<std::int64_t>::max()))
      .bind(":text", ascii_lower(filter.text))
      .bind(":trigger", filter.trigger)
      .bind(":limit", filter.limit)
      .bind(":offset", filter.offset);
  bind_scope(stmt);
  std::vector<Lead> out;
  while (stmt.step()) out.push_back(read_lead(stmt));
  return out;
}

Result<std::vector<Lead>> SqlTx::leads_by_contact(std::string_view bot_id, std::string_view email,
                                           std::string_view phone) {
  return all(sql({"SELECT ", kLeadColumns, " FROM leads WHERE bot_id = ? AND ((? <> '' AND email = ?) OR "
                  "(? <> '' AND phone = ?)) AND ", kInScope, " ORDER BY created_at"}),
             read_lead, bot_id, email, email, phone, phone);
}

Result<std::vector<Conversation>> SqlTx::lead_conversations(std::string_view lead_id) {
  return all(sql({"SELECT ", kConversationSummaryColumns, " FROM conversations WHERE lead_id = ? AND ", kInScope,
                  " ORDER BY created_at DESC"}),
             read_conversation, lead_id);
}

Result<std::vector<Conversation>> SqlTx::inbox(const InboxFilter& filter) {
  std::vector<std::string> statuses = filter.statuses;
  if (statuses.empty()) statuses = {"waiting_for_agent", "with_agent"};
  std::string wanted = "?";  // a parameter per status
  for (std::size_t i = 1; i < statuses.size(); ++i) wanted += ", ?";
  auto stmt = db_.prepare(sql(
      {"SELECT ", kConversationSummaryColumns,
       ", (SELECT m.text FROM messages m WHERE m.conversation_id = conversations.id ORDER BY m.id DESC LIMIT 1)"
       ", (SELECT m.role FROM messages m WHERE m.conversation_id = conversations.id ORDER BY m.id DESC LIMIT 1)"
       " FROM conversations WHERE status IN (", wanted, ")"
       " AND (:bot = '' OR bot_id = :bot) AND (:agent = '' OR agent_id = :agent) AND ",
       kInScope, " ORDER BY COALESCE(handoff_requested_at, updated_at), rowid LIMIT :limit"}));
  for (std::size_t i = 0; i < statuses.size(); ++i) stmt.bind(static_cast<int>(i) + 1, statuses[i]);
  stmt.bind(":bot", filter.bot_id)
      .bind(":agent", filter.agent_id)
      .bind(":limit", filter.limit);
  bind_scope(stmt);
  std::vector<Conversation> out;
  while (stmt.step()) {
    Conversation conversation = read_conversation(stmt);
    conversation.last_message = stmt.text(22);
    conversation.last_role = stmt.text(23);
    out.push_back(std::move(conversation));
  }
  return out;
}

Result<std::vector<Conversation>> SqlTx::unclaimed_conversations(std::int64_t now) {
  return all(sql({"SELECT ", kConversationSummaryColumns, " FROM conversations WHERE status = 'waiting_for_agent' "
                  "AND claim_deadline_at <= ? AND handoff_notice_at IS NULL AND ", kInScope,
                  " ORDER BY claim_deadline_at LIMIT 500"}),
             read_conversation, now);
}

Result<Lead> SqlTx::create_lead(const Lead& lead) {
  PARLEY_ASSIGN_OR_RETURN(auto owner, bot(lead.bot_id));
  if (!owner) return make_error(ErrorCode::not_found, "no such bot");
  Lead stored = lead;
  stored.id = new_id("lead");
  stored.workspace_id = owner->workspace_id;
  stored.created_at = stored.updated_at = unix_millis();
  db_.prepare(sql({"INSERT INTO leads (", kLeadColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"}))
      .bind_positional(stored.id, stored.workspace_id, stored.bot_id, stored.name, stored.email, stored.phone,
                       stored.company, stored.fields.dump(), stored.consent_text, stored.consented_at, stored.trigger,
                       stored.conversation_id, stored.submissions, stored.created_at, stored.updated_at)
      .run();
  return stored;
}

Status SqlTx::update_lead(const Lead& lead) {
  auto stmt = db_.prepare(sql({"UPDATE leads SET name = ?, email = ?, phone = ?, company = ?, fields = ?, "
                               "consent_text = ?, consented_at = ?, trigger = ?, conversation_id = ?, submissions = ?, "
                               "updated_at = ? WHERE id = ? AND ", kInScope}));
  stmt.bind_positional(lead.name, lead.email, lead.phone, lead.company, lead.fields.dump(), lead.consent_text,
                       lead.consented_at, lead.trigger, lead.conversation_id, lead.submissions, unix_millis(), lead.id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such lead");
  return {};
}

Status SqlTx::delete_lead(std::string_view lead_id) {
  auto stmt = db_.prepare(sql({"DELETE FROM leads WHERE id = ? AND ", kInScope}));
  stmt.bind_positional(lead_id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such lead");
  auto detach = db_.prepare(sql({"UPDATE conversations SET lead_id = '' WHERE lead_id = ? AND ", kInScope}));
  detach.bind_positional(lead_id);
  bind_scope(detach);
  detach.run();
  return {};
}

Status SqlTx::update_conversation_support(const Conversation& conversation) {
  auto stmt = db_.prepare(sql({"UPDATE conversations SET status = ?, agent_id = ?, agent_name = ?, "
                               "handoff_requested_at = ?, handoff_reason = ?, claim_deadline_at = ?, "
                               "handoff_notice_at = ?, claimed_at = ?, closed_at = ?, summary = ?, lead_id = ?, "
                               "updated_at = ? WHERE id = ? AND bot_id = ? AND ", kInScope}));
  stmt.bind_positional(conversation.status, conversation.agent_id, conversation.agent_name,
                       conversation.handoff_requested_at, conversation.handoff_reason, conversation.claim_deadline_at,
                       conversation.handoff_notice_at, conversation.claimed_at, conversation.closed_at,
                       conversation.summary, conversation.lead_id, unix_millis(), conversation.id, conversation.bot_id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such conversation");
  return {};
}

}  // namespace parley::store
