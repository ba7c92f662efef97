// The dispatcher against real receivers on loopback: a webhook receiver (Parley's own HTTP server, test-owned)
// and a tiny SMTP sink; a real SQLite file. Signatures are checked the way a receiver would.
#include "notify/dispatcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "common/clock.h"
#include "notify/outbox.h"
#include "notify/signature.h"
#include "support/smtp_sink.h"
#include "support/temp_dir.h"
#include "support/webhook_receiver.h"

namespace parley::notify {
namespace {

using namespace std::chrono_literals;
using parley::testing::HookAnswer;
using parley::testing::ReceivedHook;
using ::testing::HasSubstr;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("A"));
      workspace_ = workspace.id;
      return {};
    }).ok());
    ASSERT_TRUE(write([&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(bot_, tx.create_bot("Shop", Json::object()));
      return {};
    }).ok());
  }

  Status write(const std::function<Status(store::WriteTx&)>& work) {
    return store_->write(store::Scope::workspace(workspace_), work);
  }

  store::Webhook add_webhook(const std::string& url, std::string format = "json") {
    store::Webhook webhook;
    webhook.url = url;
    webhook.events = {"lead.created", "message.created"};
    webhook.format = std::move(format);
    webhook.secret = new_webhook_secret();
    EXPECT_TRUE(write([&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(webhook, tx.create_webhook(webhook));
      return {};
    }).ok());
    return webhook;
  }

  std::vector<Event> enqueue_events(int count, const std::vector<std::string>& emails = {}) {
    std::vector<Event> events;
    EXPECT_TRUE(write([&](store::WriteTx& tx) -> Status {
      for (int i = 0; i < count; ++i) {
        events.push_back(new_event(event_type::lead_created, bot_, {{"lead", {{"name", "Visitor " + std::to_string(i)}}}}));
        PARLEY_TRY(enqueue(tx, events.back(), emails));
      }
      return {};
    }).ok());
    return events;
  }

  std::vector<store::Delivery> deliveries(const std::string& state = "") {
    std::vector<store::Delivery> out;
    EXPECT_TRUE(store_->read(store::Scope::workspace(workspace_), [&](store::ReadTx& tx) -> Status {
      store::DeliveryFilter filter;
      filter.state = state;
      filter.limit = 100'000;
      PARLEY_ASSIGN_OR_RETURN(out, tx.deliveries(filter));
      return {};
    }).ok());
    return out;
  }

  std::vector<store::DeliveryAttempt> attempts(std::int64_t delivery_id) {
    std::vector<store::DeliveryAttempt> out;
    EXPECT_TRUE(store_->read(store::Scope::workspace(workspace_), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, tx.delivery_attempts(delivery_id));
      return {};
    }).ok());
    return out;
  }

  // Waits until no delivery is pending (or `timeout`).
  bool settle(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (deliveries("pending").empty()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  static DispatcherOptions fast_options() {
    DispatcherOptions options;
    options.allow_private_addresses = true;  // the receivers are on loopback
    options.idle_poll = 50ms;
    options.retry_base = 50ms;
    options.retry_max = 200ms;
    options.request_timeout = 2'000ms;
    return options;
  }

  // What a receiver does: recompute the signature over the exact body, with the timestamp header.
  static bool signed_correctly(const ReceivedHook& hook, const std::string& secret) {
    const auto timestamp = hook.headers.find("parley-timestamp");
    const auto signature = hook.headers.find("parley-signature");
    if (timestamp == hook.headers.end() || signature == hook.headers.end()) return false;
    const std::int64_t seconds = std::stoll(timestamp->second);
    if (std::abs(seconds - unix_millis() / 1000) > 300) return false;
    return verify_signature(secret, seconds, hook.body, signature->second);
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::string workspace_;
  store::Bot bot_;
};

TEST_F(DispatcherTest, DeliversEveryEventOnceSignedToALoopbackReceiver) {
  parley::testing::WebhookReceiver receiver;
  const auto webhook = add_webhook(receiver.url("json"));
  const auto events = enqueue_events(60);
  Dispatcher dispatcher(*store_, fast_options());
  dispatcher.start();
  ASSERT_TRUE(receiver.wait_for(60, 20s));
  ASSERT_TRUE(settle(10s));
  dispatcher.stop();
  std::set<std::string> expected;
  for (const auto& event : events) expected.insert(event.id);
  std::set<std::string> seen;
  for (const auto& hook : receiver.received()) {
    EXPECT_TRUE(signed_correctly(hook, webhook.secret));
    const Json body = Json::parse(hook.body);
    EXPECT_EQ(body["type"], "lead.created");
    EXPECT_EQ(hook.headers.at("parley-event-id"), body["id"]);
    EXPECT_EQ(hook.headers.at("content-type"), "application/json");
    seen.insert(body["id"].get<std::string>());
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(receiver.received_count(), 60u);  // no duplicates without a restart
  for (const auto& delivery : deliveries()) {
    EXPECT_EQ(delivery.state, "delivered");
    EXPECT_EQ(delivery.attempts, 1);
    EXPECT_EQ(delivery.last_status, 200);
    EXPECT_TRUE(delivery.delivered_at.has_value());
  }
}

// Webhook URLs come from workspace admins: by default a delivery never reaches this machine or a private network.
TEST_F(DispatcherTest, AReceiverOnAPrivateAddressIsRefusedUnlessTheOperatorAllowsIt) {
  parley::testing::WebhookReceiver receiver;
  add_webhook(receiver.url("internal"));
  enqueue_events(1);
  DispatcherOptions options = fast_options();
  options.allow_private_addresses = false;
  {
    Dispatcher dispatcher(*store_, options);
    dispatcher.start();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline &&
           (deliveries().empty() || deliveries()[0].last_error.empty())) {
      std::this_thread::sleep_for(20ms);
    }
    dispatcher.stop();
  }
  const auto refused = deliveries();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].state, "delivered");
  EXPECT_THAT(refused[0].last_error, HasSubstr("not a public internet address"));
  EXPECT_EQ(receiver.received_count(), 0u);
  // Allowed by the operator, the retry goes through.
  Dispatcher dispatcher(*store_, fast_options());
  dispatcher.start();
  ASSERT_TRUE(receiver.wait_for(1, 10s));
  dispatcher.stop();
}

