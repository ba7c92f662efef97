#include "governance/retention.h"

#include <thread>

#include "audit/audit.h"
#include "common/clock.h"
#include "jobs/jobs.h"

namespace parley::governance {
namespace {

constexpr std::int64_t kDayMillis = 24LL * 60 * 60 * 1000;
// More than a lifetime, and small enough that days * kDayMillis cannot overflow.
constexpr std::int64_t kMaxRetentionDays = 100'000;

store::Json counts_json(const store::PurgeCounts& counts) {
  return {{"conversations", counts.conversations}, {"messages", counts.messages}, {"leads", counts.leads}};
}

}  // namespace

store::Json retention_json(const store::Retention& retention) {
  return {{"conversations_days", retention.conversation_days}, {"leads_days", retention.lead_days}};
}

Result<int> parse_retention_days(const store::Json& body, const char* field, int current) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) return current;
  if (!found->is_number_integer()) {
    return make_error(ErrorCode::invalid_request, std::string("`") + field + "` must be a whole number of days");
  }
  const auto days = found->get<std::int64_t>();
  if (days < 0) {
    return make_error(ErrorCode::invalid_request,
                      std::string("`") + field + "` cannot be negative (0 keeps the data forever)");
  }
  if (days > kMaxRetentionDays) {
    return make_error(ErrorCode::invalid_request,
                      std::string("`") + field + "` is at most " + std::to_string(kMaxRetentionDays) + " days");
  }
  return static_cast<int>(days);
}

Status set_retention(store::Store& store, const std::string& workspace_id, const store::Retention& retention,
                     const std::string& actor) {
  if (retention.conversation_days < 0 || retention.lead_days < 0) {
    return make_error(ErrorCode::invalid_request, "retention days cannot be negative (0 keeps the data forever)");
  }
  if (retention.conversation_days > kMaxRetentionDays || retention.lead_days > kMaxRetentionDays) {
    return make_error(ErrorCode::invalid_request, "retention is at most " + std::to_string(kMaxRetentionDays) + " days");
  }
  return store.write(store::Scope::workspace(workspace_id), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto workspace, tx.workspace(workspace_id));
    if (!workspace) return make_error(ErrorCode::not_found, "no such workspace");
    PARLEY_TRY(tx.set_retention(retention));
    return audit::record(tx, workspace_id,
                         {actor, "workspace.retention", workspace_id, retention_json(workspace->retention),
                          retention_json(retention)});
  });
}

Result<store::PurgeCounts> apply_retention(store::Store& store, const std::string& workspace_id,
                                           const std::string& bot_id, std::int64_t now, const RetentionOptions& options,
                                           const std::function<bool(const store::PurgeCounts&)>& between_batches,
                                           const std::string& actor) {
  const auto scope = store::Scope::workspace(workspace_id);
  store::Retention retention;
  PARLEY_TRY(store.read(scope, [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto workspace, tx.workspace(workspace_id));
    if (!workspace) return make_error(ErrorCode::not_found, "no such workspace");
    PARLEY_ASSIGN_OR_RETURN(const auto bot, tx.bot(bot_id));
    if (!bot) return make_error(ErrorCode::not_found, "no such bot");
    retention = workspace->retention;
    return {};
  }));
  store::PurgeCounts total;
  bool complete = true;
  // One kind of row at a time, batch by batch, each batch its own transaction.
  const auto purge = [&](int days, auto purge_batch) -> Status {
    if (days <= 0 || !complete) return {};
    const std::int64_t before = now - days * kDayMillis;
    for (;;) {
      store::PurgeCounts batch;
      PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
        PARLEY_ASSIGN_OR_RETURN(batch, purge_batch(tx, before));
        return {};
      }));
      total.conversations += batch.conversations;
      total.messages += batch.messages;
      total.leads += batch.leads;
      if (batch.conversations + batch.leads < options.batch_size) return {};
      if (between_batches && !between_batches(total)) {
        complete = false;
        return {};
      }
      if (options.pause_between_batches.count() > 0) std::this_thread::sleep_for(options.pause_between_batches);
    }
  };
  PARLEY_TRY(purge(retention.conversation_days, [&](store::WriteTx& tx, std::int64_t before) {
    return tx.purge_conversations(bot_id, before, options.batch_size);
  }));
  PARLEY_TRY(purge(retention.lead_days, [&](store::WriteTx& tx, std::int64_t before) {
    return tx.purge_leads(bot_id, before, options.batch_size);
  }));
  // The record says what went and under which setting; never what the rows held.
  store::Json after = counts_json(total);
  after["retention"] = retention_json(retention);
  after["complete"] = complete;
  PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
    return audit::record(tx, workspace_id, {actor, "retention.run", bot_id, nullptr, after});
  }));
  return total;
}

void register_retention_jobs(jobs::JobRunner& runner, RetentionOptions options) {
  runner.register_handler(std::string(kRetentionJobKind), [options](jobs::JobContext& context) -> Result<store::Json> {
    const auto& job = context.job();
    PARLEY_ASSIGN_OR_RETURN(
        const auto total,
        apply_retention(context.store(), job.workspace_id, job.bot_id, unix_millis(), options,
                        [&](const store::PurgeCounts& so_far) {
                          context.heartbeat(counts_json(so_far));
                          return !context.should_stop();
                        },
                        "system:retention"));
    return counts_json(total);
  });
}

Result<int> queue_retention_jobs(store::Store& store, std::int64_t now, std::chrono::milliseconds every) {
  std::vector<store::Workspace> workspaces;
  PARLEY_TRY(store.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(workspaces, tx.workspaces());
    return {};
  }));
  int queued = 0;
  for (const auto& workspace : workspaces) {
    if (workspace.retention.conversation_days <= 0 && workspace.retention.lead_days <= 0) continue;
    PARLEY_TRY(store.write(store::Scope::workspace(workspace.id), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto bots, tx.bots());
      for (const auto& bot : bots) {
        store::JobFilter filter;
        filter.bot_id = bot.id;
        filter.kind = std::string(kRetentionJobKind);
        filter.limit = 1;
        PARLEY_ASSIGN_OR_RETURN(const auto last, tx.jobs(filter));
        if (!last.empty() && (!store::is_finished(last.front().state) || last.front().created_at > now - every.count())) {
          continue;
        }
        PARLEY_TRY(jobs::enqueue_job(tx, bot.id, "", std::string(kRetentionJobKind), store::Json::object(), "schedule"));
        ++queued;
      }
      return {};
    }));
  }
  return queued;
}

RetentionScheduler::RetentionScheduler(store::Store& store, std::function<void()> on_queued,
                                       std::chrono::milliseconds every, std::chrono::milliseconds check_interval)
    : store_(store),
      on_queued_(std::move(on_queued)),
      every_(every),
      thread_("retention scheduler", check_interval, [this]() -> Status {
        PARLEY_ASSIGN_OR_RETURN(const int queued, queue_retention_jobs(store_, unix_millis(), every_));
        if (queued > 0 && on_queued_) on_queued_();
        return {};
      }) {}

}  // namespace parley::governance
