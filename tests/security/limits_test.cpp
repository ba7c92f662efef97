// Abuse and cost limits over HTTP (OWASP LLM10, unbounded consumption): per client address behind trusted proxies,
// per API key, sign-in attempts, per visitor, the daily quota per bot, the conversation length cap, body size;
// every refusal a 429 with Retry-After (or the documented 413/422), never a crash.
#include "security/server_fixture.h"

namespace parley::security_test {
namespace {

using ::testing::HasSubstr;

class Limits : public ServerFixture {
 protected:
  HttpResult widget_config(const std::string& bot, const std::string& forwarded_for) {
    std::map<std::string, std::string> headers;
    if (!forwarded_for.empty()) headers["X-Forwarded-For"] = forwarded_for;
    return client_->request("GET", "/api/v1/widget/" + bot + "/config", "", headers);
  }
  static void expect_429(const HttpResult& result) {
    EXPECT_EQ(result.status, 429) << result.body;
    ASSERT_TRUE(result.headers.contains("Retry-After"));
    EXPECT_GE(std::stol(result.headers.at("Retry-After")), 1);
    EXPECT_EQ(result.json()["error"]["code"], "rate_limited");
  }
};

TEST_F(Limits, PerClientAddressBehindATrustedProxy) {
  auto limits = generous();
  limits.per_ip = {0.001, 3};
  limits.trusted_proxies = std::move(limits::TrustedProxies::parse({"127.0.0.0/8"})).value();
  start(limits);
  const std::string bot = create_bot(key_a_, "Support");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(widget_config(bot, "198.51.100.7").status, 200);
  expect_429(widget_config(bot, "198.51.100.7"));
  // Another client behind the same proxy is not affected.
  EXPECT_EQ(widget_config(bot, "198.51.100.8").status, 200);
  // A client cannot pick its own key by writing X-Forwarded-For itself: the proxy appends the real address last.
  expect_429(widget_config(bot, "203.0.113.99, 198.51.100.7"));
  // IPv6 clients count by their /64.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(widget_config(bot, "2001:db8:1:2::" + std::to_string(i + 1)).status, 200);
  expect_429(widget_config(bot, "2001:db8:1:2::ffff"));
}

TEST_F(Limits, ForwardedForIsIgnoredWithoutTrustedProxies) {
  auto limits = generous();
  limits.per_ip = {0.001, 2};
  start(limits);
  const std::string bot = create_bot(key_a_, "Support");
  EXPECT_EQ(widget_config(bot, "198.51.100.1").status, 200);
  EXPECT_EQ(widget_config(bot, "198.51.100.2").status, 200);
  expect_429(widget_config(bot, "198.51.100.3"));
}

TEST_F(Limits, PerApiKeyAndSignInAttempts) {
  auto limits = generous();
  limits.per_key = {0.001, 4};
  limits.per_ip_sign_in = {0.001, 2};
  start(limits);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(client_->request("GET", "/api/v1/bots", "", auth(key_a_)).status, 200);
  expect_429(client_->request("GET", "/api/v1/bots", "", auth(key_a_)));
  EXPECT_EQ(client_->request("GET", "/api/v1/bots", "", auth(key_b_)).status, 200);
  const std::string login = R"({"email":"nobody@example.com","password":"guess"})";
  const std::map<std::string, std::string> json{{"Content-Type", "application/json"}};
  EXPECT_EQ(client_->request("POST", "/api/v1/auth/login", login, json).status, 401);
  EXPECT_EQ(client_->request("POST", "/api/v1/auth/login", login, json).status, 401);
  expect_429(client_->request("POST", "/api/v1/auth/login", login, json));
}

TEST_F(Limits, PerVisitorPerBotAndDailyQuota) {
  auto limits = generous();
  limits.per_visitor = {0.001, 2};
  start(limits);
  const std::string bot = create_bot(key_a_, "Support");
  upload(key_a_, bot, "faq.md", "# Shipping\n\nShipping costs $5 within the country.\n");
  const auto first = chat(bot, {{"message", "How much is shipping?"}});
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string token = first.json()["visitor_token"];
  EXPECT_EQ(chat(bot, {{"message", "And abroad?"}, {"visitor_token", token}}).status, 200);
  EXPECT_EQ(chat(bot, {{"message", "And by express?"}, {"visitor_token", token}}).status, 200);
  expect_429(chat(bot, {{"message", "And tomorrow?"}, {"visitor_token", token}}));
  // A new conversation is another visitor.
  EXPECT_EQ(chat(bot, {{"message", "How much is shipping?"}}).status, 200);

  ASSERT_EQ(patch_settings(key_a_, bot, {{"daily_message_quota", 1}}).status, 200);
  const std::string other = create_bot(key_a_, "Other");
  ASSERT_EQ(patch_settings(key_a_, other, {{"daily_message_quota", 1}}).status, 200);
  EXPECT_EQ(chat(other, {{"message", "hello"}}).status, 200);
  const auto over = chat(other, {{"message", "hello again"}});
  expect_429(over);
  EXPECT_LE(std::stol(over.headers.at("Retry-After")), 86400);
  EXPECT_THAT(over.body, HasSubstr("today"));
}

TEST_F(Limits, DailyQuotaSurvivesARestart) {
  start();
  const std::string bot = create_bot(key_a_, "Support");
  const std::string other = create_bot(key_a_, "Other");
  ASSERT_EQ(patch_settings(key_a_, bot, {{"daily_message_quota", 3}}).status, 200);
  EXPECT_EQ(chat(bot, {{"message", "hello"}}).status, 200);
  EXPECT_EQ(chat(bot, {{"message", "hello again"}}).status, 200);
  restart();
  // The day's count comes back from the store: one message left, not three.
  EXPECT_EQ(chat(bot, {{"message", "after the restart"}}).status, 200);
  const auto over = chat(bot, {{"message", "one too many"}});
  expect_429(over);
  // Retry-After runs to the next UTC midnight.
  const auto now = std::chrono::system_clock::now();
  const auto midnight = std::chrono::ceil<std::chrono::days>(now.time_since_epoch());
  const long to_midnight = std::chrono::duration_cast<std::chrono::seconds>(midnight - now.time_since_epoch()).count();
  EXPECT_NEAR(std::stol(over.headers.at("Retry-After")), to_midnight, 5);
  restart();
  expect_429(chat(bot, {{"message", "still over after another restart"}}));
  // Another bot of the workspace has its own count (no quota here).
  EXPECT_EQ(chat(other, {{"message", "hello"}}).status, 200);
  // Tomorrow the quota is fresh: counted for the next UTC day directly through the protection.
  ASSERT_TRUE(store_->read(store::Scope::workspace(workspace_a_), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto stored, tx.bot(bot));
    EXPECT_FALSE(context_->protection().daily_quota(*stored, now + std::chrono::hours(24)).has_value());
    return {};
  }).ok());
}

