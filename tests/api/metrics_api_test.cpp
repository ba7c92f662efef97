// GET /metrics over a real socket: who may read it, what it counts, and the request id every response carries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "api/api.h"
#include "auth/api_keys.h"
#include "http/server.h"
#include "jobs/job_runner.h"
#include "llm/remote_provider.h"
#include "support/http_client.h"
#include "support/temp_dir.h"
#include "support/test_store.h"

namespace parley::api {
namespace {

using parley::testing::HttpClient;
using ::testing::HasSubstr;

constexpr const char* kGuide =
    "# Shipping guide\n\n## Costs\n\nShipping is free on orders over $75. Otherwise standard shipping costs $7.95.\n";

// The value of the sample `name{labels}` (labels exactly as rendered), or -1 when absent.
double sample_value(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

class MetricsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = parley::testing::open_test_store(parley::testing::test_store_options(dir_));
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("W"));
      PARLEY_ASSIGN_OR_RETURN(auto owner, auth::issue_api_key(tx, workspace.id, "owner", store::Role::owner));
      PARLEY_ASSIGN_OR_RETURN(auto viewer, auth::issue_api_key(tx, workspace.id, "viewer", store::Role::viewer));
      owner_key_ = owner.key;
      viewer_key_ = viewer.key;
      return {};
    }).ok());
    ApiOptions options;
    options.metrics_token = "scrape-secret-0123456789";
    // Requests through a proxy on loopback come from the address it forwards: a remote client, for these tests.
    options.limits.trusted_proxies = limits::TrustedProxies::parse({"127.0.0.1"}).value();
    options.limits.per_bot = {1, 2};  // easy to exceed, to count a rate-limit refusal
    // A provider (never called here) so that the model and provider series are registered.
    auto providers = std::make_shared<llm::ProviderRegistry>();
    llm::RemoteProviderConfig remote;
    remote.name = "upstream";
    remote.base_url = "http://127.0.0.1:9/v1";
    remote.default_model = "m";
    providers->add(std::make_shared<llm::RemoteProvider>(remote), {"upstream", "openai", "m", false, 0, 0});
    options.providers = providers;
    context_ = std::make_unique<ApiContext>(*store_, options);
    register_routes(router_, *context_);
    http::ServerOptions server_options;
    server_options.port = 0;
    server_ = std::make_unique<http::Server>(server_options, router_);
    ASSERT_TRUE(server_->listen().ok());
    server_->start();
    client_ = std::make_unique<HttpClient>(server_->port());
  }
  void TearDown() override { server_->stop(); }

  std::map<std::string, std::string> remote(std::map<std::string, std::string> headers = {}) {
    headers["X-Forwarded-For"] = "203.0.113.9";
    return headers;
  }
  std::string make_bot() {
    const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + owner_key_}, {"Content-Type", "application/json"}};
    const auto created = client_->request("POST", "/api/v1/bots", nlohmann::json{{"name", "Shop"}}.dump(), auth);
    EXPECT_EQ(created.status, 201) << created.body;
    const std::string bot = created.json().value("id", "");
    const std::string body = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"shipping.md\"\r\n\r\n" +
                             std::string(kGuide) + "\r\n--B--\r\n";
    const auto uploaded = client_->request(
        "POST", "/api/v1/bots/" + bot + "/sources", body,
        {{"Authorization", "Bearer " + owner_key_}, {"Content-Type", "multipart/form-data; boundary=B"}});
    EXPECT_EQ(uploaded.status, 201) << uploaded.body;
    return bot;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ApiContext> context_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<HttpClient> client_;
  std::string owner_key_, viewer_key_;
};

