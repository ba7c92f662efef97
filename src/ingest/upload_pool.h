// Where uploads are ingested, apart from the threads that serve chat. An upload request hands its files to the
// pool and its HTTP worker is free at once (the response follows when the pool is done), so any number of
// uploads can never occupy the workers that chat requests need. The pool runs a fixed number of uploads at a time
// (others wait in a bounded queue; beyond it, uploads are refused as busy) and each one parses at background CPU
// priority with a CPU-time budget per file (IngestOptions), so heavy parsing takes only the CPU chat leaves idle.
// After each upload, memory the parser freed goes back to the system (large buffers have mappings of their own:
// the constructor fixes the allocator's mmap threshold at 1 MB for the process).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::ingest {

// Makes the calling thread yield its core to every ordinary thread (Linux SCHED_IDLE, else the lowest nice
// value). It cannot be undone by an unprivileged process, so only threads that only parse call it: never one that
// may hold the store's writer, which chat waits for.
void run_at_background_priority();

struct UploadPoolOptions {
  int threads = 2;               // uploads ingested at a time
  std::size_t max_queued = 32;   // uploads waiting for a thread; more are refused
};

class UploadPool {
 public:
  // A unit of work; `run` is false when the pool shuts down before it started (the task should then tell its
  // caller so, quickly).
  using Task = std::function<void(bool run)>;

  explicit UploadPool(UploadPoolOptions options = {});
  ~UploadPool();  // lets running tasks finish; queued ones are called with run = false
  UploadPool(const UploadPool&) = delete;
  UploadPool& operator=(const UploadPool&) = delete;

  // Queues `task`; false when the queue is full (the task is not kept).
  bool submit(Task task);

  struct Stats {
    std::size_t running = 0;
    std::size_t queued = 0;
    std::uint64_t done = 0;
    std::uint64_t refused = 0;  // submits turned away by a full queue
  };
  Stats stats() const;

 private:
  void work();

  UploadPoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  Stats stats_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace parley::ingest
