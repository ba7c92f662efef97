// Webhooks and the outbox of deliveries (webhook and email), claimed under leases, with their attempts.
#include "common/clock.h"
#include "common/ids.h"
#include "store/sql/sql_tx.h"

namespace parley::store {

Result<std::optional<Webhook>> SqlTx::webhook(std::string_view webhook_id) {
  return one(sql({"SELECT ", kWebhookColumns, " FROM webhooks WHERE id = ? AND ", kInScope}), read_webhook, webhook_id);
}

Result<std::vector<Webhook>> SqlTx::webhooks() {
  return all(sql({"SELECT ", kWebhookColumns, " FROM webhooks WHERE ", kInScope, " ORDER BY created_at, rowid"}),
             read_webhook);
}

Result<std::optional<Delivery>> SqlTx::delivery(std::int64_t delivery_id) {
  return one(sql({"SELECT ", kDeliveryColumns, " FROM deliveries d WHERE d.id = ? AND ", kDeliveryInScope}),
             read_delivery, delivery_id);
}

Result<std::vector<Delivery>> SqlTx::deliveries(const DeliveryFilter& filter) {
  return all(sql({"SELECT ", kDeliveryColumns, " FROM deliveries d WHERE (? = '' OR d.webhook_id = ?) AND "
                  "(? = '' OR d.channel = ?) AND (? = '' OR d.state = ?) AND ", kDeliveryInScope,
                  " ORDER BY d.id DESC LIMIT ? OFFSET ?"}),
             read_delivery, filter.webhook_id, filter.webhook_id, filter.channel, filter.channel, filter.state,
             filter.state, filter.limit, filter.offset);
}

// Instance-wide, for GET /metrics (index deliveries_due), no scope filter.
Result<std::vector<OutboxBacklog>> SqlTx::outbox_backlog() {
  if (!scope_.is_system()) return make_error(ErrorCode::forbidden, "operations figures belong to the system scope");
  auto stmt = db_.prepare(
      "SELECT b.channel, b.pending, (SELECT created_at FROM deliveries WHERE id = b.oldest) FROM "
      "(SELECT channel, count(*) AS pending, min(id) AS oldest FROM deliveries WHERE state = 'pending' "
      "GROUP BY channel) b");
  std::vector<OutboxBacklog> backlog;
  while (stmt.step()) backlog.push_back({stmt.text(0), stmt.integer(1), stmt.integer(2)});
  return backlog;
}

Result<std::vector<DeliveryAttempt>> SqlTx::delivery_attempts(std::int64_t delivery_id) {
  return all(sql({"SELECT a.id, a.delivery_id, a.attempted_at, a.status, a.error, a.duration_ms, a.response "
                  "FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.delivery_id = ? AND ",
                  kDeliveryInScope, " ORDER BY a.id"}),
             [](const Statement& row) {
               return DeliveryAttempt{row.integer(0), row.integer(1), row.integer(2), static_cast<int>(row.integer(3)),
                                      row.text(4),    row.integer(5), row.text(6)};
             },
             delivery_id);
}

Result<Webhook> SqlTx::create_webhook(const Webhook& webhook) {
  if (scope_.is_system()) return make_error(ErrorCode::forbidden, "a webhook belongs to a workspace");
  if (!webhook.bot_id.empty()) {
    PARLEY_ASSIGN_OR_RETURN(auto owner, bot(webhook.bot_id));
    if (!owner) return make_error(ErrorCode::not_found, "no such bot");
  }
  Webhook stored = webhook;
  stored.id = new_id("whk");
  stored.workspace_id = scope_.workspace_id();
  stored.created_at = stored.updated_at = unix_millis();
  db_.prepare("INSERT INTO webhooks (id, workspace_id, bot_id, url, events, format, secret, description, active, "
              "created_at, updated_at) VALUES (?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind_positional(stored.id, stored.workspace_id, stored.bot_id, stored.url, Json(stored.events).dump(),
                       stored.format, stored.secret, stored.description, stored.active ? 1 : 0, stored.created_at,
                       stored.updated_at)
      .run();
  return stored;
}

Status SqlTx::update_webhook(const Webhook& webhook) {
  auto stmt = db_.prepare(sql({"UPDATE webhooks SET url = ?, events = ?, format = ?, secret = ?, description = ?, "
                               "active = ?, updated_at = ? WHERE id = ? AND ", kInScope}));
  stmt.bind_positional(webhook.url, Json(webhook.events).dump(), webhook.format, webhook.secret, webhook.description,
                       webhook.active ? 1 : 0, unix_millis(), webhook.id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such webhook");
  return {};
}

Status SqlTx::delete_webhook(std::string_view webhook_id) {
  auto stmt = db_.prepare(sql({"DELETE FROM webhooks WHERE id = ? AND ", kInScope}));
  stmt.bind_positional(webhook_id);
  bind_scope(stmt);
  stmt.run();  // cascades to its deliveries and their attempts
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such webhook");
  return {};
}

Result<Delivery> SqlTx::add_delivery(const Delivery& delivery) {
  PARLEY_TRY(require_workspace(delivery.workspace_id));
  Delivery stored = delivery;
  stored.created_at = unix_millis();
  stored.id = db_.insert(
      db_.prepare_insert("INSERT INTO deliveries (workspace_id, bot_id, channel, webhook_id, target, format, event_id, "
                         "event_type, payload, state, next_attempt_at, expires_at, created_at, request_id) "
                         "VALUES (?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)")
          .bind_positional(stored.workspace_id, stored.bot_id, stored.channel, stored.webhook_id, stored.target,
                           stored.format, stored.event_id, stored.event_type, stored.payload, stored.next_attempt_at,
                           stored.expires_at, stored.created_at, stored.request_id));
  stored.state = "pending";
  return stored;
}

Result<std::vector<Delivery>> SqlTx::claim_deliveries(std::string_view channel, std::int64_t now, std::string_view owner,
                                               std::int64_t lease_until, int limit) {
  std::vector<Delivery> claimed = [&] {
    auto stmt = db_.prepare(sql({"SELECT ", kDeliveryColumns, ", COALESCE(w.url, d.target), COALESCE(w.secret, '') "
                                 "FROM deliveries d LEFT JOIN webhooks w ON w.id = d.webhook_id "
                                 "WHERE d.channel = ? AND d.state = 'pending' AND d.next_attempt_at <= ? AND "
                                 "d.lease_expires_at < ? AND (d.webhook_id IS NULL OR w.active = 1) AND ",
                                 kDeliveryInScope, " ORDER BY d.next_attempt_at, d.id LIMIT ?", claim_lock("d")}));
    stmt.bind_positional(channel, now, now, limit);
    bind_scope(stmt);
    std::vector<Delivery> rows;
    while (stmt.step()) {
      Delivery delivery = read_delivery(stmt);
      delivery.target = stmt.text(21);
      delivery.secret = stmt.text(22);
      rows.push_back(std::move(delivery));
    }
    return rows;
  }();
  auto lease = db_.prepare("UPDATE deliveries SET lease_owner = ?, lease_expires_at = ? WHERE id = ?");
  for (auto& delivery : claimed) {
    delivery.lease_owner = std::string(owner);
    delivery.lease_expires_at = lease_until;
    lease.bind_positional(owner, lease_until, delivery.id);
    lease.run();
    lease.reset();
  }
  return claimed;
}

Status SqlTx::update_delivery(const Delivery& delivery) {
  auto stmt = db_.prepare(sql({"UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, expires_at = ?, "
                               "lease_owner = ?, lease_expires_at = ?, last_status = ?, last_error = ?, delivered_at = ? "
                               "WHERE id = ? AND ", kInScope}));
  stmt.bind_positional(delivery.state, delivery.attempts, delivery.next_attempt_at, delivery.expires_at,
                       delivery.lease_owner, delivery.lease_expires_at, delivery.last_status, delivery.last_error,
                       delivery.delivered_at, delivery.id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such delivery");
  return {};
}

Status SqlTx::add_delivery_attempt(const DeliveryAttempt& attempt) {
  db_.prepare("INSERT INTO delivery_attempts (delivery_id, attempted_at, status, error, duration_ms, response) "
              "VALUES (?, ?, ?, ?, ?, ?)")
      .bind_positional(attempt.delivery_id, attempt.attempted_at, attempt.status, attempt.error, attempt.duration_ms,
                       attempt.response)
      .run();
  return {};
}

Status SqlTx::release_deliveries(std::string_view owner) {
  auto stmt = db_.prepare(sql({"UPDATE deliveries SET lease_owner = '', lease_expires_at = 0 WHERE lease_owner = ? AND "
                               "state = 'pending' AND ", kInScope}));
  stmt.bind_positional(owner);
  bind_scope(stmt);
  stmt.run();
  return {};
}

}  // namespace parley::store
