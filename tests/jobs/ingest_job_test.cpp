// Uploads ingested as a background job, against a real SQLite file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest/upload_jobs.h"
#include "support/temp_dir.h"

namespace parley::ingest {
namespace {

using ::testing::HasSubstr;

class IngestJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("test"));
      workspace_ = workspace.id;
      return {};
    }).ok());
    ASSERT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot("bot", {{"language", "en"}}));
      bot_ = bot.id;
      return {};
    }).ok());
  }
  store::Scope scope() const { return store::Scope::workspace(workspace_); }

  std::vector<FileUpload> files() {
    contents_.clear();
    for (int i = 0; i < 20; ++i) {
      contents_.push_back("# Topic " + std::to_string(i) + "\n\nEverything about topic number " + std::to_string(i) +
                          ", explained in a paragraph long enough to be indexed.\n");
    }
    contents_.push_back(std::string("\0\0binary", 8));
    std::vector<FileUpload> uploads;
    for (std::size_t i = 0; i + 1 < contents_.size(); ++i) uploads.push_back({bot_, "topic-" + std::to_string(i) + ".md", "", contents_[i]});
    uploads.push_back({bot_, "broken.txt", "", contents_.back()});
    return uploads;
  }

  store::Job run(const store::Job& job) {
    jobs::JobRunner runner(*store_);
    register_ingest_jobs(runner);
    auto ended = runner.run_job(scope(), job.id);
    EXPECT_TRUE(ended.ok()) << ended.error().message;
    return ended.ok() ? *ended : store::Job{};
  }

  std::size_t document_count() {
    std::size_t count = 0;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto sources, tx.sources(bot_));
      for (const auto& source : sources) count += static_cast<std::size_t>(source.document_count);
      return {};
    }).ok());
    return count;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::string workspace_, bot_;
  std::vector<std::string> contents_;
};

TEST_F(IngestJobTest, IngestsEveryFileAndRecordsFailuresWithReasons) {
  const auto job = queue_uploads(*store_, scope(), bot_, files()).value();
  EXPECT_EQ(job.kind, "ingest");
  EXPECT_EQ(job.params["files"], 21);
  const auto ended = run(job);
  ASSERT_EQ(ended.state, store::JobState::succeeded) << ended.error;
  EXPECT_EQ(ended.result["added"], 20);
  EXPECT_EQ(ended.result["failed"], 1);
  EXPECT_EQ(ended.result["files_done"], 21);
  ASSERT_EQ(ended.result["errors"].size(), 1u);
  EXPECT_EQ(ended.result["errors"][0]["name"], "broken.txt");
  EXPECT_THAT(ended.result["errors"][0]["error"].get<std::string>(), HasSubstr("binary"));
  EXPECT_EQ(document_count(), 20u);
  // The stored files are gone once ingested.
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
    EXPECT_TRUE(tx.job_uploads(job.id, 100)->empty());
    return {};
  }).ok());
}

TEST_F(IngestJobTest, FilesIngestedJustBeforeACrashAreNotDuplicatedWhenTheJobRunsAgain) {
  const auto uploads = files();
  const auto job = queue_uploads(*store_, scope(), bot_, uploads).value();
  // As if a runner had ingested the first files and died before it could drop them from the job.
  const std::vector<FileUpload> first(uploads.begin(), uploads.begin() + 10);
  ASSERT_TRUE(add_files(*store_, scope(), first).ok());
  const auto ended = run(job);
  ASSERT_EQ(ended.state, store::JobState::succeeded) << ended.error;
  EXPECT_EQ(ended.result["unchanged"], 10);
  EXPECT_EQ(ended.result["added"], 10);
  EXPECT_EQ(document_count(), 20u);
}

}  // namespace
}  // namespace parley::ingest
