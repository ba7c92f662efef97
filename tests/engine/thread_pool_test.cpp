#include "engine/thread-pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace parley::engine {
namespace {

TEST(ThreadPool, EveryItemRunsExactlyOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {1, 2, 7, 100, 1001}) {
      for (int64_t chunk : {1, 3, 64}) {
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
        std::atomic<int> bad_thread{0};
        pool.parallel_for(n, chunk, [&](int64_t begin, int64_t end, int thread) {
          if (thread < 0 || thread >= threads) ++bad_thread;
          EXPECT_LE(end - begin, chunk);
          for (int64_t i = begin; i < end; ++i) ++hits[static_cast<std::size_t>(i)];
        });
        for (const auto& h : hits) ASSERT_EQ(h.load(), 1) << "threads=" << threads << " n=" << n << " chunk=" << chunk;
        EXPECT_EQ(bad_thread.load(), 0);
      }
    }
  }
}

TEST(ThreadPool, ManyBackToBackJobsAndWorkersThatSleep) {
  ThreadPool pool(3);
  int64_t total = 0;
  for (int job = 0; job < 20000; ++job) {
    std::atomic<int64_t> sum{0};
    pool.parallel_for(16, 1, [&](int64_t begin, int64_t end, int) {
      for (int64_t i = begin; i < end; ++i) sum += i;
    });
    total += sum.load();
    // Now and then let the workers fall asleep, so both the spinning and the waking paths run.
    if (job % 5000 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(total, 20000 * (15 * 16 / 2));
}

TEST(ThreadPool, WorkersShareWorkWhenAvailable) {
  ThreadPool pool(2);
  std::atomic<int> on_worker{0};
  // Long chunks: the caller cannot finish them all before an awake worker joins.
  for (int attempt = 0; attempt < 50 && on_worker.load() == 0; ++attempt) {
    pool.parallel_for(64, 1, [&](int64_t, int64_t, int thread) {
      if (thread != 0) ++on_worker;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    });
  }
  EXPECT_GT(on_worker.load(), 0);
}

TEST(ThreadPool, ZeroMeansOneThreadPerCore) {
  ThreadPool pool(0);
  EXPECT_GE(pool.size(), 1);
}

}  // namespace
}  // namespace parley::engine
