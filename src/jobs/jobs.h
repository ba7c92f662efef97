// The durable job queue, on top of the store's jobs table: queue a job, ask a running one to pause, resume or
// cancel. Runners (job_runner.h) take jobs from the queue; the state machine:
//
//   queued ──claim──▶ running ──▶ succeeded | failed
//     ▲  │              │ pause ──▶ paused ──resume──▶ queued
//     │  └─cancel─▶ cancelled ◀──cancel── (running, paused)
//     └── runner shutdown, or its lease expired (process died): claimed again, resumes from what it stored
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "store/store.h"

namespace parley::jobs {

// Queues a job for a source; a source has at most one active (queued, running or paused) job: a conflict error
// names it.
Result<store::Job> enqueue_job(store::WriteTx& tx, const std::string& bot_id, const std::string& source_id,
                               std::string kind, const store::Json& params, std::string trigger);

enum class JobAction { pause, resume, cancel };
std::optional<JobAction> parse_job_action(std::string_view name);

// Applies `action` to the job: directly when no runner holds it, otherwise as a request the runner picks up at
// its next heartbeat (within about a second). Returns the job as it now stands.
Result<store::Job> control_job(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                               const std::string& job_id, JobAction action);

}  // namespace parley::jobs
