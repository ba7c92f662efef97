// Leads, handoff and webhooks through the real API: a real server on a real socket, a real SQLite file, the
// notification dispatcher sending to a test-owned webhook receiver and SMTP sink on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <set>

#include "api/api.h"
#include "auth/api_keys.h"
#include "common/clock.h"
#include "http/server.h"
#include "notify/dispatcher.h"
#include "notify/signature.h"
#include "support/http_client.h"
#include "support/smtp_sink.h"
#include "support/temp_dir.h"
#include "support/test_store.h"
#include "support/webhook_receiver.h"

namespace parley::api {
namespace {

using namespace std::chrono_literals;
using parley::testing::HttpClient;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kGuide =
    "# Shipping guide\n\n## Costs\n\nShipping is free on orders over $75. Otherwise standard shipping costs $7.95.\n";

class LeadsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = parley::testing::open_test_store(parley::testing::test_store_options(dir_));
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto a, tx.create_workspace("A"));
      PARLEY_ASSIGN_OR_RETURN(auto b, tx.create_workspace("B"));
      PARLEY_ASSIGN_OR_RETURN(auto key_a, auth::issue_api_key(tx, a.id, "a", store::Role::owner));
      PARLEY_ASSIGN_OR_RETURN(auto agent, auth::issue_api_key(tx, a.id, "agent", store::Role::agent));
      PARLEY_ASSIGN_OR_RETURN(auto key_b, auth::issue_api_key(tx, b.id, "b", store::Role::owner));
      key_a_ = key_a.key;
      agent_key_ = agent.key;
      key_b_ = key_b.key;
      return {};
    }).ok());
    notify::DispatcherOptions dispatch;
    dispatch.allow_private_addresses = true;  // the receivers are on loopback
    dispatch.idle_poll = 100ms;
    dispatch.retry_base = 100ms;
    dispatch.smtp.url = sink_.url();
    dispatch.smtp.from = "parley@example.com";
    dispatcher_ = std::make_unique<notify::Dispatcher>(*store_, dispatch);
    ApiOptions options;
    options.on_notification_queued = [this] { dispatcher_->wake(); };
    options.allow_private_addresses = true;  // the webhook receivers are on loopback
    context_ = std::make_unique<ApiContext>(*store_, options);
    register_routes(router_, *context_);
    http::ServerOptions server_options;
    server_options.port = 0;
    server_options.drain_timeout = 1s;
    server_ = std::make_unique<http::Server>(server_options, router_);
    ASSERT_TRUE(server_->listen().ok());
    server_->start();
    dispatcher_->start();
    client_ = std::make_unique<HttpClient>(server_->port());
  }
  void TearDown() override {
    dispatcher_->stop();
    server_->stop();
  }

  std::map<std::string, std::string> auth(const std::string& key) {
    return {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
  }
  parley::testing::HttpResult post(const std::string& path, const Json& body, const std::string& key = "") {
    return client_->request("POST", path, body.dump(),
                            key.empty() ? std::map<std::string, std::string>{{"Content-Type", "application/json"}} : auth(key));
  }
  parley::testing::HttpResult get(const std::string& path, const std::string& key) { return client_->request("GET", path, "", auth(key)); }

  std::string create_bot(const Json& settings) {
    const auto created = post("/api/v1/bots", {{"name", "Shop"}, {"settings", settings}}, key_a_);
    EXPECT_EQ(created.status, 201) << created.body;
    const std::string bot = created.json().value("id", "");
    auto headers = auth(key_a_);
    headers["Content-Type"] = "text/markdown";
    EXPECT_EQ(client_->request("POST", "/api/v1/bots/" + bot + "/sources?name=guide.md", kGuide, headers).status, 201);
    return bot;
  }

  // Reads a Server-Sent Events stream on its own connection until it is quiet for `quiet`.
  std::future<std::string> open_stream(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
    const unsigned short port = server_->port();
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    request += "\r\n";
    return std::async(std::launch::async, [port, request] {
      HttpClient raw(port);
      return raw.raw(request, 1500ms);
    });
  }

  void wait_for_listeners(std::size_t count) {
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (context_->live().listeners() < count && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
    ASSERT_GE(context_->live().listeners(), count);
  }

  parley::testing::TempDir dir_;
  parley::testing::SmtpSink sink_;
  parley::testing::WebhookReceiver receiver_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<notify::Dispatcher> dispatcher_;
  std::unique_ptr<ApiContext> context_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<HttpClient> client_;
  std::string key_a_, agent_key_, key_b_;
};

TEST_F(LeadsApiTest, SettingsAreCheckedWhenSaved) {
  const std::string bot = create_bot(Json::object());
  for (const Json& bad : {Json{{"leads", {{"fields", {{{"name", "company"}}}}}}},
                          Json{{"handoff", {{"time_zone", "Nowhere/Land"}}}},
                          Json{{"notifications", {{"emails", {"not-an-email"}}}}}}) {
    const auto patched = client_->request("PATCH", "/api/v1/bots/" + bot, Json{{"settings", bad}}.dump(), auth(key_a_));
    EXPECT_EQ(patched.status, 400) << bad.dump();
    EXPECT_EQ(patched.json()["error"]["code"], "invalid_request");
  }
  const auto good = client_->request("PATCH", "/api/v1/bots/" + bot,
                                     Json{{"settings", {{"leads", {{"enabled", true}, {"consent", "OK to call me"}}}}}}.dump(),
                                     auth(key_a_));
  EXPECT_EQ(good.status, 200) << good.body;
  const auto config = client_->request("GET", "/api/v1/widget/" + bot + "/config");
  ASSERT_EQ(config.status, 200);
  EXPECT_EQ(config.json()["lead_form"]["consent"], "OK to call me");
  EXPECT_EQ(config.json()["lead_form"]["fields"][1]["name"], "email");
  // The button shows exactly when visitors may ask for a person (on by default, saved with a new bot).
  EXPECT_EQ(config.json()["handoff"], true);
  ASSERT_EQ(client_->request("PATCH", "/api/v1/bots/" + bot, Json{{"settings", {{"handoff", {{"enabled", false}}}}}}.dump(),
                             auth(key_a_)).status,
            200);
  EXPECT_EQ(client_->request("GET", "/api/v1/widget/" + bot + "/config").json()["handoff"], false);
}

TEST_F(LeadsApiTest, LeadCaptureFromTheWidgetToTheListExportWebhookAndEmail) {
  const std::string bot = create_bot({{"leads", {{"enabled", true}, {"default_country", "US"}}},
                                      {"notifications", {{"emails", {"sales@example.com"}}}}});
  const auto hook = post("/api/v1/webhooks", {{"url", receiver_.url("leads")}, {"events", {"lead.created"}}}, key_a_);
  ASSERT_EQ(hook.status, 201) << hook.body;
  const std::string secret = hook.json()["secret"];
  EXPECT_THAT(secret, ::testing::StartsWith("whsec_"));
  EXPECT_THAT(get("/api/v1/webhooks", key_a_).json()["webhooks"][0]["secret"].get<std::string>(), HasSubstr("…"));

  const auto chat = post("/api/v1/bots/" + bot + "/chat", {{"message", "How much is shipping?"}});
  ASSERT_EQ(chat.status, 200);
  const std::string token = chat.json()["visitor_token"];

  const auto bad = post("/api/v1/bots/" + bot + "/leads",
                        {{"fields", {{"name", "Jane"}, {"email", "jane@"}, {"phone", "12"}}}, {"visitor_token", token}});
  ASSERT_EQ(bad.status, 400);
  EXPECT_THAT(bad.json()["error"]["fields"]["email"].get<std::string>(), HasSubstr("not valid"));
  EXPECT_TRUE(bad.json()["error"]["fields"].contains("phone"));

  const auto created = post("/api/v1/bots/" + bot + "/leads",
                            {{"fields", {{"name", "Jane"}, {"email", "jane@example.com"}, {"phone", "(650) 253-0000"}}},
                             {"trigger", "buying_intent"},
                             {"visitor_token", token}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json()["conversation_id"], chat.json()["conversation_id"]);
  const auto again = post("/api/v1/bots/" + bot + "/leads", {{"fields", {{"name", "Jane Doe"}, {"email", "jane@example.com"}}}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["created"], false);
  EXPECT_EQ(again.json()["lead_id"], created.json()["lead_id"]);

  const auto list = get("/api/v1/bots/" + bot + "/leads?q=jane", key_a_);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json()["leads"].size(), 1u);
  EXPECT_EQ(list.json()["leads"][0]["name"], "Jane Doe");
  EXPECT_EQ(list.json()["leads"][0]["phone"], "+16502530000");
  EXPECT_EQ(list.json()["leads"][0]["submissions"], 2);
  EXPECT_EQ(get("/api/v1/bots/" + bot + "/leads?trigger=fallback", key_a_).json()["leads"].size(), 0u);
  const auto one = get("/api/v1/bots/" + bot + "/leads/" + created.json()["lead_id"].get<std::string>(), key_a_);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json()["conversations"].size(), 2u);  // the chat's, and the one the second (token-less) submission started
  const auto csv = get("/api/v1/bots/" + bot + "/leads/export?format=csv", key_a_);
  ASSERT_EQ(csv.status, 200);
  EXPECT_THAT(csv.headers.at("Content-Type"), HasSubstr("text/csv"));
  EXPECT_THAT(csv.body, HasSubstr(",Jane Doe,jane@example.com,+16502530000,"));
  EXPECT_EQ(get("/api/v1/bots/" + bot + "/leads/export?format=json", key_a_).json()["leads"].size(), 1u);
  EXPECT_EQ(get("/api/v1/bots/" + bot + "/leads/export?format=xml", key_a_).status, 400);
  // Another workspace sees nothing.
  EXPECT_EQ(get("/api/v1/bots/" + bot + "/leads", key_b_).status, 404);
  EXPECT_EQ(get("/api/v1/bots/" + bot + "/leads/" + created.json()["lead_id"].get<std::string>(), key_b_).status, 404);

  // lead.created reached the webhook, signed, and the email went out.
  ASSERT_TRUE(receiver_.wait_for(1, 10s));
  const auto received = receiver_.received().at(0);
  const Json event = Json::parse(received.body);
  EXPECT_EQ(event["type"], "lead.created");
  EXPECT_EQ(event["data"]["lead"]["email"], "jane@example.com");
  EXPECT_TRUE(notify::verify_signature(secret, std::stoll(received.headers.at("parley-timestamp")), received.body,
                                       received.headers.at("parley-signature")));
  ASSERT_TRUE(sink_.wait_for(1, 10s));
  EXPECT_THAT(sink_.messages().at(0).data, HasSubstr("Subject: New lead from Shop: Jane"));

  // The delivery log, and a manual replay.
  const std::string hook_id = hook.json()["id"];
  Json deliveries;
  for (int i = 0; i < 100; ++i) {
    deliveries = get("/api/v1/webhooks/" + hook_id + "/deliveries", key_a_).json()["deliveries"];
    if (deliveries.size() == 1 && deliveries[0]["state"] == "delivered") break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0]["state"], "delivered");
  const std::string delivery = std::to_string(deliveries[0]["id"].get<std::int64_t>());
  EXPECT_EQ(get("/api/v1/deliveries/" + delivery, key_a_).json()["attempts_log"].size(), 1u);
  EXPECT_EQ(get("/api/v1/deliveries/" + delivery, key_b_).status, 404);
  EXPECT_EQ(post("/api/v1/deliveries/" + delivery + "/replay", Json::object(), agent_key_).status, 403);
  EXPECT_EQ(post("/api/v1/deliveries/" + delivery + "/replay", Json::object(), key_a_).status, 202);
  ASSERT_TRUE(receiver_.wait_for(2, 10s));
  EXPECT_EQ(Json::parse(receiver_.received().at(1).body)["id"], event["id"]);  // the same event, again
}

