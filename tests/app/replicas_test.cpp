// Two `parley serve` replicas on one PostgreSQL database (a real server started by the test, support/postgres.h),
// as a user runs them: each replica has its own data folder with the same [store] url and its own search index.
// Knowledge uploaded through one is answered by the other at once; a conversation started on one is read on the
// other; a replica killed with SIGKILL leaves the other serving; a PostgreSQL restart makes both not-ready, then
// ready again by themselves. An agent on one replica and a visitor on the other talk live (LISTEN/NOTIFY).
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

  // `parley init --demo` on the database at `url` through folder `a`, which records the URL in its parley.toml;
  // folder `b` gets a copy, as a second replica's would. Returns init's JSON (api_key, demo_bot_id).
  Json init_replicas(const std::string& url, const std::string& a, const std::string& b) {
    ::setenv("PARLEY_STORE_URL", url.c_str(), 1);
    const auto init = parley(a, {"init", "--demo", "--json"});
    ::unsetenv("PARLEY_STORE_URL");
    EXPECT_EQ(init.exit_code, 0) << init.err;
    std::filesystem::create_directories(b);
    std::filesystem::copy_file(a + "/parley.toml", b + "/parley.toml", std::filesystem::copy_options::overwrite_existing);
    return Json::parse(init.out, nullptr, false);
  }

  static testing::HttpResult chat(unsigned short port, const std::string& bot, const std::string& message,
                                  const std::string& visitor_token = "") {
    testing::HttpClient client(port);
    Json body{{"message", message}};
    if (!visitor_token.empty()) body["visitor_token"] = visitor_token;
    return client.request("POST", "/api/v1/bots/" + bot + "/chat", body.dump(), {{"Content-Type", "application/json"}});
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
  const Json ids = init_replicas(url, a, b);
  ASSERT_TRUE(ids.is_object());
  ::setenv("PARLEY_STORE_URL", url.c_str(), 1);
  const auto again = parley(dir_.file("c"), {"init"});
  ::unsetenv("PARLEY_STORE_URL");
  EXPECT_NE(again.exit_code, 0);
  EXPECT_THAT(again.err, HasSubstr("already initialised"));
  const std::string bot = ids["demo_bot_id"], key = ids["api_key"];
  std::stringstream config;
  config << std::ifstream(a + "/parley.toml").rdbuf();
  ASSERT_THAT(config.str(), HasSubstr("[store]"));
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

TEST_F(ReplicasTest, AnAgentOnOneReplicaAndAVisitorOnAnotherTalkLive) {
  const std::string a = dir_.file("a"), b = dir_.file("b");
  const Json ids = init_replicas(testing::PostgresServer::instance().create_database(), a, b);
  ASSERT_TRUE(ids.is_object());
  const std::string bot = ids["demo_bot_id"], key = ids["api_key"];
  std::unique_ptr<testing::BackgroundProcess> server_a, server_b;
  const unsigned short port_a = serve(a, server_a);
  const unsigned short port_b = serve(b, server_b);
  ASSERT_NE(port_a, 0);
  ASSERT_NE(port_b, 0);
  const std::map<std::string, std::string> agent_headers = {{"Authorization", "Bearer " + key},
                                                            {"Content-Type", "application/json"}};

  // The agent watches the inbox on A; a visitor on B asks the bot, then for a person: A's inbox shows it live.
  testing::EventStreamReader inbox(port_a, "/api/v1/inbox/events", agent_headers);
  ASSERT_TRUE(inbox.wait_for("event: inbox", 5s));
  const auto first = chat(port_b, bot, "How much is shipping?");
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string token = first.json()["visitor_token"], conversation = first.json()["conversation_id"];
  const auto asked = chat(port_b, bot, "Can I talk to a human please?", token);
  ASSERT_EQ(asked.status, 200) << asked.body;
  ASSERT_EQ(asked.json()["status"], "waiting_for_agent");
  EXPECT_TRUE(inbox.wait_for("event: handoff_requested", 5s)) << inbox.received();
  EXPECT_TRUE(inbox.wait_for(conversation, 1s));

  // The visitor's widget listens on B; the agent claims and replies on A: the visitor sees both live.
  testing::EventStreamReader widget(port_b, "/api/v1/widget/" + bot + "/events?visitor_token=" + token);
  ASSERT_TRUE(widget.wait_for("event: status", 5s));
  const std::string conversation_path = "/api/v1/bots/" + bot + "/conversations/" + conversation;
  testing::HttpClient agent(port_a);
  const auto claimed = agent.request("POST", conversation_path + "/claim", R"({"agent_name":"Sam"})", agent_headers);
  ASSERT_EQ(claimed.status, 200) << claimed.body;
  EXPECT_TRUE(widget.wait_for("Sam joined the conversation.", 5s)) << widget.received();
  const auto replied = agent.request("POST", conversation_path + "/reply",
                                     Json{{"text", "Hi, Sam here. Shipping is free over $75."}}.dump(), agent_headers);
  ASSERT_EQ(replied.status, 200) << replied.body;
  EXPECT_TRUE(widget.wait_for("Hi, Sam here. Shipping is free over $75.", 5s)) << widget.received();

  // The visitor answers on B; the agent on A reads it live. The bot stays silent meanwhile.
  const auto during = chat(port_b, bot, "Thanks! And returns?", token);
  ASSERT_EQ(during.status, 200) << during.body;
  EXPECT_EQ(during.json()["mode"], "agent");
  EXPECT_TRUE(inbox.wait_for("Thanks! And returns?", 5s)) << inbox.received();

  // A reply longer than a NOTIFY payload may be (8,000 bytes) crosses whole.
  std::string long_reply;
  for (int i = 0; i < 3000; ++i) long_reply += "\u20ac";  // 9,000 bytes
  const auto long_sent = agent.request("POST", conversation_path + "/reply", Json{{"text", long_reply}}.dump(), agent_headers);
  ASSERT_EQ(long_sent.status, 200) << long_sent.body;
  EXPECT_TRUE(widget.wait_for(long_reply, 5s));

  // Each event arrived once: a replica does not hear its own broadcasts back.
  const std::string& seen = widget.received();
  std::size_t copies = 0;
  for (auto at = seen.find("Hi, Sam here."); at != std::string::npos; at = seen.find("Hi, Sam here.", at + 1)) ++copies;
  EXPECT_EQ(copies, 1u);
  EXPECT_EQ(server_a->stop(SIGTERM), 0);
  EXPECT_EQ(server_b->stop(SIGTERM), 0);
}

}  // namespace
}  // namespace parley
