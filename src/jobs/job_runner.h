// Runner threads that take jobs from the durable queue and run the handler registered for their kind. A runner
// holds a job under a lease that its heartbeats renew; a job whose runner died is taken again once the lease
// expires, so two processes never run one job and a crashed one's jobs are not lost. Handlers store their own
// progress (e.g. the crawl frontier) as they go and resume from it. Exceptions from handlers are caught here:
// a runner thread never dies of a bad job.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace parley::jobs {

// Why a handler should stop before it is done.
enum class StopReason { none, pause, cancel, shutdown, lease_lost };

struct RunnerOptions {
  int threads = 1;
  std::chrono::milliseconds lease{30'000};
  std::chrono::milliseconds heartbeat_interval{1'000};
  std::chrono::milliseconds idle_poll{1'000};  // how often an idle runner looks for queued jobs
  std::string owner;  // lease holder name; default: host, process id and a random part
};

// What a handler sees of its job.
class JobContext {
 public:
  JobContext(store::Store& store, store::Job job, const RunnerOptions& options, const std::atomic<bool>& shutting_down)
      : store_(store), job_(std::move(job)), options_(options), shutting_down_(shutting_down) {}

  const store::Job& job() const { return job_; }
  store::Store& store() { return store_; }
  store::Scope scope() const { return store::Scope::workspace(job_.workspace_id); }

  // Records progress, renews the lease and picks up pause/cancel requests. Writes at most once per heartbeat
  // interval unless `force`; cheap to call after every page. A store that cannot be written just now (busy, disk
  // full) is logged and tried again at the next heartbeat: the job goes on, and learns at the next successful
  // heartbeat whether its lease expired meanwhile.
  void heartbeat(const store::Json& progress, bool force = false);
  StopReason stop_reason() const;
  bool should_stop() const { return stop_reason() != StopReason::none; }

 private:
  store::Store& store_;
  store::Job job_;
  const RunnerOptions& options_;
  const std::atomic<bool>& shutting_down_;
  StopReason requested_ = StopReason::none;
  std::chrono::steady_clock::time_point last_beat_{};
};

// Runs the job to its end and returns its result summary (an error fails the job). When it returns early because
// `should_stop()`, the runner records the job as paused, cancelled or queued again, as the reason says.
using JobHandler = std::function<Result<store::Json>(JobContext&)>;

class JobRunner {
 public:
  JobRunner(store::Store& store, RunnerOptions options = {});
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  void register_handler(const std::string& kind, JobHandler handler);
  void start();
  // Asks running handlers to stop (their jobs go back to the queue and resume at the next start) and joins.
  void stop();
  // A job was queued: idle runners look now instead of at their next poll.
  void wake();

  // Claims this job and runs it on the calling thread (the CLI's foreground crawl); returns the job as it ended.
  Result<store::Job> run_job(const store::Scope& scope, const std::string& job_id);

  const std::string& owner() const { return options_.owner; }

 private:
  void loop();
  // Takes the next claimable job (or `job_id`) under a fresh lease.
  Result<std::optional<store::Job>> claim(const store::Scope& scope, const std::string& job_id);
  // Runs a claimed job and records how it ended.
  store::Job execute(store::Job job);

  store::Store& store_;
  RunnerOptions options_;
  std::map<std::string, JobHandler> handlers_;
  std::atomic<bool> shutting_down_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace parley::jobs