TEST_F(Limits, ConversationLengthAndMessageSize) {
  auto limits = generous();
  limits.max_conversation_messages = 4;  // two turns
  start(limits);
  const std::string bot = create_bot(key_a_, "Support");
  const auto first = chat(bot, {{"message", "hello"}});
  ASSERT_EQ(first.status, 200);
  const std::string token = first.json()["visitor_token"];
  EXPECT_EQ(chat(bot, {{"message", "second"}, {"visitor_token", token}}).status, 200);
  const auto third = chat(bot, {{"message", "third"}, {"visitor_token", token}});
  EXPECT_EQ(third.status, 422);
  EXPECT_THAT(third.body, HasSubstr("length limit"));
  // Message length cap (4,000 characters by default) and the chat body limit (64 KiB).
  const int too_long = chat(bot, {{"message", std::string(5000, 'a')}}).status;
  EXPECT_TRUE(too_long == 400 || too_long == 413) << too_long;
  const auto huge = chat(bot, {{"message", std::string(200 * 1024, 'a')}});
  EXPECT_EQ(huge.status, 413);
}

TEST_F(Limits, StreamSlotsAreReturnedWhenAStreamEnds) {
  auto limits = generous();
  limits.max_streams = 1;
  limits.max_streams_per_bot = 1;
  start(limits);
  const std::string bot = create_bot(key_a_, "Support");
  for (int i = 0; i < 3; ++i) {
    const auto streamed = chat(bot, {{"message", "hello"}}, {{"Accept", "text/event-stream"}});
    EXPECT_EQ(streamed.status, 200) << streamed.body;
    EXPECT_THAT(streamed.body, HasSubstr("event: done"));
  }
  EXPECT_EQ(context_->protection().stream_slot(bot) != nullptr, true);
}

TEST_F(Limits, ResponsesCarrySecurityHeaders) {
  start();
  const auto api = client_->request("GET", "/api/v1/bots", "", auth(key_a_));
  EXPECT_EQ(api.headers.at("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(api.headers.at("Cache-Control"), "no-store");
  EXPECT_THAT(api.headers.at("Content-Security-Policy"), HasSubstr("default-src 'none'"));
  const auto admin = client_->request("GET", "/admin");
  ASSERT_EQ(admin.status, 200);
  const std::string policy = admin.headers.at("Content-Security-Policy");
  EXPECT_THAT(policy, HasSubstr("script-src 'self'"));
  EXPECT_THAT(policy, HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(policy, ::testing::Not(HasSubstr("unsafe-inline")));
  EXPECT_EQ(admin.headers.at("X-Frame-Options"), "DENY");
  EXPECT_EQ(admin.headers.at("X-Content-Type-Options"), "nosniff");
}

}  // namespace
}  // namespace parley::security_test