TEST_F(DispatcherTest, RetriesA500WithBackoffAndLogsEveryAttempt) {
  parley::testing::WebhookReceiver receiver;
  receiver.respond([](const ReceivedHook&, int nth) { return HookAnswer{nth <= 2 ? 500 : 200}; });
  const auto webhook = add_webhook(receiver.url("flaky"));
  enqueue_events(1);
  Dispatcher dispatcher(*store_, fast_options());
  dispatcher.start();
  ASSERT_TRUE(receiver.wait_for(1, 10s));
  ASSERT_TRUE(settle(5s));
  dispatcher.stop();
  const auto rows = deliveries();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, "delivered");
  EXPECT_EQ(rows[0].attempts, 3);
  const auto log = attempts(rows[0].id);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].status, 500);
  EXPECT_EQ(log[0].error, "HTTP 500");
  EXPECT_EQ(log[1].status, 500);
  EXPECT_EQ(log[2].status, 200);
  // Backoff: the second retry waited at least the doubled base (100 ms) after the first.
  EXPECT_GE(log[2].attempted_at - log[1].attempted_at, 100);
  EXPECT_TRUE(signed_correctly(receiver.received().at(0), webhook.secret));
}

TEST_F(DispatcherTest, HangingEndpointsTimeOutAndOffHostRedirectsAreNotFollowed) {
  parley::testing::WebhookReceiver receiver(16);
  const std::string other_host = "http://localhost:" + std::to_string(receiver.port()) + "/hook/elsewhere";
  receiver.respond([&](const ReceivedHook& hook, int) -> HookAnswer {
    if (hook.path == "/hook/hang") return {200, 10s, ""};
    if (hook.path == "/hook/away") return {302, 0ms, other_host};
    if (hook.path == "/hook/moved") return {308, 0ms, "/hook/moved/here"};
    return {200, 0ms, ""};
  });
  add_webhook(receiver.url("hang"));
  add_webhook(receiver.url("away"));
  add_webhook(receiver.url("moved"));
  enqueue_events(1);
  DispatcherOptions options = fast_options();
  options.request_timeout = 500ms;
  options.retry_base = 60'000ms;  // one attempt each within this test
  options.retry_max = 60'000ms;
  Dispatcher dispatcher(*store_, options);
  dispatcher.start();
  ASSERT_TRUE(receiver.wait_for(1, 10s));
  // Wait for all three first attempts to be logged.
  const auto until = std::chrono::steady_clock::now() + 10s;
  std::vector<store::Delivery> rows;
  while (std::chrono::steady_clock::now() < until) {
    rows = deliveries();
    int attempted = 0;
    for (const auto& row : rows) attempted += row.attempts > 0;
    if (attempted == 3) break;
    std::this_thread::sleep_for(20ms);
  }
  dispatcher.stop();
  receiver.stop();
  ASSERT_EQ(rows.size(), 3u);
  int delivered = 0;
  for (const auto& row : rows) {
    ASSERT_EQ(row.attempts, 1) << row.target;
    if (row.state == "delivered") {
      ++delivered;
      continue;
    }
    EXPECT_EQ(row.state, "pending");  // retried later
    EXPECT_GT(row.next_attempt_at, unix_millis() + 30'000);
    EXPECT_FALSE(row.last_error.empty());
    if (row.last_status == 302) {
      EXPECT_THAT(row.last_error, HasSubstr("another host"));
    } else {
      EXPECT_EQ(row.last_status, 0);  // the hanging one: timed out
    }
  }
  EXPECT_EQ(delivered, 1);  // the same-host redirect was followed
  EXPECT_EQ(receiver.received_count(), 2u);  // the hanging one (answered too late) and the moved one's new address
  EXPECT_EQ(receiver.refused_count(), 2u);   // the two redirects themselves; /hook/elsewhere was never asked
}

TEST_F(DispatcherTest, GivesUpWhenTheWindowEndsAndAReplayDeliversAgain) {
  parley::testing::WebhookReceiver receiver;
  std::atomic<bool> healthy{false};
  receiver.respond([&](const ReceivedHook&, int) { return HookAnswer{healthy ? 200 : 503}; });
  add_webhook(receiver.url("down"));
  enqueue_events(1);
  // A window that has already nearly passed: the first failure is the last.
  ASSERT_TRUE(write([&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto rows, tx.deliveries(store::DeliveryFilter{}));
    for (auto& row : rows) {
      row.expires_at = unix_millis() + 10;
      PARLEY_TRY(tx.update_delivery(row));
    }
    return {};
  }).ok());
  Dispatcher dispatcher(*store_, fast_options());
  dispatcher.start();
  ASSERT_TRUE(settle(5s));
  auto rows = deliveries();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, "failed");
  EXPECT_EQ(rows[0].last_status, 503);
  // The operator replays it once the receiver is back.
  healthy = true;
  ASSERT_TRUE(write([&](store::WriteTx& tx) -> Status {
    rows[0].state = "pending";
    rows[0].next_attempt_at = unix_millis();
    rows[0].expires_at = unix_millis() + 86'400'000;
    return tx.update_delivery(rows[0]);
  }).ok());
  dispatcher.wake();
  ASSERT_TRUE(receiver.wait_for(1, 5s));
  ASSERT_TRUE(settle(5s));
  dispatcher.stop();
  EXPECT_EQ(deliveries()[0].state, "delivered");
  EXPECT_EQ(attempts(rows[0].id).size(), 2u);
}

