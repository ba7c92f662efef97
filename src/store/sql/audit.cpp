// The hash-chained audit log (append-only; src/audit computes the chain).
#include "store/sql/sql_tx.h"

namespace parley::store {

Result<std::vector<AuditEntry>> SqlTx::audit_entries(std::int64_t after_seq, int limit) {
  if (scope_.is_system()) return make_error(ErrorCode::forbidden, "the audit log belongs to a workspace");
  return all(sql({"SELECT ", kAuditColumns, " FROM audit_log WHERE seq > ? AND ", kInScope, " ORDER BY seq LIMIT ?"}),
             read_audit_entry, after_seq, static_cast<std::int64_t>(limit));
}

Result<std::optional<AuditEntry>> SqlTx::last_audit_entry() {
  if (scope_.is_system()) return make_error(ErrorCode::forbidden, "the audit log belongs to a workspace");
  return one(sql({"SELECT ", kAuditColumns, " FROM audit_log WHERE ", kInScope, " ORDER BY seq DESC LIMIT 1"}),
             read_audit_entry);
}

Status SqlTx::append_audit_entry(const AuditEntry& entry) {
  if (scope_.is_system() || entry.workspace_id != scope_.workspace_id()) {
    return make_error(ErrorCode::forbidden, "an audit entry belongs to the transaction's workspace");
  }
  db_.prepare(sql({"INSERT INTO audit_log (", kAuditColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"}))
      .bind(1, entry.workspace_id)
      .bind(2, entry.seq)
      .bind(3, entry.at)
      .bind(4, entry.actor)
      .bind(5, entry.action)
      .bind(6, entry.target)
      .bind(7, entry.before.dump())
      .bind(8, entry.after.dump())
      .bind(9, entry.prev_hash)
      .bind(10, entry.hash)
      .run();
  return {};
}

}  // namespace parley::store
