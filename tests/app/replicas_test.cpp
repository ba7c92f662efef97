// Two `parley serve` replicas on one PostgreSQL database (a real server started by the test, support/postgres.h),
// as a user runs them: each replica has its own data folder with the same [store] url and its own search index.
// Knowledge uploaded through one is answered by the other at once; a conversation started on one is read on the
// other; a replica killed with SIGKILL leaves the other serving; a PostgreSQL restart makes both not-ready, then
// ready again by themselves.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/http_client.h"
#include "support/postgres.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace parley {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Json = nlohmann::json;

class ReplicasTest : public ::testing::Test {
 protected:
  testing::ProcessResult parley(const std::string& data, std::vector<std::string> args) {
    args.insert(args.begin(), {PARLEY_BINARY, "--data", data});
    return testing::run_process(args);
  }

  // Starts `parley serve` on a data folder; returns its port (0 when it did not start).
  unsigned short serve(const std::string& data, std::unique_ptr<testing::BackgroundProcess>& server) {
    server = std::make_unique<testing::BackgroundProcess>(
        std::vector<std::string>{PARLEY_BINARY, "--data", data, "serve", "--port", "0"});
    const std::string banner = server->wait_for_output("/healthz", 60s);
    std::smatch match;
    if (!std::regex_search(banner, match, std::regex("listening on http://127\\.0\\.0\\.1:(\\d+)"))) return 0;
    return static_cast<unsigned short>(std::stoi(match[1]));
  }

  static testing::HttpResult chat(unsigned short port, const std::string& bot, const std::string& message) {
    testing::HttpClient client(port);
    return client.request("POST", "/api/v1/bots/" + bot + "/chat", Json{{"message", message}}.dump(),
                          {{"Content-Type", "application/json"}});
  }

  static int ready(unsigned short port) {
    try {
      testing::HttpClient client(port);
      return client.request("GET", "/readyz").status;
    } catch (const std::exception&) {
      return 0;
    }
  }

  // Polls /readyz until it answers `status` or the timeout passes.
  static bool wait_ready(unsigned short port, int status, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ready(port) == status) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  testing::TempDir dir_;
};

TEST_F(ReplicasTest, TwoReplicasShareOneDatabase) {
  auto& postgres = testing::PostgresServer::instance();
  const std::string url = postgres.create_database();
  const std::string a = dir_.file("a"), b = dir_.file("b");

  // `parley init` with PARLEY_STORE_URL initialises the shared database once and records it in parley.toml.
  ::setenv("PARLEY_STORE_URL", url.c_str(), 1);
  const auto init = parley(a, {"init", "--demo", "--json"});
  const auto again = parley(b, {"init"});
  ::unsetenv("PARLEY_STORE_URL");
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_NE(again.exit_code, 0);
  EXPECT_THAT(again.err, HasSubstr("already initialised"));
  const Json ids = Json::parse(init.out);
  const std::string bot = ids["demo_bot_id"], key = ids["api_key"];
  std::stringstream config;
  config << std::ifstream(a + "/parley.toml").rdbuf();
  ASSERT_THAT(config.str(), HasSubstr("[store]"));
  std::filesystem::create_directories(b);
  std::filesystem::copy_file(a + "/parley.toml", b + "/parley.toml", std::filesystem::copy_options::overwrite_existing);
  EXPECT_FALSE(std::filesystem::exists(a + "/parley.db"));  // nothing in SQLite

  std::unique_ptr<testing::BackgroundProcess> server_a, server_b;
  const unsigned short port_a = serve(a, server_a);
  const unsigned short port_b = serve(b, server_b);
  ASSERT_NE(port_a, 0);
  ASSERT_NE(port_b, 0);
  EXPECT_EQ(ready(port_a), 200);
  EXPECT_EQ(ready(port_b), 200);

  // Both replicas start with empty search indexes and answer the demo bot's questions alike.
  const auto on_a = chat(port_a, bot, "How much does a hydraulic brake bleed cost?");
  const auto on_b = chat(port_b, bot, "How much does a hydraulic brake bleed cost?");
  ASSERT_EQ(on_a.status, 200) << on_a.body;
  ASSERT_EQ(on_b.status, 200) << on_b.body;
  EXPECT_THAT(on_b.json()["answer"].get<std::string>(), HasSubstr("$45"));
  EXPECT_EQ(on_a.json()["answer"], on_b.json()["answer"]);

  // Knowledge uploaded through A is answered by B within 2 s (at once, by design: a search first brings the
  // replica's index to the knowledge version its transaction reads).
  const std::map<std::string, std::string> admin = {{"Authorization", "Bearer " + key}};
  auto upload_headers = admin;
  upload_headers["Content-Type"] = "text/markdown";
  {
    testing::HttpClient client(port_a);
    const auto uploaded = client.request(
        "POST", "/api/v1/bots/" + bot + "/sources?name=bike-valet.md",
        "# Bike valet\n\nThe Northwind bike valet keeps your bike in a heated locker for four dollars a day.\n",
        upload_headers);
    ASSERT_EQ(uploaded.status, 201) << uploaded.body;
  }
  const auto uploaded_at = std::chrono::steady_clock::now();
  std::string answer;
  while (std::chrono::steady_clock::now() - uploaded_at < 2s) {
    answer = chat(port_b, bot, "What does the bike valet cost?").json().value("answer", "");
    if (answer.find("four dollars") != std::string::npos) break;
  }
  EXPECT_THAT(answer, HasSubstr("four dollars"));

  // A conversation held on A is read, whole, through B.
  const auto started = chat(port_a, bot, "How much is shipping?");
  ASSERT_EQ(started.status, 200);
  const std::string conversation = started.json()["conversation_id"];
  {
    testing::HttpClient client(port_b);
    const auto transcript = client.request("GET", "/api/v1/bots/" + bot + "/conversations/" + conversation, "", admin);
    ASSERT_EQ(transcript.status, 200) << transcript.body;
    EXPECT_EQ(transcript.json()["messages"].size(), 2u);
  }

  // A PostgreSQL restart: both replicas report not-ready while it is down, and recover by themselves.
  postgres.stop();
  EXPECT_TRUE(wait_ready(port_a, 503, 10s));
  EXPECT_TRUE(wait_ready(port_b, 503, 10s));
  EXPECT_NE(chat(port_b, bot, "How much is shipping?").status, 200);
  postgres.start();
  EXPECT_TRUE(wait_ready(port_a, 200, 20s));
  EXPECT_TRUE(wait_ready(port_b, 200, 20s));
  EXPECT_EQ(chat(port_a, bot, "What does the bike valet cost?").status, 200);

  // A replica killed with SIGKILL: the other keeps serving, and knows everything committed through it.
  server_a->stop(SIGKILL);
  const auto after = chat(port_b, bot, "What does the bike valet cost?");
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_THAT(after.json()["answer"].get<std::string>(), HasSubstr("four dollars"));
  EXPECT_EQ(server_b->stop(SIGTERM), 0);
}

}  // namespace
}  // namespace parley
