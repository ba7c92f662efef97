// `parley serve` as a user runs it, with a webhook receiver and an SMTP sink on loopback: a server stopped in the
// middle of webhook deliveries and started again delivers every event (at least once, each with a valid
// signature); new leads are emailed; `parley leads export` prints what was captured.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

#include "common/clock.h"
#include "notify/signature.h"
#include "support/config_file.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/smtp_sink.h"
#include "support/temp_dir.h"
#include "support/webhook_receiver.h"

namespace parley {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Json = nlohmann::json;

class LeadsServeTest : public ::testing::Test {
 protected:
  testing::ProcessResult parley(std::vector<std::string> args) {
    args.insert(args.begin(), {PARLEY_BINARY, "--data", data()});
    return testing::run_process(args);
  }
  std::string data() const { return dir_.file("data"); }

  // Starts `parley serve` and returns its port (0 when it did not start).
  unsigned short serve(std::unique_ptr<testing::BackgroundProcess>& server) {
    server = std::make_unique<testing::BackgroundProcess>(
        std::vector<std::string>{PARLEY_BINARY, "--data", data(), "serve", "--port", "0"});
    const std::string banner = server->wait_for_output("/healthz", 30s);
    std::smatch match;
    if (!std::regex_search(banner, match, std::regex("listening on http://127\\.0\\.0\\.1:(\\d+)"))) return 0;
    return static_cast<unsigned short>(std::stoi(match[1]));
  }

  testing::TempDir dir_;
};

TEST_F(LeadsServeTest, RestartMidDeliveryLosesNoEventAndLeadsAreEmailedAndExported) {
  testing::WebhookReceiver receiver(64);
  testing::SmtpSink sink;
  std::atomic<bool> slow{true};
  receiver.respond([&](const testing::ReceivedHook&, int) { return testing::HookAnswer{200, slow ? 30s : 0ms, ""}; });

  const auto init = parley({"init", "--json"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string key = Json::parse(init.out)["api_key"];
  testing::allow_private_addresses(data());
  std::ofstream(data() + "/parley.toml", std::ios::app) << "\n[smtp]\nurl = \"" << sink.url() << "\"\nfrom = \"parley@example.com\"\n";

  std::unique_ptr<testing::BackgroundProcess> server;
  unsigned short port = serve(server);
  ASSERT_NE(port, 0);
  std::map<std::string, std::string> admin = {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
  std::string bot, secret;
  {
    testing::HttpClient client(port);
    const auto created = client.request("POST", "/api/v1/bots",
                                        Json{{"name", "Shop"},
                                             {"settings", {{"leads", {{"enabled", true}}},
                                                           {"notifications", {{"emails", {"sales@example.com"}}}}}}}
                                            .dump(),
                                        admin);
    ASSERT_EQ(created.status, 201) << created.body;
    bot = created.json()["id"];
    const auto hook = client.request("POST", "/api/v1/webhooks",
                                     Json{{"url", receiver.url("restart")},
                                          {"events", {"conversation.handoff_requested", "lead.created"}}}
                                         .dump(),
                                     admin);
    ASSERT_EQ(hook.status, 201) << hook.body;
    secret = hook.json()["secret"];
    // 30 visitors press "talk to a person": 30 events.
    for (int i = 0; i < 30; ++i) {
      ASSERT_EQ(client.request("POST", "/api/v1/widget/" + bot + "/handoff", "{}", {{"Content-Type", "application/json"}}).status, 200);
    }
    const auto lead = client.request("POST", "/api/v1/bots/" + bot + "/leads",
                                     Json{{"fields", {{"name", "Jane"}, {"email", "jane@example.com"}, {"phone", "+1 650 253 0000"}}}}.dump(),
                                     {{"Content-Type", "application/json"}});
    ASSERT_EQ(lead.status, 201) << lead.body;
  }
  // The receiver holds every request open: all 31 are in flight when the server is stopped.
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (receiver.received_count() < 31 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
  ASSERT_EQ(receiver.received_count(), 31u);
  EXPECT_EQ(server->stop(SIGTERM), 0);
  slow = false;

  port = serve(server);
  ASSERT_NE(port, 0);
  // Every event arrives again (their first attempts never completed), signed.
  ASSERT_TRUE(receiver.wait_for(62, 30s)) << receiver.received_count();
  std::map<std::string, int> seen;
  for (const auto& hook : receiver.received()) {
    const std::int64_t timestamp = std::stoll(hook.headers.at("parley-timestamp"));
    EXPECT_TRUE(notify::verify_signature(secret, timestamp, hook.body, hook.headers.at("parley-signature")));
    ++seen[Json::parse(hook.body)["id"].get<std::string>()];
  }
  EXPECT_EQ(seen.size(), 31u);
  for (const auto& [id, count] : seen) EXPECT_GE(count, 2) << id;
  // The log says delivered for every one.
  testing::HttpClient client(port);
  const auto hooks = client.request("GET", "/api/v1/webhooks", "", admin).json()["webhooks"];
  ASSERT_EQ(hooks.size(), 1u);
  Json deliveries;
  for (int i = 0; i < 200; ++i) {
    deliveries = client.request("GET", "/api/v1/webhooks/" + hooks[0]["id"].get<std::string>() + "/deliveries?state=delivered&limit=500", "", admin)
                     .json()["deliveries"];
    if (deliveries.size() == 31) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(deliveries.size(), 31u);

  // The new lead and the 30 handoff requests were emailed to the bot's recipients.
  ASSERT_TRUE(sink.wait_for(31, 30s)) << sink.messages().size();
  int lead_emails = 0, handoff_emails = 0;
  for (const auto& message : sink.messages()) {
    lead_emails += message.data.find("Subject: New lead from Shop: Jane") != std::string::npos;
    handoff_emails += message.data.find("Subject: A visitor of Shop asks for a person") != std::string::npos;
    EXPECT_EQ(message.recipients, std::vector<std::string>{"<sales@example.com>"});
  }
  EXPECT_GE(lead_emails, 1);  // at least once (a stop in the middle of a send may repeat one)
  EXPECT_GE(handoff_emails, 30);
  EXPECT_EQ(server->stop(SIGTERM), 0);

  const auto csv = parley({"leads", "export", "--bot", bot});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_THAT(csv.out, ::testing::StartsWith("id,created_at,updated_at,name,email,phone,"));
  EXPECT_THAT(csv.out, HasSubstr(",Jane,jane@example.com,+16502530000,"));
  const auto json = parley({"leads", "export", "--bot", bot, "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(Json::parse(json.out).at(0)["email"], "jane@example.com");
  EXPECT_NE(parley({"leads", "export", "--bot", "bot_missing"}).exit_code, 0);
}

}  // namespace
}  // namespace parley