TEST_F(LeadsApiTest, ChatTurnsOfferTheLeadFormAndWriteTheirMessageEventsInTheTurnsTransaction) {
  const std::string bot = create_bot({{"leads", {{"enabled", true}, {"triggers", {{"fallback", false}}}}}});
  const auto hook = post("/api/v1/webhooks", {{"url", receiver_.url("messages")}, {"events", {"message.created"}}}, key_a_);
  ASSERT_EQ(hook.status, 201) << hook.body;

  // The answer says why the widget should offer the form (leads/lead_form.h): buying intent, a request to be
  // contacted; nothing for other questions, nor for a fallback when that trigger is off.
  const auto quote = post("/api/v1/bots/" + bot + "/chat", {{"message", "Can I get a quote for 20 boxes?"}});
  ASSERT_EQ(quote.status, 200) << quote.body;
  EXPECT_EQ(quote.json()["lead_form_trigger"], "buying_intent");
  const std::string token = quote.json()["visitor_token"];
  const auto plain = post("/api/v1/bots/" + bot + "/chat", {{"message", "Is shipping free on big orders?"}, {"visitor_token", token}});
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_FALSE(plain.json().contains("lead_form_trigger")) << plain.body;
  auto headers = auth(key_a_);
  headers.erase("Authorization");
  headers["Accept"] = "text/event-stream";
  const auto streamed = client_->request("POST", "/api/v1/bots/" + bot + "/chat",
                                         Json{{"message", "Please contact me tomorrow"}, {"visitor_token", token}}.dump(), headers);
  ASSERT_EQ(streamed.status, 200);
  EXPECT_THAT(streamed.body, HasSubstr("\"lead_form_trigger\":\"request\""));
  const auto unknown = post("/api/v1/bots/" + bot + "/chat", {{"message", "Do you repair bicycles on Mars?"}, {"visitor_token", token}});
  ASSERT_EQ(unknown.status, 200);
  EXPECT_EQ(unknown.json()["mode"], "fallback");
  EXPECT_FALSE(unknown.json().contains("lead_form_trigger"));

  // message.created for every question and answer, with the stored messages' ids.
  ASSERT_TRUE(receiver_.wait_for(8, 10s));
  const auto transcript = get("/api/v1/bots/" + bot + "/conversations/" + quote.json()["conversation_id"].get<std::string>(), key_a_);
  ASSERT_EQ(transcript.status, 200);
  const Json messages = transcript.json()["messages"];
  ASSERT_EQ(messages.size(), 8u);
  std::set<std::int64_t> announced;
  for (const auto& received : receiver_.received()) {
    const Json event = Json::parse(received.body);
    EXPECT_EQ(event["type"], "message.created");
    announced.insert(event["data"]["message"]["id"].get<std::int64_t>());
  }
  std::set<std::int64_t> stored;
  for (const auto& message : messages) stored.insert(message["id"].get<std::int64_t>());
  EXPECT_EQ(announced, stored);

  // The events are written by the turn's own transaction: when it fails, neither the turn nor any event exists.
  chat::ChatRequest failing;
  failing.bot_id = bot;
  failing.conversation_id = quote.json()["conversation_id"].get<std::string>();
  failing.message = "Is shipping free?";
  failing.record_also = [](store::WriteTx&, const store::Message&, const store::Message&) -> Status {
    return make_error(ErrorCode::internal, "the disk is full");
  };
  EXPECT_FALSE(context_->chat().ask(store::Scope::system(), failing).ok());
  EXPECT_EQ(get("/api/v1/bots/" + bot + "/conversations/" + *failing.conversation_id, key_a_).json()["messages"].size(), 8u);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(receiver_.received().size(), 8u);
}

