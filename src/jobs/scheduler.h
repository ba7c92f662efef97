// Scheduled resyncs: a thread that, every `interval`, queues a job for each source whose next_sync_at has come
// (unless the source already has an active job) and moves next_sync_at on by the source's schedule. The job
// itself sets next_sync_at again when it ends, so a schedule counts from the end of the last sync.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "common/result.h"
#include "jobs/periodic.h"
#include "store/store.h"

namespace parley::jobs {

struct SchedulerOptions {
  std::chrono::milliseconds interval{30'000};
  std::string job_kind = "crawl";
  // The source's schedule in seconds (0: none), read from its config.
  std::function<std::int64_t(const store::Source&)> schedule_seconds;
  std::function<void()> on_queued;  // e.g. JobRunner::wake
};

class Scheduler {
 public:
  Scheduler(store::Store& store, SchedulerOptions options);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void start() { thread_.start(); }
  void stop() { thread_.stop(); }
  // One pass: queues the due jobs; returns how many were queued.
  Result<int> run_once(std::int64_t now);

 private:
  store::Store& store_;
  SchedulerOptions options_;
  PeriodicThread thread_;  // last: stopped (by its destructor) before the rest goes
};

}  // namespace parley::jobs
