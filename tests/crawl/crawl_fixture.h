// A bot in a real SQLite store, a loopback site, and helpers to crawl it through the real job runner and read
// back what each sync did.
#pragma once

#include <gtest/gtest.h>

#include <set>

#include "crawl/crawler.h"
#include "jobs/job_runner.h"
#include "support/temp_dir.h"
#include "support/test_site.h"

namespace parley::crawl {

class CrawlFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("test"));
      workspace_ = workspace.id;
      return {};
    }).ok());
    ASSERT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot("site bot", {{"language", "en"}}));
      bot_ = bot.id;
      return {};
    }).ok());
  }

  store::Scope scope() const { return store::Scope::workspace(workspace_); }

  // Settings for a fast loopback crawl.
  nlohmann::json settings(const nlohmann::json& extra = nlohmann::json::object()) const {
    nlohmann::json json = {{"delay_ms", 0}, {"concurrency", 4}, {"timeout_ms", 2000}};
    for (auto it = extra.begin(); it != extra.end(); ++it) json[it.key()] = it.value();
    return json;
  }

  QueuedCrawl add_source(const nlohmann::json& json) {
    auto config = crawl_config_from_json(json);
    EXPECT_TRUE(config.ok()) << config.error().message;
    auto queued = add_crawl_source(*store_, scope(), bot_, *config);
    EXPECT_TRUE(queued.ok()) << queued.error().message;
    return *queued;
  }

  // The test sites are on loopback, which crawls may not reach by default.
  static CrawlerOptions loopback_options() {
    CrawlerOptions options;
    options.allow_private_addresses = true;
    return options;
  }

  store::Job run(const store::Job& job, CrawlerOptions options = loopback_options()) {
    jobs::JobRunner runner(*store_);
    register_crawl_jobs(runner, options);
    auto ended = runner.run_job(scope(), job.id);
    EXPECT_TRUE(ended.ok()) << ended.error().message;
    return ended.ok() ? *ended : store::Job{};
  }

  store::Job sync(const std::string& source_id) {
    auto job = queue_sync(*store_, scope(), bot_, source_id);
    EXPECT_TRUE(job.ok()) << job.error().message;
    return run(*job);
  }

  // The URLs (without the origin) of a job's pages with one outcome.
  std::set<std::string> pages(const store::Job& job, const std::string& outcome, const std::string& origin) {
    std::set<std::string> urls;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      store::CrawlPageFilter filter;
      filter.outcome = outcome;
      filter.limit = -1;
      PARLEY_ASSIGN_OR_RETURN(auto rows, tx.crawl_pages(job.id, filter));
      for (const auto& page : rows) urls.insert(page.url.starts_with(origin) ? page.url.substr(origin.size()) : page.url);
      return {};
    }).ok());
    return urls;
  }

  std::string reason(const store::Job& job, const std::string& url) {
    std::string found;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      store::CrawlPageFilter filter;
      filter.limit = -1;
      PARLEY_ASSIGN_OR_RETURN(auto rows, tx.crawl_pages(job.id, filter));
      for (const auto& page : rows) {
        if (page.url == url) found = page.reason;
      }
      return {};
    }).ok());
    return found;
  }

  std::vector<store::Document> documents(const std::string& source_id) {
    std::vector<store::Document> out;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, tx.documents(source_id));
      return {};
    }).ok());
    return out;
  }

  std::set<std::string> document_paths(const std::string& source_id, const std::string& origin) {
    std::set<std::string> paths;
    for (const auto& document : documents(source_id)) paths.insert(document.uri.substr(origin.size()));
    return paths;
  }

  std::vector<store::Chunk> chunks_of(const std::string& document_id) {
    std::vector<store::Chunk> out;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, tx.document_chunks(document_id));
      return {};
    }).ok());
    return out;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::string workspace_;
  std::string bot_;
};

}  // namespace parley::crawl