TEST_F(LeadsApiTest, HandoffToAnAgentLiveAndBackToTheBot) {
  const std::string bot = create_bot({{"handoff", {{"claim_timeout_seconds", 120}}}});
  // The visitor asks the bot something, then for a person.
  const auto first = post("/api/v1/bots/" + bot + "/chat", {{"message", "How much is shipping?"}});
  ASSERT_EQ(first.status, 200);
  const std::string token = first.json()["visitor_token"];
  const std::string conversation = first.json()["conversation_id"];
  const std::size_t before_inbox = context_->live().listeners();
  auto inbox_stream = open_stream("/api/v1/inbox/events", {{"Authorization", "Bearer " + agent_key_}});
  wait_for_listeners(before_inbox + 1);
  const auto asked = post("/api/v1/bots/" + bot + "/chat", {{"message", "Can I talk to a human please?"}, {"visitor_token", token}});
  ASSERT_EQ(asked.status, 200) << asked.body;
  EXPECT_EQ(asked.json()["mode"], "handoff");
  EXPECT_EQ(asked.json()["status"], "waiting_for_agent");
  EXPECT_THAT(asked.json()["answer"].get<std::string>(), HasSubstr("connecting you with a person"));

  // Agents see it in the inbox (and live, on the inbox stream).
  const auto inbox = get("/api/v1/inbox", agent_key_);
  ASSERT_EQ(inbox.status, 200);
  ASSERT_EQ(inbox.json()["conversations"].size(), 1u);
  EXPECT_EQ(inbox.json()["conversations"][0]["id"], conversation);
  EXPECT_THAT(inbox.json()["conversations"][0]["summary"].get<std::string>(), HasSubstr("How much is shipping?"));
  EXPECT_EQ(get("/api/v1/inbox", key_b_).json()["conversations"].size(), 0u);
  const std::string inbox_events = inbox_stream.get();
  EXPECT_THAT(inbox_events, HasSubstr("event: inbox"));
  EXPECT_THAT(inbox_events, HasSubstr("event: handoff_requested"));

  // The visitor's widget listens; the agent claims and replies; the reply arrives on the visitor's stream.
  const std::size_t before_visitor = context_->live().listeners();
  auto visitor_stream = open_stream("/api/v1/widget/" + bot + "/events?visitor_token=" + token);
  wait_for_listeners(before_visitor + 1);
  const std::string base = "/api/v1/bots/" + bot + "/conversations/" + conversation;
  const auto claimed = post(base + "/claim", {{"agent_name", "Sam"}}, agent_key_);
  ASSERT_EQ(claimed.status, 200) << claimed.body;
  EXPECT_EQ(claimed.json()["status"], "with_agent");
  EXPECT_EQ(post(base + "/claim", Json::object(), key_a_).status, 409);  // someone else has it
  const auto replied = post(base + "/reply", {{"text", "Hi, Sam here. Shipping is free over $75."}}, agent_key_);
  ASSERT_EQ(replied.status, 200) << replied.body;
  const std::string visitor_events = visitor_stream.get();
  EXPECT_THAT(visitor_events, HasSubstr("event: status"));
  EXPECT_THAT(visitor_events, HasSubstr("Sam joined the conversation."));
  EXPECT_THAT(visitor_events, HasSubstr("Hi, Sam here. Shipping is free over $75."));

  // While the agent has it, the bot stays silent; the visitor's message is kept.
  const auto during = post("/api/v1/bots/" + bot + "/chat", {{"message", "Thanks! And returns?"}, {"visitor_token", token}});
  ASSERT_EQ(during.status, 200);
  EXPECT_EQ(during.json()["mode"], "agent");
  EXPECT_EQ(during.json()["answer"], "");

  // The visitor's transcript (the widget restores it) has the agent's reply with its author.
  const auto restored = client_->request("GET", "/api/v1/widget/" + bot + "/conversation", "", {{"X-Visitor-Token", token}});
  ASSERT_EQ(restored.status, 200);
  bool found = false;
  const Json transcript = restored.json();
  for (const auto& message : transcript["messages"]) {
    found = found || (message["role"] == "agent" && message["author"] == "Sam");
  }
  EXPECT_TRUE(found) << restored.body;

  // Hand back: the bot answers again.
  ASSERT_EQ(post(base + "/handback", Json::object(), agent_key_).status, 200);
  const auto bot_again = post("/api/v1/bots/" + bot + "/chat", {{"message", "How much is shipping?"}, {"visitor_token", token}});
  ASSERT_EQ(bot_again.status, 200);
  EXPECT_NE(bot_again.json()["mode"], "agent");
  EXPECT_FALSE(bot_again.json()["answer"].get<std::string>().empty());
  EXPECT_GT(bot_again.json()["message_id"].get<std::int64_t>(), 0);
  ASSERT_EQ(post(base + "/close", Json::object(), agent_key_).status, 200);
  EXPECT_EQ(get("/api/v1/inbox", agent_key_).json()["conversations"].size(), 0u);
  // Bad requests: a missing conversation, a reply without claiming, a viewer-free inbox for other workspaces.
  EXPECT_EQ(post("/api/v1/bots/" + bot + "/conversations/conv_missing/claim", Json::object(), agent_key_).status, 404);
  EXPECT_EQ(post(base + "/reply", {{"text", "late"}}, agent_key_).status, 409);
  EXPECT_EQ(post(base + "/reply", {{"text", 5}}, agent_key_).status, 400);
}

