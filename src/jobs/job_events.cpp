#include "jobs/job_events.h"

#include <spdlog/spdlog.h>

namespace parley::jobs {

JobEvents::~JobEvents() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& watch : watches_) watch.stream->close();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<http::EventStream> JobEvents::subscribe(const store::Scope& scope, const std::string& job_id) {
  auto stream = std::make_shared<http::EventStream>();
  Watch watch{scope, job_id, stream};
  if (!poll(watch)) return stream;  // already over: the stream holds the final events
  std::lock_guard lock(mutex_);
  watches_.push_back(std::move(watch));
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  return stream;
}

void JobEvents::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [&] { return stopping_; });
    if (stopping_) break;
    std::vector<Watch> watches = std::move(watches_);
    watches_.clear();
    lock.unlock();
    std::vector<Watch> still_open;
    for (auto& watch : watches) {
      try {
        if (poll(watch)) still_open.push_back(std::move(watch));
      } catch (const std::exception& error) {
        spdlog::error("job events: {}", error.what());
        watch.stream->close();
      }
    }
    lock.lock();
    for (auto& watch : still_open) watches_.push_back(std::move(watch));
  }
}

bool JobEvents::poll(Watch& watch) {
  if (watch.stream->cancelled()) return false;
  std::optional<store::Job> job;
  const Status status = store_.read(watch.scope, [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(job, tx.job(watch.job_id));
    return {};
  });
  if (!status.ok() || !job) {
    const std::string message = status.ok() ? "no such job" : status.error().message;
    watch.stream->push({"error", store::Json{{"message", message}}.dump()});
    watch.stream->close();
    return false;
  }
  if (job->updated_at != watch.last_updated_at) {
    watch.last_updated_at = job->updated_at;
    watch.stream->push({"progress", view_(*job).dump()});
  }
  if (store::is_finished(job->state) || job->state == store::JobState::paused) {
    watch.stream->push({"done", view_(*job).dump()});
    watch.stream->close();
    return false;
  }
  return true;
}

}  // namespace parley::jobs
