// Data governance (issue 17): a workspace's retention, its enforcement in bounded batches, and the erasure of one
// person's data (right to be forgotten).
#include <set>

#include "store/sql/sql_tx.h"

namespace parley::store {
namespace {

struct IdCount {
  std::string id;
  std::int64_t count = 0;
};
constexpr auto read_id_count = [](const auto& row) { return IdCount{row.text(0), row.integer(1)}; };

struct LeadContact {
  std::string conversation_id;
  std::string email;
  std::string phone;
};
constexpr auto read_lead_contact = [](const auto& row) { return LeadContact{row.text(0), row.text(1), row.text(2)}; };

}  // namespace

Status SqlTx::set_retention(const Retention& retention) {
  if (scope_.is_system()) return make_error(ErrorCode::forbidden, "retention belongs to a workspace");
  if (retention.conversation_days < 0 || retention.lead_days < 0) {
    return make_error(ErrorCode::invalid_request, "retention days cannot be negative (0 keeps data forever)");
  }
  db_.prepare("UPDATE workspaces SET conversation_retention_days = ?, lead_retention_days = ? WHERE id = ?")
      .bind(1, retention.conversation_days)
      .bind(2, retention.lead_days)
      .bind(3, scope_.workspace_id())
      .run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such workspace");
  return {};
}

Result<PurgeCounts> SqlTx::purge_conversations(std::string_view bot_id, std::int64_t inactive_before, int limit) {
  // Index conversations_activity; the messages are counted before they go with their conversation (ON DELETE
  // CASCADE, as do their feedback rows).
  PARLEY_ASSIGN_OR_RETURN(
      const auto old,
      all(sql({"SELECT id, (SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id) "
               "FROM conversations WHERE bot_id = ? AND updated_at < ? AND ", kInScope, " ORDER BY updated_at LIMIT ?"}),
          read_id_count, bot_id, inactive_before, static_cast<std::int64_t>(limit)));
  PurgeCounts purged;
  for (const auto& conversation : old) {
    db_.prepare("DELETE FROM conversations WHERE id = ?").bind(1, conversation.id).run();
    ++purged.conversations;
    purged.messages += conversation.count;
  }
  return purged;
}

Result<PurgeCounts> SqlTx::purge_leads(std::string_view bot_id, std::int64_t inactive_before, int limit) {
  PARLEY_ASSIGN_OR_RETURN(const auto old, all(sql({"SELECT id FROM leads WHERE bot_id = ? AND updated_at < ? AND ", kInScope,
                                                   " ORDER BY updated_at LIMIT ?"}),
                                              read_first_text, bot_id, inactive_before, static_cast<std::int64_t>(limit)));
  PurgeCounts purged;
  for (const auto& lead_id : old) {
    PARLEY_TRY(delete_lead(lead_id));
    ++purged.leads;
  }
  return purged;
}

Result<ErasureCounts> SqlTx::erase_person(const ErasureTarget& target) {
  if (scope_.is_system()) return make_error(ErrorCode::forbidden, "an erasure belongs to a workspace");
  if (target.conversation_id.empty() == target.email.empty()) {
    return make_error(ErrorCode::invalid_request, "name either a visitor or an email");
  }
  std::set<std::string> conversations;
  std::set<std::string> leads;
  if (!target.conversation_id.empty()) {
    PARLEY_ASSIGN_OR_RETURN(const auto found, one(sql({"SELECT id, lead_id FROM conversations WHERE id = ? AND ", kInScope}),
                                                  [](const auto& row) { return std::pair(row.text(0), row.text(1)); },
                                                  target.conversation_id));
    if (found) {
      conversations.insert(found->first);
      if (!found->second.empty()) leads.insert(found->second);
      PARLEY_ASSIGN_OR_RETURN(const auto left_there,
                              all(sql({"SELECT id FROM leads WHERE conversation_id = ? AND conversation_id <> '' AND ", kInScope}),
                                  read_first_text,
                                  target.conversation_id));
      leads.insert(left_there.begin(), left_there.end());
    }
  } else {
    // Index leads_email_folded. Emails are stored with the domain lower-cased; the local part as typed.
    PARLEY_ASSIGN_OR_RETURN(const auto with_email,
                            all(sql({"SELECT id FROM leads WHERE email <> '' AND lower(email) = ? AND ", kInScope}),
                                read_first_text, ascii_lower(target.email)));
    leads.insert(with_email.begin(), with_email.end());
  }

  // Whatever text marks a delivery's payload as carrying this person's data: the ids of what is erased, and the
  // leads' contact details.
  std::set<std::string> needles(conversations.begin(), conversations.end());
  needles.insert(leads.begin(), leads.end());
  if (!target.email.empty()) needles.insert(ascii_lower(target.email));
  for (const auto& lead_id : leads) {
    PARLEY_ASSIGN_OR_RETURN(const auto contact, one(sql({"SELECT conversation_id, email, phone FROM leads WHERE id = ? AND ", kInScope}),
                                                    read_lead_contact, lead_id));
    if (!contact) continue;
    for (const auto& detail : {contact->email, contact->phone}) {
      if (!detail.empty()) needles.insert(ascii_lower(detail));
    }
    if (!contact->conversation_id.empty()) {
      PARLEY_ASSIGN_OR_RETURN(const auto there, one(sql({"SELECT id FROM conversations WHERE id = ? AND ", kInScope}),
                                                    read_first_text, contact->conversation_id));
      if (there) conversations.insert(*there);
    }
    PARLEY_ASSIGN_OR_RETURN(const auto tied, all(sql({"SELECT id FROM conversations WHERE lead_id = ? AND lead_id <> '' AND ",
                                                      kInScope}),
                                                 read_first_text, lead_id));
    conversations.insert(tied.begin(), tied.end());
  }
  needles.insert(conversations.begin(), conversations.end());

  ErasureCounts erased;
  for (const auto& conversation_id : conversations) {
    PARLEY_ASSIGN_OR_RETURN(const auto messages, one("SELECT count(*) FROM messages WHERE conversation_id = ?",
                                                     [](const auto& row) { return row.integer(0); }, conversation_id));
    erased.messages += messages.value_or(0);
    db_.prepare("DELETE FROM conversations WHERE id = ?").bind(1, conversation_id).run();
    ++erased.conversations;
  }
  for (const auto& lead_id : leads) {
    db_.prepare("DELETE FROM leads WHERE id = ?").bind(1, lead_id).run();
    erased.leads += db_.changes();
  }
  // The delivery rows stay (the log of what was sent, and when); their bodies go. A pending one is not sent.
  for (const auto& needle : needles) {
    auto blank = db_.prepare(sql({"UPDATE deliveries SET payload = '', "
                                  "state = CASE WHEN state = 'pending' THEN 'failed' ELSE state END, "
                                  "last_error = CASE WHEN state = 'pending' THEN 'payload erased' ELSE last_error END "
                                  "WHERE payload <> '' AND instr(lower(payload), ?) > 0 AND ", kInScope}));
    blank.bind_positional(needle);
    bind_scope(blank);
    blank.run();
    erased.deliveries += db_.changes();
  }
  return erased;
}

}  // namespace parley::store