TEST_F(MetricsApiTest, LoopbackAdminKeysAndTheTokenMayScrapeAndNobodyElse) {
  const auto local = client_->request("GET", "/metrics");
  EXPECT_EQ(local.status, 200);
  EXPECT_EQ(local.headers.at("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(client_->request("GET", "/metrics", "", remote()).status, 403);
  EXPECT_THAT(client_->request("GET", "/metrics", "", remote()).body, HasSubstr("loopback"));
  EXPECT_EQ(client_->request("GET", "/metrics", "", remote({{"Authorization", "Bearer " + viewer_key_}})).status, 403);
  EXPECT_EQ(client_->request("GET", "/metrics", "", remote({{"Authorization", "Bearer wrong-token"}})).status, 403);
  EXPECT_EQ(client_->request("GET", "/metrics", "", remote({{"Authorization", "Bearer " + owner_key_}})).status, 200);
  EXPECT_EQ(client_->request("GET", "/metrics", "", remote({{"X-API-Key", owner_key_}})).status, 200);
  EXPECT_EQ(client_->request("GET", "/metrics", "", remote({{"Authorization", "Bearer scrape-secret-0123456789"}})).status, 200);
}

TEST_F(MetricsApiTest, RequestsAnswersRetrievalLimitsAndTheStoreAreCounted) {
  const std::string bot = make_bot();
  const std::string chat = "/api/v1/bots/" + bot + "/chat";
  // The registry is the process's: other tests in this binary may have counted before.
  const std::string before = client_->request("GET", "/metrics").body;
  const auto delta = [&](const std::string& text, const std::string& series) {
    return sample_value(text, series) - std::max(0.0, sample_value(before, series));
  };
  const std::map<std::string, std::string> json = {{"Content-Type", "application/json"}};
  ASSERT_EQ(client_->request("POST", chat, R"({"message":"How much is shipping?"})", json).status, 200);
  ASSERT_EQ(client_->request("POST", chat, R"({"message":"What does shipping cost?"})", json).status, 200);
  // The per-bot bucket holds 2: the third message in a row is refused.
  EXPECT_EQ(client_->request("POST", chat, R"({"message":"Shipping?"})", json).status, 429);
  EXPECT_EQ(client_->request("GET", "/no/such/path").status, 404);

  const auto scraped = client_->request("GET", "/metrics");
  ASSERT_EQ(scraped.status, 200);
  const std::string& text = scraped.body;
  EXPECT_EQ(delta(text, "parley_http_requests_total{route=\"POST /api/v1/bots/{bot_id}/chat\",status=\"200\"}"), 2);
  EXPECT_EQ(delta(text, "parley_http_requests_total{route=\"POST /api/v1/bots/{bot_id}/chat\",status=\"429\"}"), 1);
  // Paths no route takes share one series.
  EXPECT_GE(sample_value(text, "parley_http_requests_total{route=\"unmatched\",status=\"404\"}"), 1);
  EXPECT_EQ(text.find("/no/such/path"), std::string::npos);
  EXPECT_EQ(delta(text, "parley_http_request_duration_seconds_count{route=\"POST /api/v1/bots/{bot_id}/chat\"}"), 3);
  EXPECT_EQ(sample_value(text, "parley_answers_total{bot=\"" + bot + "\",mode=\"extractive\"}"), 2);
  EXPECT_EQ(delta(text, "parley_retrieval_duration_seconds_count"), 2);
  EXPECT_EQ(delta(text, "parley_answer_duration_seconds_count{mode=\"extractive\"}"), 2);
  EXPECT_EQ(delta(text, "parley_rate_limited_total{limit=\"messages for this bot\"}"), 1);
  EXPECT_GT(sample_value(text, "parley_store_pool_wait_seconds_count{pool=\"writer\"}"), 0);
  EXPECT_GT(sample_value(text, "parley_store_transaction_seconds_count{kind=\"read\"}"), 0);
  EXPECT_EQ(sample_value(text, "parley_store_up"), 1);
  EXPECT_EQ(sample_value(text, "parley_jobs{state=\"queued\"}"), 0);
  EXPECT_EQ(sample_value(text, "parley_outbox_pending{channel=\"webhook\"}"), 0);
  EXPECT_EQ(sample_value(text, "parley_outbox_oldest_age_seconds{channel=\"webhook\"}"), 0);
  EXPECT_GT(sample_value(text, "parley_process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(sample_value(text, "parley_process_open_fds"), 3);
  EXPECT_GE(sample_value(text, "parley_http_connections"), 1);
  // Every family appears once: one HELP line per name.
  std::map<std::string, int> helps;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("# HELP ", 0) == 0) ++helps[line.substr(7, line.find(' ', 7) - 7)];
  }
  for (const auto& [name, count] : helps) EXPECT_EQ(count, 1) << name;
  for (const auto& [name, count] : helps) EXPECT_TRUE(name.starts_with("parley_")) << name;
}

TEST_F(MetricsApiTest, EveryResponseCarriesItsRequestId) {
  const auto fresh = client_->request("GET", "/healthz");
  EXPECT_TRUE(std::regex_match(fresh.headers.at("X-Request-Id"), std::regex("[0-9a-f]{16}")));
  EXPECT_NE(client_->request("GET", "/healthz").headers.at("X-Request-Id"), fresh.headers.at("X-Request-Id"));
  // A client's (or a proxy's) id is kept when it is a plain token; anything else is replaced.
  EXPECT_EQ(client_->request("GET", "/healthz", "", {{"X-Request-Id", "edge-7f3a.42"}}).headers.at("X-Request-Id"),
            "edge-7f3a.42");
  const auto hostile = client_->request("GET", "/healthz", "", {{"X-Request-Id", "a b\"<script>"}});
  EXPECT_TRUE(std::regex_match(hostile.headers.at("X-Request-Id"), std::regex("[0-9a-f]{16}")));
  // Refusals before any handler (rate limits) carry one too.
  EXPECT_EQ(client_->request("GET", "/metrics", "", remote()).headers.count("X-Request-Id"), 1u);
}

// The Grafana dashboard and the alert rules under deploy/ only ask for series that GET /metrics serves.
TEST_F(MetricsApiTest, TheDashboardAndAlertRulesUseOnlyServedMetrics) {
  // `parley serve` runs a job runner beside the API (its families are served from the start).
  const jobs::JobRunner runner(*store_, {});
  std::set<std::string> served;
  std::istringstream lines(client_->request("GET", "/metrics").body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) served.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  ASSERT_GT(served.size(), 30u);
  const auto read = [](const std::string& path) {
    std::ifstream in(std::string(PARLEY_SOURCE_DIR) + "/" + path);
    EXPECT_TRUE(in) << path;
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  static const std::regex name(R"(parley_[a-z_]+)");
  for (const char* file : {"deploy/grafana/parley-dashboard.json", "deploy/prometheus/parley-alerts.yml"}) {
    const std::string text = read(file);
    int used = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator(); ++it) {
      std::string metric = it->str();
      for (const char* suffix : {"_bucket", "_count", "_sum"}) {
        if (metric.ends_with(suffix) && !served.contains(metric)) metric.resize(metric.size() - std::strlen(suffix));
      }
      EXPECT_TRUE(served.contains(metric)) << file << " uses " << it->str() << ", which /metrics does not serve";
      ++used;
    }
    EXPECT_GT(used, 10) << file;
  }
}

}  // namespace
}  // namespace parley::api
