#include "jobs/jobs.h"

#include "common/clock.h"

namespace parley::jobs {

Result<store::Job> enqueue_job(store::WriteTx& tx, const std::string& bot_id, const std::string& source_id,
                               std::string kind, const store::Json& params, std::string trigger) {
  if (!source_id.empty()) {
    store::JobFilter filter;
    filter.bot_id = bot_id;
    filter.source_id = source_id;
    filter.active_only = true;
    filter.limit = 1;
    PARLEY_ASSIGN_OR_RETURN(auto active, tx.jobs(filter));
    if (!active.empty()) {
      return make_error(ErrorCode::conflict, "the source already has a " + std::string(store::job_state_name(active[0].state)) +
                                                 " job: " + active[0].id);
    }
  }
  store::Job job;
  job.bot_id = bot_id;
  job.source_id = source_id;
  job.kind = std::move(kind);
  job.params = params;
  job.trigger = std::move(trigger);
  return tx.create_job(job);
}

std::optional<JobAction> parse_job_action(std::string_view name) {
  if (name == "pause") return JobAction::pause;
  if (name == "resume") return JobAction::resume;
  if (name == "cancel") return JobAction::cancel;
  return std::nullopt;
}

Result<store::Job> control_job(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                               const std::string& job_id, JobAction action) {
  store::Job result;
  PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto found, tx.job(job_id));
    if (!found || found->bot_id != bot_id) return make_error(ErrorCode::not_found, "no such job");
    store::Job job = std::move(*found);
    using store::JobState;
    if (store::is_finished(job.state)) {
      return make_error(ErrorCode::conflict, "the job has already " + std::string(job.state == JobState::succeeded ? "succeeded"
                                                                                  : job.state == JobState::failed ? "failed"
                                                                                                                   : "been cancelled"));
    }
    const bool held = job.state == JobState::running;
    switch (action) {
      case JobAction::pause:
        if (held) {
          job.requested = "pause";
        } else if (job.state == JobState::queued) {
          job.state = JobState::paused;
        }
        break;
      case JobAction::resume:
        if (held) {
          if (job.requested == "pause") job.requested.clear();
        } else if (job.state == JobState::paused) {
          job.state = JobState::queued;
        }
        break;
      case JobAction::cancel:
        if (held) {
          job.requested = "cancel";
        } else {
          job.state = JobState::cancelled;
          job.finished_at = unix_millis();
        }
        break;
    }
    PARLEY_TRY(tx.update_job(job));
    result = std::move(job);
    return {};
  }));
  return result;
}

}  // namespace parley::jobs
