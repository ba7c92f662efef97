// The audit log beyond bots and sources, over the real API: sign-ins (successful and failed, with the client's
// address, never the password), crawl and ingestion jobs started, jobs paused and cancelled, crawl settings
// changed. Each entry sits in its workspace's hash chain. (Accounts and API keys changed from the command line:
// tests/web/web_cli_test.cpp.)
#include "auth/passwords.h"
#include "security/server_fixture.h"

namespace parley::security_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class AuditCoverage : public ServerFixture {
 protected:
  void SetUp() override { start(); }

  nlohmann::json log(const std::string& key) {
    const auto result = client_->request("GET", "/api/v1/audit", "", auth(key));
    EXPECT_EQ(result.status, 200) << result.body;
    const auto json = result.json();
    EXPECT_TRUE(json["chain"]["valid"].get<bool>()) << result.body;
    return json["entries"];
  }
  static std::vector<std::string> actions(const nlohmann::json& entries) {
    std::vector<std::string> out;
    for (const auto& entry : entries) out.push_back(entry["action"]);
    return out;
  }
};

TEST_F(AuditCoverage, SignInsSucceededAndFailedAreRecordedWithoutThePassword) {
  std::string user_id;
  ASSERT_TRUE(store_->write(store::Scope::workspace(workspace_a_), [&](store::WriteTx& tx) -> Status {
    store::User user;
    user.workspace_id = workspace_a_;
    user.email = "agent@example.com";
    user.role = store::Role::agent;
    PARLEY_ASSIGN_OR_RETURN(user.password_hash, auth::hash_password("correct horse battery"));
    PARLEY_ASSIGN_OR_RETURN(auto stored, tx.create_user(user));
    user_id = stored.id;
    return {};
  }).ok());
  const auto login = [&](const std::string& email, const std::string& password) {
    return client_->request("POST", "/api/v1/auth/login", nlohmann::json{{"email", email}, {"password", password}}.dump(),
                            {{"Content-Type", "application/json"}});
  };
  EXPECT_EQ(login("agent@example.com", "wrong guess 123").status, 401);
  EXPECT_EQ(login("agent@example.com", "correct horse battery").status, 200);
  EXPECT_EQ(login("nobody@example.com", "wrong guess 456").status, 401);  // no account: no workspace to log to

  const auto entries = log(key_a_);
  EXPECT_THAT(actions(entries), ElementsAre("user.sign_in_failed", "user.sign_in"));
  EXPECT_EQ(entries[0]["actor"], "anonymous");
  EXPECT_EQ(entries[0]["target"], user_id);
  EXPECT_EQ(entries[0]["after"]["address"], "127.0.0.1");
  EXPECT_EQ(entries[1]["actor"], "user:" + user_id);
  const std::string dumped = entries.dump();
  EXPECT_THAT(dumped, Not(HasSubstr("wrong guess")));
  EXPECT_THAT(dumped, Not(HasSubstr("correct horse")));
  EXPECT_THAT(dumped, Not(HasSubstr("nobody@example.com")));
  EXPECT_TRUE(log(key_b_).empty());
}

TEST_F(AuditCoverage, JobsStartedControlledAndCrawlSettingsChangedAreRecorded) {
  const std::string bot = create_bot(key_a_, "Support");
  // No job runner in this process: the jobs stay queued, so they can be paused and cancelled at once.
  const auto crawl = client_->request("POST", "/api/v1/bots/" + bot + "/sources/crawl",
                                      nlohmann::json{{"url", "https://shop.example/"}, {"max_pages", 20}}.dump(), auth(key_a_, true));
  ASSERT_EQ(crawl.status, 202) << crawl.body;
  const std::string source_id = crawl.json()["source"]["id"];
  const std::string crawl_job = crawl.json()["job"]["id"];
  const auto jobs = "/api/v1/bots/" + bot + "/jobs/";
  ASSERT_EQ(client_->request("POST", jobs + crawl_job + "/pause", "", auth(key_a_)).status, 200);
  ASSERT_EQ(client_->request("POST", jobs + crawl_job + "/cancel", "", auth(key_a_)).status, 200);
  ASSERT_EQ(client_->request("PATCH", "/api/v1/bots/" + bot + "/sources/" + source_id,
                             nlohmann::json{{"max_pages", 5}}.dump(), auth(key_a_, true)).status, 200);
  auto headers = auth(key_a_);
  headers["Content-Type"] = "text/markdown";
  const auto ingest = client_->request("POST", "/api/v1/bots/" + bot + "/sources?name=faq.md&async=1", "# FAQ\n\nYes.\n", headers);
  ASSERT_EQ(ingest.status, 202) << ingest.body;
  const std::string ingest_job = ingest.json()["job"]["id"];
  // A refused control (the job has finished) changes nothing and records nothing.
  EXPECT_EQ(client_->request("POST", jobs + crawl_job + "/resume", "", auth(key_a_)).status, 409);

  const auto entries = log(key_a_);
  EXPECT_THAT(actions(entries), ElementsAre("bot.create", "source.add", "job.start", "job.pause", "job.cancel",
                                            "source.update", "job.start"));
  EXPECT_EQ(entries[2]["target"], crawl_job);
  EXPECT_EQ(entries[2]["after"]["kind"], "crawl");
  EXPECT_EQ(entries[4]["after"]["state"], "cancelled");
  EXPECT_TRUE(entries[4]["actor"].get<std::string>().starts_with("key:"));
  EXPECT_EQ(entries[5]["target"], source_id);
  EXPECT_NE(entries[5]["before"], entries[5]["after"]);
  EXPECT_THAT(entries[5]["after"].dump(), HasSubstr("5"));
  EXPECT_EQ(entries[6]["target"], ingest_job);
  EXPECT_EQ(entries[6]["after"]["kind"], "ingest");
  EXPECT_TRUE(log(key_b_).empty());
}

}  // namespace
}  // namespace parley::security_test