TEST_F(DispatcherTest, NothingIsLostAcrossRestartsAndCrashes) {
  parley::testing::WebhookReceiver receiver(16);
  receiver.respond([](const ReceivedHook&, int) { return HookAnswer{200, 5ms, ""}; });
  const auto webhook = add_webhook(receiver.url("restart"));
  const auto events = enqueue_events(300);
  {
    // A "crashed" process: it took 40 deliveries under a short lease and never finished them.
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto taken, tx.claim_deliveries("webhook", unix_millis(), "crashed", unix_millis() + 300, 40));
      EXPECT_EQ(taken.size(), 40u);
      return {};
    }).ok());
  }
  DispatcherOptions options = fast_options();
  options.concurrency = 8;
  options.batch_size = 16;
  {
    // A process that stops in the middle (SIGTERM): what it took and did not finish is given back.
    Dispatcher first(*store_, options);
    first.start();
    receiver.wait_for(50, 10s);
    first.stop();
  }
  const std::size_t before_restart = receiver.received_count();
  EXPECT_LT(before_restart, 300u);
  Dispatcher second(*store_, options);
  second.start();
  ASSERT_TRUE(settle(30s));
  second.stop();
  std::set<std::string> expected;
  for (const auto& event : events) expected.insert(event.id);
  std::set<std::string> seen;
  for (const auto& hook : receiver.received()) {
    EXPECT_TRUE(signed_correctly(hook, webhook.secret));
    seen.insert(Json::parse(hook.body)["id"].get<std::string>());
  }
  EXPECT_EQ(seen, expected);  // every event, at least once
  EXPECT_GE(receiver.received_count(), 300u);
  EXPECT_TRUE(deliveries("pending").empty());
  EXPECT_EQ(deliveries("delivered").size(), 300u);
}

