// Notifications without the network: signatures, email addresses and messages, the Slack format, the retry
// schedule, and the outbox writing deliveries in the caller's transaction (a real SQLite file).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include "notify/dispatcher.h"
#include "notify/email.h"
#include "notify/outbox.h"
#include "notify/signature.h"
#include "notify/slack.h"
#include "support/temp_dir.h"

namespace parley::notify {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Signature, MatchesAnIndependentHmacSha256) {
  // Python: hmac.new(b"whsec_test", b'1767170000.{"a":1}', hashlib.sha256).hexdigest()
  EXPECT_EQ(sign_payload("whsec_test", 1767170000, "{\"a\":1}"),
            "v1=7c2901d7fe240880886deeb11b1c686c8d91496d886477d78967f6cae50773d7");
}

TEST(Signature, VerifiesOnlyTheExactBytesTimestampAndSecret) {
  const std::string signature = sign_payload("s3cret", 100, "body");
  EXPECT_TRUE(verify_signature("s3cret", 100, "body", signature));
  EXPECT_FALSE(verify_signature("s3cret", 101, "body", signature));
  EXPECT_FALSE(verify_signature("s3cret", 100, "body ", signature));
  EXPECT_FALSE(verify_signature("other", 100, "body", signature));
  EXPECT_FALSE(verify_signature("s3cret", 100, "body", "v1=00"));
  const std::string a = new_webhook_secret();
  EXPECT_THAT(a, ::testing::StartsWith("whsec_"));
  EXPECT_NE(a, new_webhook_secret());
}

TEST(Email, NormalisesGoodAddresses) {
  EXPECT_EQ(*normalize_email("  Jane.Doe+shop@Example.COM "), "Jane.Doe+shop@example.com");
  EXPECT_EQ(*normalize_email("o'brien@mail.example.ie"), "o'brien@mail.example.ie");
  EXPECT_EQ(*normalize_email("jürgen@example.de"), "jürgen@example.de");
}

TEST(Email, RefusesBadAddressesWithAReason) {
  for (const char* bad : {"", "plainaddress", "@example.com", "jane@", "jane@example", "jane@@example.com",
                          "jane doe@example.com", "jane@exa mple.com", ".jane@example.com", "jane..doe@example.com",
                          "<script>@example.com", "jane@-example.com", "jane@example.c", "jane@example.123",
                          "\"jane\"@example.com"}) {
    const auto result = normalize_email(bad);
    EXPECT_FALSE(result.ok()) << bad;
    if (!result.ok()) {
      EXPECT_THAT(result.error().message, HasSubstr("email address is not valid")) << bad;
    }
  }
  EXPECT_FALSE(normalize_email(std::string(250, 'a') + "@example.com").ok());
  EXPECT_FALSE(normalize_email("ja\xff" "ne@example.com").ok());
}

TEST(Email, NotificationSettingsAreChecked) {
  EXPECT_TRUE(validate_notification_settings({{"emails", {"ops@example.com", "sales@example.com"}}}).ok());
  EXPECT_FALSE(validate_notification_settings({{"emails", {"not an address"}}}).ok());
  EXPECT_FALSE(validate_notification_settings({{"emails", "ops@example.com"}}).ok());
  EXPECT_FALSE(validate_notification_settings({{"cc", Json::array()}}).ok());
  Json many = Json::array();
  for (int i = 0; i < 21; ++i) many.push_back("a" + std::to_string(i) + "@example.com");
  EXPECT_FALSE(validate_notification_settings({{"emails", many}}).ok());
  const Json settings = {{"notifications", {{"emails", {"Ops@Example.com", 7, "bad"}}}}};
  EXPECT_EQ(notification_emails(settings), std::vector<std::string>{"Ops@example.com"});
}

TEST(Email, ComposedMessageCannotBeGivenExtraHeaders) {
  const std::string message = compose_email("parley@example.com", {"ops@example.com"},
                                            "New lead: Eve\r\nBcc: victim@example.com", "Hello\nWorld ünïcode",
                                            "1.evt@parley", 1767170000000);
  const std::string headers = message.substr(0, message.find("\r\n\r\n"));
  EXPECT_THAT(headers, Not(HasSubstr("\r\nBcc:")));
  EXPECT_THAT(headers, HasSubstr("Subject: New lead: Eve  Bcc: victim@example.com"));
  EXPECT_THAT(headers, HasSubstr("To: ops@example.com"));
  EXPECT_THAT(headers, HasSubstr("Date: Wed, 31 Dec 2025 08:33:20 +0000"));
  // The body is base64 of the text with CR LF line ends.
  const std::string body = message.substr(message.find("\r\n\r\n") + 4);
  std::string encoded;
  for (char c : body) {
    if (c != '\r' && c != '\n') encoded += c;
  }
  std::string decoded(encoded.size(), '\0');
  std::size_t length = 0;
  ASSERT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), encoded.c_str(),
                              encoded.size(), nullptr, &length, nullptr, sodium_base64_VARIANT_ORIGINAL),
            0);
  decoded.resize(length);
  EXPECT_EQ(decoded, "Hello\r\nWorld ünïcode");
  // A non-ASCII subject is an RFC 2047 encoded word.
  EXPECT_THAT(compose_email("a@example.com", {"b@example.com"}, "Neuer Lead: Jürgen", "x", "id", 0),
              HasSubstr("Subject: =?UTF-8?B?"));
}

