// A persistent pool of worker threads for the forward pass. parallel_for publishes one job; the calling thread and
// any worker that is awake take chunks of it from a shared counter. Workers spin briefly on the job generation
// before sleeping, so back-to-back jobs (one per operation of a forward pass) start without a system call, and no
// job allocates.
//
// Participation is optional: when the caller has run out of chunks it closes the job and waits only for workers
// that joined it. A worker that was descheduled (the machine may be shared) therefore never stalls a job it did
// not start, which a classic all-threads barrier would do.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace parley::engine {

class ThreadPool {
 public:
  // `n_threads` counts the calling thread; 0 means one per available core.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Splits [0, n) into chunks of `chunk` items and calls fn(begin, end, thread_index) for each, on whichever threads
  // are available (thread_index < size(), the caller is 0). Returns when every chunk is done. One thread drives the
  // pool at a time.
  template <typename Fn>
  void parallel_for(int64_t n, int64_t chunk, Fn&& fn) {
    if (n <= 0) return;
    chunk = std::max<int64_t>(chunk, 1);
    if (n_threads_ == 1 || n <= chunk) {
      for (int64_t begin = 0; begin < n; begin += chunk) fn(begin, std::min(n, begin + chunk), 0);
      return;
    }
    using FnType = std::remove_reference_t<Fn>;
    Job job;
    job.n = n;
    job.chunk = chunk;
    job.body = [](void* context, int64_t begin, int64_t end, int thread) {
      (*static_cast<FnType*>(context))(begin, end, thread);
    };
    job.context = const_cast<void*>(static_cast<const void*>(&fn));
    execute(job);
  }

 private:
  struct Job {
    int64_t n = 0;
    int64_t chunk = 1;
    void (*body)(void* context, int64_t begin, int64_t end, int thread) = nullptr;
    void* context = nullptr;
  };

  void execute(const Job& job);
  void work_on(int thread);
  void worker_loop(int thread);

  int n_threads_;
  std::vector<std::thread> workers_;
  Job job_;
  alignas(64) std::atomic<int64_t> next_{0};
  // High 32 bits: job generation; low 32 bits: number of workers inside the job, or kClosed.
  alignas(64) std::atomic<uint64_t> state_{0};
  // The generation alone, for sleeping workers to wait on (futexes are 32-bit).
  alignas(64) std::atomic<uint32_t> wake_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace parley::engine