TEST_F(DispatcherTest, EmailsGoOverSmtpAndARefusalIsFinal) {
  parley::testing::SmtpSink sink;
  enqueue_events(2, {"ops@example.com", "sales@example.com"});
  DispatcherOptions options = fast_options();
  options.smtp.url = sink.url();
  options.smtp.from = "parley@example.com";
  {
    Dispatcher dispatcher(*store_, options);
    dispatcher.start();
    ASSERT_TRUE(sink.wait_for(2, 10s));
    ASSERT_TRUE(settle(5s));
    dispatcher.stop();
  }
  const auto messages = sink.messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].from, "<parley@example.com>");
  EXPECT_EQ(messages[0].recipients, (std::vector<std::string>{"<ops@example.com>", "<sales@example.com>"}));
  EXPECT_THAT(messages[0].data, HasSubstr("Subject: New lead from Shop: Visitor "));
  EXPECT_THAT(messages[0].data, HasSubstr("To: ops@example.com, sales@example.com"));
  for (const auto& delivery : deliveries()) EXPECT_EQ(delivery.state, "delivered");

  // A server that refuses the recipients: failed at once, with the server's answer in the log.
  sink.refuse_recipients(true);
  enqueue_events(1, {"nobody@example.com"});
  Dispatcher dispatcher(*store_, options);
  dispatcher.start();
  ASSERT_TRUE(settle(10s));
  dispatcher.stop();
  const auto failed = deliveries("failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].attempts, 1);
  EXPECT_THAT(failed[0].last_error, HasSubstr("refused"));
}

TEST_F(DispatcherTest, WithoutSmtpEmailsFailWithAClearReasonAndWebhooksStillGo) {
  parley::testing::WebhookReceiver receiver;
  add_webhook(receiver.url("json"));
  enqueue_events(1, {"ops@example.com"});
  Dispatcher dispatcher(*store_, fast_options());
  dispatcher.start();
  ASSERT_TRUE(receiver.wait_for(1, 10s));
  ASSERT_TRUE(settle(5s));
  dispatcher.stop();
  const auto failed = deliveries("failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].channel, "email");
  EXPECT_THAT(failed[0].last_error, HasSubstr("SMTP is not configured"));
  EXPECT_EQ(deliveries("delivered").size(), 1u);
}

}  // namespace
}  // namespace parley::notify
