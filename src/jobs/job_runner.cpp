#include "jobs/job_runner.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/ids.h"
#include "metrics/metrics.h"

namespace parley::jobs {
namespace {

std::string default_owner() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + random_token(4);
}

}  // namespace

void JobContext::heartbeat(const store::Json& progress, bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_beat_ < options_.heartbeat_interval) return;
  last_beat_ = now;
  const Status written = store_.write(scope(), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto current, tx.job(job_.id));
    if (!current || current->lease_owner != options_.owner || current->state != store::JobState::running) {
      requested_ = StopReason::lease_lost;
      return {};
    }
    job_ = std::move(*current);
    job_.progress = progress;
    job_.lease_expires_at = unix_millis() + options_.lease.count();
    if (job_.requested == "pause") requested_ = StopReason::pause;
    if (job_.requested == "cancel") requested_ = StopReason::cancel;
    if (job_.requested.empty() && requested_ == StopReason::pause) requested_ = StopReason::none;  // resumed
    return tx.update_job(job_);
  });
  if (!written.ok()) spdlog::warn("jobs: heartbeat of {} not recorded: {}", job_.id, written.error().message);
}

StopReason JobContext::stop_reason() const {
  if (requested_ != StopReason::none) return requested_;
  return shutting_down_.load() ? StopReason::shutdown : StopReason::none;
}

namespace {

metrics::Family<metrics::Counter>& job_runs() {
  static auto& ended = metrics::registry().counter(
      "parley_job_runs_total", "Job runs that ended, by kind and the state they left the job in", {"kind", "state"});
  return ended;
}

}  // namespace

JobRunner::JobRunner(store::Store& store, RunnerOptions options) : store_(store), options_(std::move(options)) {
  if (options_.owner.empty()) options_.owner = default_owner();
  job_runs();  // served from the first scrape, at zero
}

JobRunner::~JobRunner() { stop(); }

void JobRunner::register_handler(const std::string& kind, JobHandler handler) { handlers_[kind] = std::move(handler); }

void JobRunner::start() {
  shutting_down_ = false;
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { loop(); });
}

void JobRunner::stop() {
  shutting_down_ = true;
  wake();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

void JobRunner::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void JobRunner::loop() {
  while (!shutting_down_) {
    try {
      auto claimed = claim(store::Scope::system(), "");
      if (claimed.ok() && *claimed) {
        execute(std::move(**claimed));
        continue;
      }
      if (!claimed.ok()) spdlog::warn("jobs: cannot claim: {}", claimed.error().message);
    } catch (const std::exception& error) {
      spdlog::error("jobs: runner error: {}", error.what());
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, options_.idle_poll, [&] { return woken_ || shutting_down_.load(); });
    woken_ = false;
  }
}

Result<std::optional<store::Job>> JobRunner::claim(const store::Scope& scope, const std::string& job_id) {
  std::optional<store::Job> claimed;
  PARLEY_TRY(store_.write(scope, [&](store::WriteTx& tx) -> Status {
    const std::int64_t now = unix_millis();
    std::optional<store::Job> job;
    if (job_id.empty()) {
      PARLEY_ASSIGN_OR_RETURN(job, tx.claimable_job(now));
    } else {
      PARLEY_ASSIGN_OR_RETURN(job, tx.job(job_id));
      if (!job) return make_error(ErrorCode::not_found, "no such job");
      const bool free = job->state == store::JobState::queued ||
                        (job->state == store::JobState::running && job->lease_expires_at < now);
      if (!free) {
        return make_error(ErrorCode::conflict, "the job is " + std::string(store::job_state_name(job->state)) +
                                                   (job->state == store::JobState::running ? " elsewhere (" + job->lease_owner + ")" : ""));
      }
    }
    if (!job) return {};
    job->state = store::JobState::running;
    job->lease_owner = options_.owner;
    job->lease_expires_at = now + options_.lease.count();
    job->attempts += 1;
    if (!job->started_at) job->started_at = now;
    PARLEY_TRY(tx.update_job(*job));
    claimed = std::move(job);
    return {};
  }));
  return claimed;
}

store::Job JobRunner::execute(store::Job job) {
  JobContext context(store_, job, options_, shutting_down_);
  Result<store::Json> outcome = make_error(ErrorCode::internal, "not run");
  const auto handler = handlers_.find(job.kind);
  if (handler == handlers_.end()) {
    outcome = make_error(ErrorCode::internal, "no handler for jobs of kind " + job.kind);
  } else {
    try {
      outcome = handler->second(context);
    } catch (const std::exception& error) {
      spdlog::error("jobs: {} ({}) threw: {}", job.id, job.kind, error.what());
      outcome = make_error(ErrorCode::internal, std::string("unexpected error: ") + error.what());
    }
  }
  const StopReason reason = context.stop_reason();
  if (reason == StopReason::lease_lost) {
    spdlog::warn("jobs: {} lost its lease; another runner has it", job.id);
    return context.job();
  }
  store::Job final_state;
  const Status recorded = store_.write(context.scope(), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto current, tx.job(job.id));
    if (!current) return {};  // deleted with its source meanwhile
    store::Job& row = *current;
    if (row.lease_owner != options_.owner) return {};  // taken over after our lease expired
    row.lease_owner.clear();
    row.lease_expires_at = 0;
    row.requested.clear();
    if (outcome.ok() && !outcome->is_null()) row.result = *outcome;
    if (outcome.ok() && context.job().progress.is_object()) row.progress = context.job().progress;
    if (!outcome.ok()) {
      row.state = store::JobState::failed;
      row.error = outcome.error().message;
      row.finished_at = unix_millis();
    } else if (reason == StopReason::pause) {
      row.state = store::JobState::paused;
    } else if (reason == StopReason::cancel) {
      row.state = store::JobState::cancelled;
      row.finished_at = unix_millis();
    } else if (reason == StopReason::shutdown) {
      row.state = store::JobState::queued;  // resumed by the next runner to start
    } else {
      row.state = store::JobState::succeeded;
      row.finished_at = unix_millis();
    }
    PARLEY_TRY(tx.update_job(row));
    final_state = row;
    return {};
  });
  if (!recorded.ok()) spdlog::error("jobs: cannot record the end of {}: {}", job.id, recorded.error().message);
  if (!final_state.id.empty()) {
    job_runs().labels({job.kind, store::job_state_name(final_state.state)}).add();
  }
  return final_state.id.empty() ? context.job() : final_state;
}

Result<store::Job> JobRunner::run_job(const store::Scope& scope, const std::string& job_id) {
  PARLEY_ASSIGN_OR_RETURN(auto claimed, claim(scope, job_id));
  if (!claimed) return make_error(ErrorCode::not_found, "no such job");
  return execute(std::move(*claimed));
}

}  // namespace parley::jobs
