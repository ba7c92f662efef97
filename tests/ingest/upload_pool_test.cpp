// The upload pool: a fixed number of tasks at a time, a bounded queue, queued tasks told when the pool shuts down;
// the background priority of parsing threads; the per-file CPU budget.
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <future>
#include <latch>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest/cpu_budget.h"
#include "ingest/ingest.h"
#include "ingest/upload_pool.h"
#include "support/documents.h"

namespace parley::ingest {
namespace {

using ::testing::HasSubstr;

TEST(UploadPool, RunsAFixedNumberAtATimeQueuesABoundedNumberAndRefusesTheRest) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> started{0};
  std::atomic<int> abandoned{0};
  std::latch both_running(2);
  {
    UploadPool pool({2, 2});
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(pool.submit([&](bool run) {
        ++started;
        both_running.count_down();
        if (run) released.wait();
      }));
    }
    both_running.wait();
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(pool.submit([&](bool run) {
        if (!run) ++abandoned;
      }));
    }
    EXPECT_FALSE(pool.submit([](bool) {}));  // the queue is full
    const auto stats = pool.stats();
    EXPECT_EQ(stats.running, 2u);
    EXPECT_EQ(stats.queued, 2u);
    EXPECT_EQ(stats.refused, 1u);
    EXPECT_EQ(started, 2);
    // Shutting down tells the queued tasks (run = false) and lets the running ones finish.
    std::thread releaser([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      release.set_value();
    });
    releaser.detach();
  }
  EXPECT_EQ(abandoned, 2);
}

TEST(UploadPool, ParsingThreadsRunAtBackgroundPriority) {
  std::promise<int> policy;
  std::thread([&] {
    run_at_background_priority();
    int current = 0;
    sched_param param{};
    pthread_getschedparam(pthread_self(), &current, &param);
    policy.set_value(current);
  }).join();
  EXPECT_EQ(policy.get_future().get(), SCHED_IDLE);
}

TEST(CpuBudget, StopsWorkThatRunsOverWithTheFileName) {
  {
    const CpuBudget budget(std::chrono::milliseconds(20), "slow.pdf");
    EXPECT_TRUE(check_cpu_budget().ok());
    const auto start = thread_cpu_time();
    volatile unsigned spin = 0;
    while (thread_cpu_time() - start < std::chrono::milliseconds(30)) spin = spin + 1;
    const auto spent = check_cpu_budget();
    ASSERT_FALSE(spent.ok());
    EXPECT_EQ(spent.error().code, ErrorCode::unprocessable);
    EXPECT_THAT(spent.error().message, HasSubstr("slow.pdf took more than 0.02 s of CPU time"));
  }
  EXPECT_TRUE(check_cpu_budget().ok());  // none open any more
  const CpuBudget unlimited(std::chrono::milliseconds(0), "any");
  EXPECT_TRUE(check_cpu_budget().ok());
}

TEST(CpuBudget, APdfWhosePagesShareOneDenseStreamRunsOutOfIt) {
  IngestOptions options;
  options.cpu_budget_per_file = std::chrono::milliseconds(200);
  const std::string pdf = parley::testing::make_pdf_sharing_one_stream(4999, 300);
  const auto start = thread_cpu_time();
  const auto prepared = prepare_document({"manual.pdf", "application/pdf", pdf}, "en", options);
  const auto spent = thread_cpu_time() - start;
  ASSERT_FALSE(prepared.ok());
  EXPECT_THAT(prepared.error().message, HasSubstr("manual.pdf took more than 0.2 s of CPU time"));
  // Stopped between pages, soon after the budget ran out.
  EXPECT_LT(spent, std::chrono::seconds(2));
  // Without a budget the same file is read to the end (here: only two pages, to keep the test short; from three
  // identical pages on, every line would be a running header and dropped).
  options.cpu_budget_per_file = std::chrono::milliseconds(0);
  const auto small = prepare_document({"short.pdf", "application/pdf", parley::testing::make_pdf_sharing_one_stream(2, 300)}, "en", options);
  EXPECT_TRUE(small.ok()) << small.error().message;
}

}  // namespace
}  // namespace parley::ingest
