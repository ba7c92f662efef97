// Operating the real `parley` binary on the PostgreSQL store (a real server the test starts itself,
// support/postgres.h): the backup docs/OPERATIONS.md prescribes there — `pg_dump --format=custom` while the server
// serves and writes, `pg_restore` into another database, a data folder pointed at it — keeps every acknowledged turn
// and the bot answers the same; `parley backup create` refuses with that advice; `parley doctor` says the database is
// not its to check; and a turn's request id is stored with its webhook deliveries (deliveries.request_id) and sent
// with them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/chat_load.h"
#include "support/config_file.h"
#include "support/http_client.h"
#include "support/postgres.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/webhook_receiver.h"

namespace parley {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Json = nlohmann::json;
using testing::run_process;

constexpr const char* kQuestion = "How much does a hydraulic brake bleed cost?";

class PostgresOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = postgres().create_database();
    // `parley init` with PARLEY_STORE_URL initialises the database and records it in parley.toml.
    ::setenv("PARLEY_STORE_URL", url_.c_str(), 1);
    const auto init = parley(data(), {"init", "--demo", "--json"});
    ::unsetenv("PARLEY_STORE_URL");
    ASSERT_EQ(init.exit_code, 0) << init.err;
    const Json ids = Json::parse(init.out);
    bot_ = ids["demo_bot_id"];
    key_ = ids["api_key"];
    // Load from one address: the per-address and per-bot limits would refuse most of it.
    for (const char* limit : {"per_ip_rate", "per_bot_rate", "per_visitor_rate"}) testing::set_config(data(), "limits", limit, "0");
  }

  static testing::PostgresServer& postgres() { return testing::PostgresServer::instance(); }

  static testing::ProcessResult parley(const std::string& data_dir, std::vector<std::string> args) {
    args.insert(args.begin(), {PARLEY_BINARY, "--data", data_dir});
    return run_process(args);
  }
  std::string data() const { return dir_.file("data"); }

  // One psql statement on the database `url` names; its rows, one a line, columns separated by '|'.
  static testing::ProcessResult sql(const std::string& url, const std::string& statement) {
    return run_process({postgres().bin("psql"), url, "-v", "ON_ERROR_STOP=1", "-At", "-c", statement});
  }
  static std::set<std::int64_t> stored_answers(const std::string& url) {
    std::set<std::int64_t> ids;
    std::istringstream lines(sql(url, "SELECT id FROM messages WHERE role = 'assistant'").out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) ids.insert(std::stoll(line));
    }
    return ids;
  }
  // The schema the test server gave this store (its URL sets search_path to it).
  std::string schema() const { return url_.substr(url_.rfind("%3D") + 3); }

  testing::TempDir dir_;
  std::string url_;
  std::string bot_;
  std::string key_;
};

TEST_F(PostgresOpsTest, BackupCreateRefusesAndNamesPgDump) {
  const std::string file = dir_.file("backup.zip");
  const auto created = parley(data(), {"backup", "create", file});
  EXPECT_EQ(created.exit_code, 1);
  EXPECT_THAT(created.err, HasSubstr("PostgreSQL"));
  EXPECT_THAT(created.err, HasSubstr("pg_dump --format=custom"));
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_FALSE(std::filesystem::exists(file + ".partial"));
}

TEST_F(PostgresOpsTest, DoctorLeavesTheDatabaseToPostgresAndChecksTheRest) {
  testing::set_config(data(), "server", "port", std::to_string(testing::free_port()));
  const auto doctor = parley(data(), {"doctor"});
  EXPECT_EQ(doctor.exit_code, 0) << doctor.out;  // a warning, not a failure
  EXPECT_THAT(doctor.out, HasSubstr("warn  database: PostgreSQL ([store] url): not checked here"));
  EXPECT_THAT(doctor.out, HasSubstr("pg_amcheck"));
  EXPECT_THAT(doctor.out, HasSubstr("ok    configuration"));
  EXPECT_THAT(doctor.out, HasSubstr("disk space"));
  EXPECT_FALSE(std::filesystem::exists(data() + "/parley.db"));  // doctor did not create an SQLite database instead
  const Json json = Json::parse(parley(data(), {"doctor", "--json"}).out);
  EXPECT_EQ(json["ok"], true);
  bool database_warned = false;
  for (const auto& finding : json["findings"]) {
    if (finding["check"] == "database") database_warned = finding["verdict"] == "warn";
  }
  EXPECT_TRUE(database_warned) << json.dump(2);
}

