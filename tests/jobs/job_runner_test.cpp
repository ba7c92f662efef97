// The durable job queue and its runners against a real SQLite file: leases, restarts, failures, control.
#include "jobs/job_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "jobs/jobs.h"
#include "support/temp_dir.h"

namespace parley::jobs {
namespace {

using ::testing::HasSubstr;

class JobRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("test"));
      workspace_ = workspace.id;
      return {};
    }).ok());
    ASSERT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot("bot", {}));
      bot_ = bot.id;
      PARLEY_ASSIGN_OR_RETURN(auto source, tx.create_source(bot_, store::SourceKind::crawl, "https://example.com/"));
      source_ = source.id;
      return {};
    }).ok());
  }

  store::Scope scope() const { return store::Scope::workspace(workspace_); }

  Result<store::Job> enqueue(const std::string& kind, const std::string& source = "") {
    store::Job job;
    PARLEY_TRY(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(job, enqueue_job(tx, bot_, source, kind, {{"n", 1}}, "manual"));
      return {};
    }));
    return job;
  }

  store::Job load(const std::string& id) {
    store::Job job;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      job = tx.job(id)->value();
      return {};
    }).ok());
    return job;
  }

  store::Job wait_until_finished(const std::string& id) {
    for (int i = 0; i < 500; ++i) {
      const auto job = load(id);
      if (store::is_finished(job.state)) return job;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return load(id);
  }

  RunnerOptions fast() const {
    RunnerOptions options;
    options.idle_poll = std::chrono::milliseconds(20);
    options.heartbeat_interval = std::chrono::milliseconds(10);
    return options;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::string workspace_, bot_, source_;
};

TEST_F(JobRunnerTest, RunsQueuedJobsAndRecordsTheirResults) {
  JobRunner runner(*store_, fast());
  runner.register_handler("count", [](JobContext& context) -> Result<store::Json> {
    context.heartbeat({{"done", 1}}, true);
    return store::Json{{"counted", context.job().params["n"]}};
  });
  runner.start();
  const auto job = enqueue("count").value();
  runner.wake();
  const auto finished = wait_until_finished(job.id);
  EXPECT_EQ(finished.state, store::JobState::succeeded);
  EXPECT_EQ(finished.result["counted"], 1);
  EXPECT_EQ(finished.progress["done"], 1);
  EXPECT_EQ(finished.attempts, 1);
  EXPECT_TRUE(finished.lease_owner.empty());
  EXPECT_TRUE(finished.finished_at.has_value());
}

TEST_F(JobRunnerTest, AThrowingOrFailingHandlerFailsItsJobAndTheRunnerCarriesOn) {
  JobRunner runner(*store_, fast());
  runner.register_handler("throws", [](JobContext&) -> Result<store::Json> { throw std::runtime_error("bad page"); });
  runner.register_handler("fails", [](JobContext&) -> Result<store::Json> {
    return make_error(ErrorCode::unprocessable, "nothing to crawl");
  });
  runner.register_handler("works", [](JobContext&) -> Result<store::Json> { return store::Json{{"ok", true}}; });
  runner.start();
  const auto throws = enqueue("throws").value();
  const auto fails = enqueue("fails").value();
  const auto unknown = enqueue("no-such-kind").value();
  const auto works = enqueue("works").value();
  runner.wake();
  EXPECT_THAT(wait_until_finished(throws.id).error, HasSubstr("bad page"));
  EXPECT_EQ(wait_until_finished(fails.id).error, "nothing to crawl");
  EXPECT_THAT(wait_until_finished(unknown.id).error, HasSubstr("no handler"));
  EXPECT_EQ(wait_until_finished(works.id).state, store::JobState::succeeded);
}

TEST_F(JobRunnerTest, TwoRunnersNeverRunOneJob) {
  std::atomic<int> runs{0};
  std::atomic<int> concurrent{0}, most_concurrent{0};
  const auto handler = [&](JobContext&) -> Result<store::Json> {
    ++runs;
    most_concurrent = std::max(most_concurrent.load(), ++concurrent);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    --concurrent;
    return store::Json::object();
  };
  JobRunner a(*store_, fast()), b(*store_, fast());
  a.register_handler("slow", handler);
  b.register_handler("slow", handler);
  const auto job = enqueue("slow").value();
  a.start();
  b.start();
  wait_until_finished(job.id);
  a.stop();
  b.stop();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(most_concurrent, 1);
  // Nor can a third take it over while it runs elsewhere (a running job is only free once its lease expires).
  const auto second = enqueue("slow").value();
  JobRunner c(*store_, fast());
  c.register_handler("slow", handler);
  std::thread first([&] { (void)c.run_job(scope(), second.id); });
  for (int i = 0; i < 500 && load(second.id).state != store::JobState::running; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  JobRunner d(*store_, fast());
  auto stolen = d.run_job(scope(), second.id);
  first.join();
  ASSERT_FALSE(stolen.ok());
  EXPECT_EQ(stolen.error().code, ErrorCode::conflict);
}

TEST_F(JobRunnerTest, ShutdownPutsRunningJobsBackInTheQueue) {
  JobRunner runner(*store_, fast());
  std::atomic<bool> started{false};
  runner.register_handler("long", [&](JobContext& context) -> Result<store::Json> {
    started = true;
    while (!context.should_stop()) {
      context.heartbeat({{"step", 1}});
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(context.stop_reason(), StopReason::shutdown);
    return store::Json::object();
  });
  const auto job = enqueue("long").value();
  runner.start();
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  runner.stop();
  const auto stopped = load(job.id);
  EXPECT_EQ(stopped.state, store::JobState::queued);
  EXPECT_TRUE(stopped.lease_owner.empty());
}

TEST_F(JobRunnerTest, OneActiveJobPerSourceAndControlsFollowTheStateMachine) {
  const auto job = enqueue("x", source_).value();
  auto again = enqueue("x", source_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::conflict);
  EXPECT_THAT(again.error().message, HasSubstr(job.id));
  EXPECT_EQ(control_job(*store_, scope(), bot_, job.id, JobAction::pause)->state, store::JobState::paused);
  EXPECT_EQ(control_job(*store_, scope(), bot_, job.id, JobAction::resume)->state, store::JobState::queued);
  EXPECT_EQ(control_job(*store_, scope(), bot_, job.id, JobAction::cancel)->state, store::JobState::cancelled);
  auto after = control_job(*store_, scope(), bot_, job.id, JobAction::resume);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::conflict);
  EXPECT_TRUE(enqueue("x", source_).ok());  // a finished job no longer blocks the source
  EXPECT_EQ(control_job(*store_, scope(), "bot_other", job.id, JobAction::pause).error().code, ErrorCode::not_found);
  // Another workspace does not see the job at all.
  std::string other;
  ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("other"));
    other = workspace.id;
    return {};
  }).ok());
  EXPECT_EQ(control_job(*store_, store::Scope::workspace(other), bot_, job.id, JobAction::pause).error().code,
            ErrorCode::not_found);
}

}  // namespace
}  // namespace parley::jobs
