// The crawl, job and report routes end to end: the API server and a job runner in this process, a site on
// loopback, a real SQLite file; progress followed over Server-Sent Events.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/api.h"
#include "auth/api_keys.h"
#include "crawl/crawler.h"
#include "http/server.h"
#include "ingest/upload_jobs.h"
#include "jobs/job_runner.h"
#include "support/http_client.h"
#include "support/temp_dir.h"
#include "support/test_site.h"

namespace parley::api {
namespace {

using parley::testing::html_page;
using parley::testing::HttpClient;
using parley::testing::parse_sse;
using parley::testing::TestSite;
using ::testing::HasSubstr;
using Json = nlohmann::json;

class CrawlApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto a, tx.create_workspace("A"));
      PARLEY_ASSIGN_OR_RETURN(auto b, tx.create_workspace("B"));
      PARLEY_ASSIGN_OR_RETURN(auto key_a, auth::issue_api_key(tx, a.id, "a", store::Role::owner));
      PARLEY_ASSIGN_OR_RETURN(auto key_b, auth::issue_api_key(tx, b.id, "b", store::Role::owner));
      key_a_ = key_a.key;
      key_b_ = key_b.key;
      return {};
    }).ok());
    jobs::RunnerOptions runner_options;
    runner_options.idle_poll = std::chrono::milliseconds(50);
    runner_ = std::make_unique<jobs::JobRunner>(*store_, runner_options);
    crawl::CrawlerOptions crawler;
    crawler.allow_private_addresses = true;  // the test site is on loopback
    crawl::register_crawl_jobs(*runner_, crawler);
    ingest::register_ingest_jobs(*runner_);
    ApiOptions options;
    options.on_job_queued = [this] { runner_->wake(); };
    // These tests chat and poll as fast as one client can; rate limits are tested in tests/security.
    options.limits.per_ip = {0, 1};
    options.limits.per_key = {0, 1};
    options.limits.per_bot = {0, 1};
    context_ = std::make_unique<ApiContext>(*store_, options);
    register_routes(router_, *context_);
    http::ServerOptions server_options;
    server_options.port = 0;
    server_ = std::make_unique<http::Server>(server_options, router_);
    ASSERT_TRUE(server_->listen().ok());
    server_->start();
    client_ = std::make_unique<HttpClient>(server_->port());
    bot_ = call("POST", "/api/v1/bots", {{"name", "Site"}}).json()["id"];
  }
  void TearDown() override {
    runner_->stop();
    server_->stop();
  }

  parley::testing::HttpResult call(const std::string& method, const std::string& path, const Json& body = nullptr,
                                   const std::string& key = "") {
    std::map<std::string, std::string> headers = {{"Authorization", "Bearer " + (key.empty() ? key_a_ : key)}};
    if (!body.is_null()) headers["Content-Type"] = "application/json";
    return client_->request(method, path, body.is_null() ? "" : body.dump(), headers);
  }

  Json wait_for_job(const std::string& job_id) {
    Json job;
    for (int i = 0; i < 500; ++i) {
      job = call("GET", "/api/v1/bots/" + bot_ + "/jobs/" + job_id).json();
      if (job["state"] == "succeeded" || job["state"] == "failed") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return job;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<jobs::JobRunner> runner_;
  std::unique_ptr<ApiContext> context_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<HttpClient> client_;
  std::string key_a_, key_b_, bot_;
};

TEST_F(CrawlApiTest, AddACrawlFollowItsProgressAndReadWhatItDid) {
  TestSite site;
  site.set("/", html_page("Bikes", "<p>Every city bike comes with a free first service after a month of riding.</p>"
                                   "<a href=\"/repairs\">repairs</a> <a href=\"/gone\">gone</a>"));
  site.set("/repairs", html_page("Repairs", "<p>A brake bleed costs $45 and takes about an hour in our workshop.</p>"));
  runner_->start();
  const auto added = call("POST", "/api/v1/bots/" + bot_ + "/sources/crawl",
                          {{"url", site.url("/")}, {"delay_ms", 0}, {"max_pages", 50}, {"schedule", "daily"}});
  ASSERT_EQ(added.status, 202) << added.body;
  const Json body = added.json();
  EXPECT_EQ(body["source"]["kind"], "crawl");
  EXPECT_EQ(body["source"]["crawl"]["schedule"], "daily");
  const std::string job_id = body["job"]["id"];
  const std::string source_id = body["source"]["id"];

  // The event stream ends with "done" once the job has finished.
  auto events_client = HttpClient(server_->port());
  const auto stream = events_client.request("GET", "/api/v1/bots/" + bot_ + "/jobs/" + job_id + "/events", "",
                                            {{"Authorization", "Bearer " + key_a_}, {"Accept", "text/event-stream"}});
  ASSERT_EQ(stream.status, 200);
  const auto events = parse_sse(stream.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().name, "done");
  EXPECT_EQ(events.back().data["state"], "succeeded");
  EXPECT_EQ(events.back().data["result"]["added"], 2);
  EXPECT_EQ(events.back().data["result"]["failed"], 1);
  EXPECT_EQ(events.front().name, "progress");

  const Json job = call("GET", "/api/v1/bots/" + bot_ + "/jobs/" + job_id).json();
  EXPECT_EQ(job["pages"]["added"], 2);
  const Json failed = call("GET", "/api/v1/bots/" + bot_ + "/jobs/" + job_id + "/pages?outcome=failed").json();
  ASSERT_EQ(failed["pages"].size(), 1u);
  EXPECT_EQ(failed["pages"][0]["url"], site.url("/gone"));
  EXPECT_EQ(failed["pages"][0]["reason"], "HTTP 404: not found");
  EXPECT_EQ(failed["pages"][0]["http_status"], 404);

  // The pages answer questions, citing their canonical URLs.
  const auto answer = client_->request("POST", "/api/v1/bots/" + bot_ + "/chat", Json{{"message", "How much is a brake bleed?"}}.dump(),
                                       {{"Content-Type", "application/json"}});
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_THAT(answer.body, HasSubstr("$45"));
  EXPECT_THAT(answer.json()["sources"][0]["url"].get<std::string>(), site.url("/repairs"));

  // Resync on demand; its record joins the source's syncs.
  site.remove("/repairs");
  const auto resync = call("POST", "/api/v1/bots/" + bot_ + "/sources/" + source_id + "/sync");
  ASSERT_EQ(resync.status, 202) << resync.body;
  const Json second = wait_for_job(resync.json()["job"]["id"]);
  EXPECT_EQ(second["result"]["removed"], 1);
  EXPECT_EQ(second["result"]["unchanged"], 1);
  const Json syncs = call("GET", "/api/v1/bots/" + bot_ + "/sources/" + source_id + "/syncs").json();
  ASSERT_EQ(syncs["syncs"].size(), 2u);
  EXPECT_EQ(syncs["syncs"][0]["id"], second["id"]);

  // Settings change through PATCH; bad ones are refused with the reason.
  const auto patched = call("PATCH", "/api/v1/bots/" + bot_ + "/sources/" + source_id, {{"schedule", "6h"}, {"max_pages", 10}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["crawl"]["schedule"], "6h");
  EXPECT_FALSE(patched.json()["next_sync_at"].is_null());
  const auto bad = call("PATCH", "/api/v1/bots/" + bot_ + "/sources/" + source_id, {{"max_pagez", 10}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("unknown crawl setting: max_pagez"));

  // The report covers the crawled pages.
  const auto report = call("GET", "/api/v1/bots/" + bot_ + "/report");
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_EQ(report.json()["summary"]["documents"], 1);
}

TEST_F(CrawlApiTest, UploadsCanBeIngestedInTheBackground) {
  runner_->start();
  const std::string body = "--BOUND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rentals.md\"\r\n\r\n"
                           "# Rentals\n\nA day of e-bike rental costs $59, helmet and lock included.\r\n--BOUND--\r\n";
  const auto queued = client_->request("POST", "/api/v1/bots/" + bot_ + "/sources?async=1", body,
                                       {{"Authorization", "Bearer " + key_a_}, {"Content-Type", "multipart/form-data; boundary=BOUND"}});
  ASSERT_EQ(queued.status, 202) << queued.body;
  EXPECT_EQ(queued.json()["job"]["kind"], "ingest");
  const Json job = wait_for_job(queued.json()["job"]["id"]);
  EXPECT_EQ(job["state"], "succeeded");
  EXPECT_EQ(job["result"]["added"], 1);
  const auto answer = client_->request("POST", "/api/v1/bots/" + bot_ + "/chat", Json{{"message", "How much is an e-bike rental?"}}.dump(),
                                       {{"Content-Type", "application/json"}});
  EXPECT_THAT(answer.body, HasSubstr("$59"));
}

TEST_F(CrawlApiTest, ChatKeepsAnsweringWhileACrawlRuns) {
  TestSite site;
  std::string links;
  for (int i = 1; i <= 60; ++i) {
    auto page = html_page("Page " + std::to_string(i), "<p>Service number " + std::to_string(i) +
                                                           " is described here in enough words to be a page.</p>");
    page.delay = std::chrono::milliseconds(10);
    site.set("/p" + std::to_string(i), page);
    links += "<a href=\"/p" + std::to_string(i) + "\">p</a>";
  }
  site.set("/", html_page("Home", "<p>Our workshop services.</p>" + links));
  runner_->start();
  const auto added = call("POST", "/api/v1/bots/" + bot_ + "/sources/crawl", {{"url", site.url("/")}, {"delay_ms", 0}});
  ASSERT_EQ(added.status, 202);
  const std::string job_id = added.json()["job"]["id"];
  int answered_during_crawl = 0;
  double slowest_ms = 0;
  for (int i = 0; i < 200; ++i) {
    const auto started = std::chrono::steady_clock::now();
    const auto answer = client_->request("POST", "/api/v1/bots/" + bot_ + "/chat", Json{{"message", "What is service number 7?"}}.dump(),
                                         {{"Content-Type", "application/json"}});
    slowest_ms = std::max(slowest_ms, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    ASSERT_EQ(answer.status, 200) << answer.body;
    const Json job = call("GET", "/api/v1/bots/" + bot_ + "/jobs/" + job_id).json();
    if (job["state"] == "succeeded") break;
    if (job["state"] == "running") ++answered_during_crawl;
  }
  EXPECT_GT(answered_during_crawl, 5);
  EXPECT_LT(slowest_ms, 2000);  // generous: the machine may be busy; a blocked writer would mean seconds
  EXPECT_EQ(wait_for_job(job_id)["result"]["added"], 61);
}

TEST_F(CrawlApiTest, BadRequestsAndOtherWorkspacesAreRefused) {
  EXPECT_EQ(call("POST", "/api/v1/bots/" + bot_ + "/sources/crawl", {{"url", "ftp://example.com/"}}).status, 400);
  EXPECT_EQ(call("POST", "/api/v1/bots/" + bot_ + "/sources/crawl", Json::object()).status, 400);
  TestSite site;
  const auto added = call("POST", "/api/v1/bots/" + bot_ + "/sources/crawl", {{"url", site.url("/")}});
  ASSERT_EQ(added.status, 202);
  const std::string job_id = added.json()["job"]["id"];
  const std::string source_id = added.json()["source"]["id"];
  // The same site twice, or a second sync while one is queued: conflicts that say why.
  EXPECT_EQ(call("POST", "/api/v1/bots/" + bot_ + "/sources/crawl", {{"url", site.url("/")}}).status, 409);
  const auto busy = call("POST", "/api/v1/bots/" + bot_ + "/sources/" + source_id + "/sync");
  EXPECT_EQ(busy.status, 409);
  EXPECT_THAT(busy.body, HasSubstr(job_id));
  // Workspace B sees nothing of A's jobs.
  EXPECT_EQ(call("GET", "/api/v1/bots/" + bot_ + "/jobs/" + job_id, nullptr, key_b_).status, 404);
  EXPECT_EQ(call("POST", "/api/v1/bots/" + bot_ + "/jobs/" + job_id + "/cancel", nullptr, key_b_).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/bots/" + bot_ + "/report", nullptr, key_b_).status, 404);
  // Control: pause a queued job, resume it, cancel it; unknown actions are 404.
  EXPECT_EQ(call("POST", "/api/v1/bots/" + bot_ + "/jobs/" + job_id + "/pause").json()["state"], "paused");
  EXPECT_EQ(call("POST", "/api/v1/bots/" + bot_ + "/jobs/" + job_id + "/resume").json()["state"], "queued");
  EXPECT_EQ(call("POST", "/api/v1/bots/" + bot_ + "/jobs/" + job_id + "/cancel").json()["state"], "cancelled");
  EXPECT_EQ(call("POST", "/api/v1/bots/" + bot_ + "/jobs/" + job_id + "/explode").status, 404);
  const Json jobs = call("GET", "/api/v1/bots/" + bot_ + "/jobs").json();
  ASSERT_EQ(jobs["jobs"].size(), 1u);
  EXPECT_EQ(jobs["jobs"][0]["state"], "cancelled");
  EXPECT_TRUE(call("GET", "/api/v1/bots/" + bot_ + "/jobs?active=1").json()["jobs"].empty());
}

}  // namespace
}  // namespace parley::api