// pg_dump while the server answers and writes, pg_restore into a new database, a second data folder pointed at it:
// every turn acknowledged before the dump started is there, the webhook deliveries keep their request ids, and the
// restored bot answers the same.
TEST_F(PostgresOpsTest, PgDumpWhileServingRestoresEveryAcknowledgedTurnAndTheRequestIds) {
  testing::WebhookReceiver receiver;
  testing::allow_private_addresses(data());
  std::unique_ptr<testing::BackgroundProcess> server;
  const unsigned short port = testing::serve_parley(server, PARLEY_BINARY, data());
  ASSERT_NE(port, 0);
  testing::HttpClient client(port);
  const auto hook = client.request("POST", "/api/v1/webhooks",
                                   Json{{"url", receiver.url("turns")}, {"events", {"message.created"}}}.dump(),
                                   {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}});
  ASSERT_EQ(hook.status, 201) << hook.body;
  const auto turn = client.request("POST", "/api/v1/bots/" + bot_ + "/chat", Json{{"message", kQuestion}}.dump(),
                                   {{"Content-Type", "application/json"}, {"X-Request-Id", "turn-pg-4711"}});
  ASSERT_EQ(turn.status, 200) << turn.body;
  EXPECT_EQ(turn.headers.at("X-Request-Id"), "turn-pg-4711");
  // The turn's two message.created deliveries are stored with its request id, and the dispatcher, which reads them
  // back from PostgreSQL, sends it.
  ASSERT_TRUE(receiver.wait_for(2, 20s));
  for (const auto& received : receiver.received()) EXPECT_EQ(received.headers.at("x-request-id"), "turn-pg-4711");
  EXPECT_EQ(sql(url_, "SELECT count(*) FROM deliveries WHERE request_id = 'turn-pg-4711'").out, "2\n");

  testing::ChatLoad load;
  load.start(port, bot_, 3, Json{{"message", kQuestion}}.dump());
  while (load.count() < 30) std::this_thread::sleep_for(10ms);
  const std::vector<std::int64_t> before = load.acknowledged();
  const std::string dump = dir_.file("parley.dump");
  // As docs/OPERATIONS.md says; --schema because the test server keeps each store in a schema of its own.
  const auto dumped = run_process({postgres().bin("pg_dump"), "--format=custom", "--schema=" + schema(), "--file=" + dump, url_});
  const auto during = load.count();
  std::this_thread::sleep_for(200ms);
  const auto all = load.finish();
  ASSERT_EQ(dumped.exit_code, 0) << dumped.err;
  EXPECT_GT(all.size(), during);      // the server went on answering (and writing) after the dump
  EXPECT_EQ(load.refused(), 0);
  EXPECT_EQ(server->stop(SIGTERM), 0);

  // Restored into a database of its own, and a data folder with the same parley.toml but that database's URL.
  ASSERT_EQ(sql(postgres().url("parley_tests"), "CREATE DATABASE parley_restored").exit_code, 0);
  const std::string restored_url = postgres().url("parley_restored") + "&options=-csearch_path%3D" + schema();
  const auto restored = run_process({postgres().bin("pg_restore"), "--no-owner", "--dbname=" + postgres().url("parley_restored"), dump});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  const std::string elsewhere = dir_.file("restored");
  std::filesystem::create_directories(elsewhere);
  std::filesystem::copy_file(data() + "/parley.toml", elsewhere + "/parley.toml");
  testing::set_config(elsewhere, "store", "url", Json(restored_url).dump());

  const auto restored_ids = stored_answers(restored_url);
  ASSERT_FALSE(restored_ids.empty());
  for (const auto id : before) ASSERT_TRUE(restored_ids.contains(id)) << "message " << id << " acknowledged before the dump is missing";
  // Consistent: one snapshot, so every live row up to the newest restored one is there too.
  for (const auto id : stored_answers(url_)) {
    if (id <= *restored_ids.rbegin()) {
      EXPECT_TRUE(restored_ids.contains(id)) << id;
    }
  }
  EXPECT_EQ(sql(restored_url, "SELECT count(*) FROM deliveries WHERE request_id = 'turn-pg-4711'").out, "2\n");

  // The restored bot answers the same, through its own search index built from the restored rows.
  const auto original = parley(data(), {"ask", "--bot", bot_, "--json", kQuestion});
  const auto copy = parley(elsewhere, {"ask", "--bot", bot_, "--json", kQuestion});
  ASSERT_EQ(original.exit_code, 0) << original.err;
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  EXPECT_THAT(Json::parse(copy.out)["answer"].get<std::string>(), HasSubstr("$45"));
  EXPECT_EQ(Json::parse(copy.out)["answer"], Json::parse(original.out)["answer"]);
  EXPECT_EQ(Json::parse(copy.out)["sources"], Json::parse(original.out)["sources"]);
}

}  // namespace
}  // namespace parley