store::Bot test_bot() {
  store::Bot bot;
  bot.id = "bot_1";
  bot.workspace_id = "ws_1";
  bot.name = "Shop <b>";
  return bot;
}

TEST(Email, EventsThatAreEmailed) {
  const auto lead = new_event(event_type::lead_created, test_bot(),
                              {{"lead", {{"name", "Eve"}, {"email", "eve@example.com"}, {"fields", {{"size", "11-50"}}}}}});
  const auto content = email_for_event(lead);
  ASSERT_TRUE(content.has_value());
  EXPECT_EQ(content->subject, "New lead from Shop <b>: Eve");
  EXPECT_THAT(content->text, HasSubstr("Email: eve@example.com"));
  EXPECT_THAT(content->text, HasSubstr("size: 11-50"));
  const auto handoff = new_event(event_type::handoff_requested, test_bot(), {{"conversation", {{"summary", "Wants a refund"}}}});
  ASSERT_TRUE(email_for_event(handoff).has_value());
  EXPECT_THAT(email_for_event(handoff)->text, HasSubstr("Wants a refund"));
  EXPECT_FALSE(email_for_event(new_event(event_type::message_created, test_bot(), Json::object())).has_value());
}

TEST(Slack, EscapesVisitorTextAndNamesTheEvent) {
  EXPECT_EQ(slack_escape("<!channel> & <http://x|y>"), "&lt;!channel&gt; &amp; &lt;http://x|y&gt;");
  const auto lead = new_event(event_type::lead_created, test_bot(),
                              {{"lead", {{"name", "<!here>"}, {"email", "eve@example.com"}}}});
  const std::string text = slack_message(lead)["text"];
  EXPECT_EQ(text, "New lead for *Shop &lt;b&gt;*: &lt;!here&gt; · eve@example.com");
  const auto message = new_event(event_type::message_created, test_bot(),
                                 {{"message", {{"role", "agent"}, {"author", "Sam"}, {"text", std::string(700, 'x')}}}});
  const std::string long_text = slack_message(message)["text"];
  EXPECT_THAT(long_text, ::testing::StartsWith("Sam in *Shop &lt;b&gt;*: xxx"));
  EXPECT_THAT(long_text, ::testing::EndsWith("…"));
  EXPECT_LT(long_text.size(), 700u);
}

TEST(Retry, DelayDoublesUpToTheCapWithBoundedJitter) {
  using std::chrono::milliseconds;
  for (int failures = 1; failures <= 40; ++failures) {
    const auto delay = retry_delay(failures, milliseconds(10'000), milliseconds(3'600'000));
    const std::int64_t base = std::min<std::int64_t>(10'000LL << std::min(failures - 1, 20), 3'600'000);
    EXPECT_GE(delay.count(), base) << failures;
    EXPECT_LE(delay.count(), base + base / 5) << failures;
  }
}

TEST(WebhookUrl, OnlyAbsoluteHttpWithoutCredentials) {
  EXPECT_TRUE(validate_webhook_url("https://hooks.example.com/parley?x=1").ok());
  EXPECT_TRUE(validate_webhook_url("http://127.0.0.1:9000/hook").ok());
  for (const char* bad : {"ftp://example.com/", "example.com/hook", "https://", "https://user:pw@example.com/",
                          "https://exa mple.com/", "javascript:alert(1)"}) {
    EXPECT_FALSE(validate_webhook_url(bad).ok()) << bad;
  }
  EXPECT_FALSE(validate_webhook_url("https://example.com/" + std::string(2100, 'a')).ok());
}

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto a, tx.create_workspace("A"));
      PARLEY_ASSIGN_OR_RETURN(auto b, tx.create_workspace("B"));
      workspace_a_ = a.id;
      workspace_b_ = b.id;
      return {};
    }).ok());
    ASSERT_TRUE(store_->write(store::Scope::workspace(workspace_a_), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(bot_, tx.create_bot("Shop", Json::object()));
      PARLEY_ASSIGN_OR_RETURN(other_bot_, tx.create_bot("Other", Json::object()));
      return {};
    }).ok());
  }

  std::string add_webhook(const std::string& workspace, std::vector<std::string> events, std::string bot_id = "",
                          std::string format = "json", bool active = true) {
    store::Webhook webhook;
    webhook.url = "http://127.0.0.1:9/hook";
    webhook.events = std::move(events);
    webhook.bot_id = std::move(bot_id);
    webhook.format = std::move(format);
    webhook.secret = new_webhook_secret();
    webhook.active = active;
    std::string id;
    EXPECT_TRUE(store_->write(store::Scope::workspace(workspace), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_webhook(webhook));
      id = created.id;
      return {};
    }).ok());
    return id;
  }

  std::vector<store::Delivery> deliveries(const std::string& workspace) {
    std::vector<store::Delivery> out;
    EXPECT_TRUE(store_->read(store::Scope::workspace(workspace), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, tx.deliveries(store::DeliveryFilter{}));
      return {};
    }).ok());
    return out;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::string workspace_a_, workspace_b_;
  store::Bot bot_, other_bot_;
};

