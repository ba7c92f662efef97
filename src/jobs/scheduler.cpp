#include "jobs/scheduler.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "jobs/jobs.h"

namespace parley::jobs {

Scheduler::Scheduler(store::Store& store, SchedulerOptions options)
    : store_(store),
      options_(std::move(options)),
      thread_("scheduler", options_.interval, [this]() -> Status {
        PARLEY_TRY(run_once(unix_millis()));
        return {};
      }) {}

Result<int> Scheduler::run_once(std::int64_t now) {
  std::vector<store::Source> due;
  PARLEY_TRY(store_.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(due, tx.sources_due_for_sync(now));
    return {};
  }));
  int queued = 0;
  for (auto& source : due) {
    const std::int64_t every = options_.schedule_seconds ? options_.schedule_seconds(source) : 0;
    const Status status = store_.write(store::Scope::workspace(source.workspace_id), [&](store::WriteTx& tx) -> Status {
      source.next_sync_at = every > 0 ? std::optional<std::int64_t>(now + every * 1000) : std::nullopt;
      PARLEY_TRY(tx.update_source(source));
      auto job = enqueue_job(tx, source.bot_id, source.id, options_.job_kind, store::Json::object(), "schedule");
      if (job.ok()) ++queued;
      // A source whose previous sync is still running simply waits for its next turn.
      return job.ok() || job.error().code == ErrorCode::conflict ? Status{} : Status(job.error());
    });
    if (!status.ok()) spdlog::warn("scheduler: source {}: {}", source.id, status.error().message);
  }
  if (queued > 0 && options_.on_queued) options_.on_queued();
  return queued;
}

}  // namespace parley::jobs