TEST_F(LeadsApiTest, TheHandoffButtonStartsAConversationAndTheStreamNeedsItsToken) {
  const std::string bot = create_bot(Json::object());
  const auto pressed = post("/api/v1/widget/" + bot + "/handoff", Json::object());
  ASSERT_EQ(pressed.status, 200) << pressed.body;
  EXPECT_EQ(pressed.json()["status"], "waiting_for_agent");
  EXPECT_FALSE(pressed.json()["visitor_token"].get<std::string>().empty());
  EXPECT_EQ(client_->request("GET", "/api/v1/widget/" + bot + "/events").status, 401);
  EXPECT_EQ(client_->request("GET", "/api/v1/widget/" + bot + "/events?visitor_token=forged").status, 401);
}

TEST_F(LeadsApiTest, AnalyticsCountTheConversationsHandedToAPersonInTheWindow) {
  const std::string bot = create_bot(Json::object());
  const std::string other_bot = create_bot(Json::object());
  // Four conversations of `bot`: one asks for a person in words (then is handed back and closed: it still counts),
  // one presses the handoff button, two only ask the bot. The other bot's handoff is not this bot's.
  const auto asked = post("/api/v1/bots/" + bot + "/chat", {{"message", "Can I talk to a human please?"}});
  ASSERT_EQ(asked.status, 200) << asked.body;
  ASSERT_EQ(asked.json()["mode"], "handoff");
  const std::string base = "/api/v1/bots/" + bot + "/conversations/" + asked.json()["conversation_id"].get<std::string>();
  ASSERT_EQ(post(base + "/claim", {{"agent_name", "Sam"}}, agent_key_).status, 200);
  ASSERT_EQ(post(base + "/handback", Json::object(), agent_key_).status, 200);
  ASSERT_EQ(post(base + "/close", Json::object(), agent_key_).status, 200);
  ASSERT_EQ(post("/api/v1/widget/" + bot + "/handoff", Json::object()).status, 200);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(post("/api/v1/bots/" + bot + "/chat", {{"message", "How much is shipping?"}}).status, 200);
  ASSERT_EQ(post("/api/v1/widget/" + other_bot + "/handoff", Json::object()).status, 200);

  const auto analytics = get("/api/v1/bots/" + bot + "/analytics", key_a_);
  ASSERT_EQ(analytics.status, 200) << analytics.body;
  const Json totals = analytics.json()["totals"];
  EXPECT_EQ(totals["conversations"], 4);
  EXPECT_EQ(totals["handoffs"], 2);
  EXPECT_DOUBLE_EQ(totals["handoff_rate"].get<double>(), 0.5);
  const Json other = get("/api/v1/bots/" + other_bot + "/analytics", key_a_).json()["totals"];
  EXPECT_EQ(other["conversations"], 1);
  EXPECT_DOUBLE_EQ(other["handoff_rate"].get<double>(), 1.0);
  // A period before these conversations has none of them, and no rate to divide by zero.
  const Json before = get("/api/v1/bots/" + bot + "/analytics?from=2020-01-01&to=2020-01-31", key_a_).json()["totals"];
  EXPECT_EQ(before["conversations"], 0);
  EXPECT_EQ(before["handoffs"], 0);
  EXPECT_DOUBLE_EQ(before["handoff_rate"].get<double>(), 0.0);
}

