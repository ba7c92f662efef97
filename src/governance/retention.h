// Retention: each workspace keeps conversations and leads for as many days after their last activity as its
// Retention says (0: forever). A durable background job per bot ("retention", jobs/) deletes what is older in
// bounded batches, one short write transaction each with a pause between them, so that chat's writes are never held
// up for long; every run is recorded in the audit log with what it deleted. The RetentionScheduler queues the jobs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "jobs/job_runner.h"
#include "jobs/periodic.h"
#include "store/store.h"

namespace parley::governance {

inline constexpr std::string_view kRetentionJobKind = "retention";

struct RetentionOptions {
  // Conversations (or leads) per write transaction: about 500 messages at 10 a conversation, a few tens of ms of
  // holding the write lock (200 held chat writes up for up to ~0.6 s on a loaded machine: docs/PERFORMANCE.md).
  int batch_size = 50;
  // Between two batches: the writers that waited for one (a visitor's message) go first.
  std::chrono::milliseconds pause_between_batches{10};
};

// The retention as JSON: {conversations_days, leads_days}.
store::Json retention_json(const store::Retention& retention);
// One field of such an object: a whole number of days from 0 (forever) up; absent or null keeps `current`. A bad
// value is an invalid_request error naming the field.
Result<int> parse_retention_days(const store::Json& body, const char* field, int current);

// Sets the workspace's retention and records the change in the audit log, in one transaction.
Status set_retention(store::Store& store, const std::string& workspace_id, const store::Retention& retention,
                     const std::string& actor);

// Applies the workspace's retention to one bot as of `now`: deletes, batch by batch, the conversations and leads
// whose last activity is older than their number of days; `between_batches` (may be empty) sees the running counts
// and returns false to stop early (the next run carries on). Audits the run.
Result<store::PurgeCounts> apply_retention(store::Store& store, const std::string& workspace_id,
                                           const std::string& bot_id, std::int64_t now, const RetentionOptions& options,
                                           const std::function<bool(const store::PurgeCounts&)>& between_batches,
                                           const std::string& actor);

// The job handler for kRetentionJobKind: apply_retention to the job's bot, as of when the job runs.
void register_retention_jobs(jobs::JobRunner& runner, RetentionOptions options = {});

// Queues a retention job for each bot of every workspace with a retention set whose last retention job is older than
// `every` (or that never had one), unless one is still active. Returns how many were queued.
Result<int> queue_retention_jobs(store::Store& store, std::int64_t now, std::chrono::milliseconds every);

// A thread that calls queue_retention_jobs every `check_interval` (and on_queued when it queued any).
class RetentionScheduler {
 public:
  RetentionScheduler(store::Store& store, std::function<void()> on_queued,
                     std::chrono::milliseconds every = std::chrono::hours(24),
                     std::chrono::milliseconds check_interval = std::chrono::minutes(10));
  void start() { thread_.start(); }
  void stop() { thread_.stop(); }

 private:
  store::Store& store_;
  std::function<void()> on_queued_;
  std::chrono::milliseconds every_;
  jobs::PeriodicThread thread_;  // last: stopped (by its destructor) before the rest goes
};

}  // namespace parley::governance
