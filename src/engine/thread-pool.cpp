#include "engine/thread-pool.h"

#include <sched.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace parley::engine {
namespace {

// About 80 microseconds of spinning (a pause instruction takes ~40 ns on the target machine) before a worker sleeps:
// it spans the gaps between the operations of one forward pass, while a worker waiting longer (between tokens,
// between requests) gives its core back, which matters on a machine shared with other work.
constexpr int kSpinIterations = 2000;
constexpr uint32_t kClosed = 0xffffffffu;

inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

constexpr uint64_t make_state(uint32_t generation, uint32_t members) {
  return (static_cast<uint64_t>(generation) << 32) | members;
}
constexpr uint32_t generation_of(uint64_t state) { return static_cast<uint32_t>(state >> 32); }
constexpr uint32_t members_of(uint64_t state) { return static_cast<uint32_t>(state); }

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads_ = n_threads;
  state_.store(make_state(0, kClosed));
  workers_.reserve(static_cast<std::size_t>(n_threads - 1));
  for (int t = 1; t < n_threads; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  wake_.fetch_add(1);
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::work_on(int thread) {
  const Job& job = job_;
  for (;;) {
    const int64_t begin = next_.fetch_add(job.chunk, std::memory_order_relaxed);
    if (begin >= job.n) return;
    job.body(job.context, begin, std::min(job.n, begin + job.chunk), thread);
  }
}

void ThreadPool::execute(const Job& job) {
  // The previous job is closed, so no worker reads job_ while it is replaced.
  job_ = job;
  next_.store(0, std::memory_order_relaxed);
  const uint32_t generation = generation_of(state_.load()) + 1;
  state_.store(make_state(generation, 0));  // opens the job (and publishes job_ and next_)
  // Sequentially consistent with the sleeper's announce-then-wait: either this sees the sleeper or its wait sees
  // the new value.
  wake_.store(generation);
  if (sleepers_.load() > 0) wake_.notify_all();

  work_on(0);

  // Close the job once no worker is inside it; workers arriving later find it closed and do not touch it.
  uint64_t expected = make_state(generation, 0);
  for (int spin = 0; !state_.compare_exchange_weak(expected, make_state(generation, kClosed)); ++spin) {
    expected = make_state(generation, 0);
    if (spin > 1000) sched_yield();  // a member was descheduled mid-chunk: let it finish
    cpu_relax();
  }
}

void ThreadPool::worker_loop(int thread) {
  uint32_t seen = 0;
  for (;;) {
    uint32_t current = wake_.load();
    for (int spin = 0; current == seen && spin < kSpinIterations; ++spin) {
      cpu_relax();
      current = wake_.load();
    }
    if (current == seen) {
      sleepers_.fetch_add(1);
      wake_.wait(seen);  // returns at once if the value already changed
      sleepers_.fetch_sub(1);
      continue;
    }
    seen = current;
    if (stop_.load()) return;
    // Join the job only while it is open and still the one we were woken for.
    uint64_t state = state_.load();
    bool joined = false;
    while (generation_of(state) == current && members_of(state) != kClosed) {
      if (state_.compare_exchange_weak(state, state + 1)) {
        joined = true;
        break;
      }
    }
    if (!joined) continue;
    work_on(thread);
    state_.fetch_sub(1);
  }
}

}  // namespace parley::engine
