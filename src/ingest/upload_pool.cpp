#include "ingest/upload_pool.h"

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

namespace parley::ingest {

void run_at_background_priority() {
  sched_param param{};
  param.sched_priority = 0;
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) == 0) return;
  // Per thread on Linux: the thread id, not the process.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
}

UploadPool::UploadPool(UploadPoolOptions options) : options_(options) {
  // Parsing makes large buffers (an inflated zip part, a document's text) on short-lived threads, whose own heaps
  // the allocator never shrinks from the top: a refused upload would leave its peak behind in such a heap. With a
  // fixed threshold every buffer of 1 MB or more gets a mapping of its own, returned to the system when freed.
  // (Process-wide; glibc would otherwise raise the threshold as large buffers are freed.)
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  const int threads = std::max(1, options_.threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

UploadPool::~UploadPool() {
  std::deque<Task> abandoned;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    abandoned.swap(queue_);
    stats_.queued = 0;
  }
  wake_.notify_all();
  for (auto& task : abandoned) task(false);
  for (auto& thread : threads_) thread.join();
}

bool UploadPool::submit(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queued) {
      ++stats_.refused;
      return false;
    }
    queue_.push_back(std::move(task));
    stats_.queued = queue_.size();
  }
  wake_.notify_one();
  return true;
}

UploadPool::Stats UploadPool::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void UploadPool::work() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      stats_.queued = queue_.size();
      ++stats_.running;
    }
    try {
      task(true);
    } catch (const std::exception& error) {
      spdlog::error("upload task failed: {}", error.what());
    }
    // A large document's parse leaves much freed memory in the allocator's arenas: give it back now (the task, and
    // the upload's bytes it holds, first), so that a refused or finished upload does not keep the server's memory
    // at its peak.
    task = nullptr;
    malloc_trim(0);
    std::lock_guard lock(mutex_);
    --stats_.running;
    ++stats_.done;
  }
}

}  // namespace parley::ingest