// Data governance (issue 17) through the API: the fine-tuning export of a rated conversation, erasure of its visitor
// (conversation, lead, and the lead.created webhook's payload, whose delivery row stays), retention settings; bad
// input is a 400 and unknown people are "nothing to erase", never a 500.
TEST_F(LeadsApiTest, GovernanceExportsRatedConversationsErasesAVisitorAndKeepsRetention) {
  const std::string bot = create_bot({{"leads", {{"enabled", true}}}});
  const auto hook = post("/api/v1/webhooks", {{"url", receiver_.url("leads")}, {"events", {"lead.created"}}}, key_a_);
  ASSERT_EQ(hook.status, 201) << hook.body;
  const auto chat = post("/api/v1/bots/" + bot + "/chat", {{"message", "How much is shipping? Mail me at jane@example.com"}});
  ASSERT_EQ(chat.status, 200) << chat.body;
  const std::string token = chat.json()["visitor_token"];
  const std::string conversation = chat.json()["conversation_id"];
  auto visitor = auth(key_a_);
  visitor.erase("Authorization");
  visitor["X-Visitor-Token"] = token;
  ASSERT_EQ(client_->request("POST", "/api/v1/widget/" + bot + "/feedback",
                             Json{{"message_id", chat.json()["message_id"]}, {"rating", 1}}.dump(), visitor).status,
            200);
  const auto lead = post("/api/v1/bots/" + bot + "/leads",
                         {{"fields", {{"name", "Jane"}, {"email", "jane@example.com"}}}, {"visitor_token", token}});
  ASSERT_EQ(lead.status, 201) << lead.body;
  ASSERT_TRUE(receiver_.wait_for(1, 10s));

  // The export: one JSON line per rated conversation, the visitor's email redacted unless asked otherwise.
  const auto exported = get("/api/v1/bots/" + bot + "/conversations/export-finetune", key_a_);
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_THAT(exported.headers.at("Content-Type"), HasSubstr("application/x-ndjson"));
  const Json line = Json::parse(exported.body.substr(0, exported.body.find('\n')));
  ASSERT_EQ(line["messages"].size(), 3u);
  EXPECT_EQ(line["messages"][1]["content"], "How much is shipping? Mail me at [EMAIL]");
  EXPECT_EQ(line["messages"][2]["role"], "assistant");
  EXPECT_THAT(get("/api/v1/bots/" + bot + "/conversations/export-finetune?redact=0", key_a_).body, HasSubstr("jane@example.com"));
  EXPECT_EQ(get("/api/v1/bots/" + bot + "/conversations/export-finetune?redact=maybe", key_a_).status, 400);
  EXPECT_EQ(get("/api/v1/bots/" + bot + "/conversations/export-finetune", agent_key_).status, 403);
  EXPECT_EQ(get("/api/v1/bots/" + bot + "/conversations/export-finetune", key_b_).status, 404);

  // Erasure: refused below admin, bad requests are 400, an unknown person is nothing to erase.
  EXPECT_EQ(post("/api/v1/erasure", {{"visitor", conversation}}, agent_key_).status, 403);
  EXPECT_EQ(post("/api/v1/erasure", Json::object(), key_a_).status, 400);
  EXPECT_EQ(post("/api/v1/erasure", {{"email", "not-an-email"}}, key_a_).status, 400);
  EXPECT_EQ(post("/api/v1/erasure", {{"visitor", conversation}, {"email", "jane@example.com"}}, key_a_).status, 400);
  const auto nobody = post("/api/v1/erasure", {{"email", "nobody@example.com"}}, key_a_);
  ASSERT_EQ(nobody.status, 200) << nobody.body;
  EXPECT_EQ(nobody.json()["erased"]["nothing_to_erase"], true);
  EXPECT_THAT(nobody.json()["erased"]["message"].get<std::string>(), HasSubstr("nothing to erase"));
  EXPECT_EQ(post("/api/v1/erasure", {{"visitor", token}}, key_b_).json()["erased"]["nothing_to_erase"], true);

  const std::string hook_id = hook.json()["id"];
  Json deliveries;
  for (int i = 0; i < 100; ++i) {
    deliveries = get("/api/v1/webhooks/" + hook_id + "/deliveries", key_a_).json()["deliveries"];
    if (deliveries.size() == 1 && deliveries[0]["state"] == "delivered") break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(deliveries.size(), 1u);
  const auto transcript = get("/api/v1/bots/" + bot + "/conversations/" + conversation, key_a_).json()["messages"];
  ASSERT_GE(transcript.size(), 2u);  // the question, the answer, and the lead form's note
  const auto erased = post("/api/v1/erasure", {{"visitor", token}}, key_a_);
  ASSERT_EQ(erased.status, 200) << erased.body;
  EXPECT_EQ(erased.json()["erased"]["conversations"], 1);
  EXPECT_EQ(erased.json()["erased"]["messages"], transcript.size());
  EXPECT_EQ(erased.json()["erased"]["leads"], 1);
  EXPECT_EQ(erased.json()["erased"]["deliveries"], 1);
  EXPECT_EQ(get("/api/v1/bots/" + bot + "/conversations/" + conversation, key_a_).status, 404);
  EXPECT_EQ(get("/api/v1/bots/" + bot + "/leads", key_a_).json()["leads"].size(), 0u);
  const std::string delivery = std::to_string(deliveries[0]["id"].get<std::int64_t>());
  const auto kept = get("/api/v1/deliveries/" + delivery, key_a_);
  ASSERT_EQ(kept.status, 200);  // the row stays for the accounting, delivered, without its body
  EXPECT_EQ(kept.json()["state"], "delivered");
  EXPECT_EQ(kept.json()["payload"], "");
  EXPECT_EQ(post("/api/v1/deliveries/" + delivery + "/replay", Json::object(), key_a_).status, 409);
  EXPECT_EQ(get("/api/v1/bots/" + bot + "/conversations/export-finetune", key_a_).body, "");
  const auto log = get("/api/v1/audit?limit=1000", key_a_).json()["entries"];
  EXPECT_THAT(log.dump(), Not(HasSubstr("jane@example.com")));

  // Retention: per workspace, 0 (forever) by default; negative or fractional days are refused.
  const auto initial = get("/api/v1/workspace/retention", agent_key_);
  ASSERT_EQ(initial.status, 200);
  EXPECT_EQ(initial.json(), (Json{{"conversations_days", 0}, {"leads_days", 0}}));
  const auto patch = [&](const Json& body, const std::string& key) {
    return client_->request("PATCH", "/api/v1/workspace/retention", body.dump(), auth(key));
  };
  EXPECT_EQ(patch({{"conversations_days", -1}}, key_a_).status, 400);
  EXPECT_EQ(patch({{"leads_days", 1.5}}, key_a_).status, 400);
  EXPECT_EQ(patch({{"leads_days", "ten"}}, key_a_).status, 400);
  EXPECT_EQ(patch({{"conversations_days", 30}}, agent_key_).status, 403);
  const auto set = patch({{"conversations_days", 30}}, key_a_);
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json(), (Json{{"conversations_days", 30}, {"leads_days", 0}}));
  EXPECT_EQ(patch({{"leads_days", 90}}, key_a_).json(), (Json{{"conversations_days", 30}, {"leads_days", 90}}));
  EXPECT_EQ(get("/api/v1/workspace/retention", key_b_).json()["conversations_days"], 0);
}

}  // namespace
}  // namespace parley::api