TEST_F(OutboxTest, OneDeliveryPerMatchingWebhookAndOneEmail) {
  const std::string all = add_webhook(workspace_a_, {"lead.created", "message.created"});
  const std::string slack = add_webhook(workspace_a_, {"lead.created"}, bot_.id, "slack");
  add_webhook(workspace_a_, {"lead.created"}, other_bot_.id);          // another bot
  add_webhook(workspace_a_, {"conversation.closed"});                  // another event
  add_webhook(workspace_a_, {"lead.created"}, "", "json", false);      // inactive
  add_webhook(workspace_b_, {"lead.created"});                         // another workspace
  const Event event = new_event(event_type::lead_created, bot_, {{"lead", {{"name", "Eve"}}}});
  int added = 0;
  ASSERT_TRUE(store_->write(store::Scope::workspace(workspace_a_), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(added, enqueue(tx, event, {"ops@example.com", "sales@example.com"}));
    return {};
  }).ok());
  EXPECT_EQ(added, 3);
  const auto rows = deliveries(workspace_a_);
  ASSERT_EQ(rows.size(), 3u);
  std::map<std::string, store::Delivery> by_target;
  for (const auto& row : rows) by_target[row.channel == "email" ? "email" : row.webhook_id] = row;
  ASSERT_EQ(by_target.count(all), 1u);
  ASSERT_EQ(by_target.count(slack), 1u);
  ASSERT_EQ(by_target.count("email"), 1u);
  const Json body = Json::parse(by_target[all].payload);
  EXPECT_EQ(body["id"], event.id);
  EXPECT_EQ(body["type"], "lead.created");
  EXPECT_EQ(body["data"]["lead"]["name"], "Eve");
  EXPECT_EQ(Json::parse(by_target[slack].payload)["text"], "New lead for *Shop*: Eve");
  EXPECT_EQ(by_target["email"].target, "ops@example.com,sales@example.com");
  for (const auto& row : rows) {
    EXPECT_EQ(row.state, "pending");
    EXPECT_EQ(row.event_id, event.id);
    EXPECT_EQ(row.expires_at - event.created_at, 24LL * 3600 * 1000);
  }
  EXPECT_TRUE(deliveries(workspace_b_).empty());
}

TEST_F(OutboxTest, SubscribersAppliesTheSameRulesAsEnqueue) {
  const auto wanted = [&](std::string_view type, const store::Bot& bot) {
    std::vector<store::Webhook> result;
    EXPECT_TRUE(store_->write(store::Scope::workspace(workspace_a_), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(result, subscribers(tx, type, bot));
      return {};
    }).ok());
    return !result.empty();
  };
  EXPECT_FALSE(wanted(event_type::message_created, bot_));
  add_webhook(workspace_b_, {"message.created"});                          // another workspace
  add_webhook(workspace_a_, {"message.created"}, "", "json", false);      // inactive
  add_webhook(workspace_a_, {"lead.created"});                             // another event
  add_webhook(workspace_a_, {"message.created"}, other_bot_.id);          // another bot
  EXPECT_FALSE(wanted(event_type::message_created, bot_));
  EXPECT_TRUE(wanted(event_type::message_created, other_bot_));
  EXPECT_TRUE(wanted(event_type::lead_created, bot_));
  const std::string of_bot = add_webhook(workspace_a_, {"message.created"}, bot_.id);
  EXPECT_TRUE(wanted(event_type::message_created, bot_));
  // Events enqueued to the subscribers read once reach exactly those.
  ASSERT_TRUE(store_->write(store::Scope::workspace(workspace_a_), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto webhooks, subscribers(tx, event_type::message_created, bot_));
    for (int turn = 0; turn < 2; ++turn) {
      PARLEY_ASSIGN_OR_RETURN(const int added,
                              enqueue_to(tx, new_event(event_type::message_created, bot_, Json::object()), webhooks));
      EXPECT_EQ(added, 1);
    }
    return {};
  }).ok());
  const auto rows = deliveries(workspace_a_);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) EXPECT_EQ(row.webhook_id, of_bot);
}

TEST_F(OutboxTest, ARolledBackTransactionLeavesNoDelivery) {
  add_webhook(workspace_a_, {"lead.created"});
  const Status failed = store_->write(store::Scope::workspace(workspace_a_), [&](store::WriteTx& tx) -> Status {
    PARLEY_TRY(enqueue(tx, new_event(event_type::lead_created, bot_, Json::object())));
    return make_error(ErrorCode::conflict, "the change that made the event failed");
  });
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(deliveries(workspace_a_).empty());
}

}  // namespace
}  // namespace parley::notify
