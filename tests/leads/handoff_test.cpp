// The handoff state machine with a real SQLite file: a visitor's words start it, the bot stays silent, one agent
// claims, replies reach the visitor's live topic, hand back and close; business hours; nobody claiming in time.
#include "leads/handoff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/clock.h"
#include "notify/signature.h"
#include "support/temp_dir.h"

namespace parley::leads {
namespace {

using ::testing::HasSubstr;

struct Heard {
  std::string topic, event;
  Json data;
};

class HandoffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("A"));
      workspace_ = workspace.id;
      PARLEY_ASSIGN_OR_RETURN(auto other, tx.create_workspace("B"));
      other_workspace_ = other.id;
      return {};
    }).ok());
    bot_ = make_bot({{"handoff", {{"claim_timeout_seconds", 60}}}, {"leads", {{"enabled", true}}},
                     {"notifications", {{"emails", {"support@example.com"}}}}});
    ASSERT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
      store::Webhook webhook;
      webhook.url = "http://127.0.0.1:9/hook";
      webhook.events = {"conversation.handoff_requested", "conversation.closed", "message.created"};
      webhook.secret = notify::new_webhook_secret();
      return tx.create_webhook(webhook).ok() ? Status{} : make_error(ErrorCode::internal, "webhook");
    }).ok());
  }

  store::Bot make_bot(const Json& settings) {
    store::Bot bot;
    EXPECT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(bot, tx.create_bot("Shop", settings));
      return {};
    }).ok());
    return bot;
  }

  store::Scope scope() const { return store::Scope::workspace(workspace_); }

  void listen(const std::string& topic) {
    hub_.subscribe(topic, [this, topic](const std::string& event, const Json& data) {
      std::lock_guard lock(mutex_);
      heard_.push_back({topic, event, data});
      return true;
    });
  }
  std::vector<Heard> heard(const std::string& topic) {
    std::lock_guard lock(mutex_);
    std::vector<Heard> out;
    for (const auto& h : heard_) {
      if (h.topic == topic) out.push_back(h);
    }
    return out;
  }

  // A bot turn as ChatService records it.
  std::string bot_turn(const std::string& question, const std::string& mode) {
    std::string id;
    EXPECT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto conversation, tx.create_conversation(bot_.id));
      id = conversation.id;
      store::Message q;
      q.conversation_id = id;
      q.role = "user";
      q.text = question;
      PARLEY_TRY(tx.append_message(q));
      store::Message a;
      a.conversation_id = id;
      a.role = "assistant";
      a.text = "I'm sorry, I couldn't find that. Would you like me to connect you with a person?";
      a.mode = mode;
      PARLEY_TRY(tx.append_message(a));
      return {};
    }).ok());
    return id;
  }

  store::Conversation conversation(const std::string& id) {
    std::optional<store::Conversation> out;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, tx.conversation(bot_.id, id));
      return {};
    }).ok());
    return out.value_or(store::Conversation{});
  }

  std::vector<store::Message> messages(const std::string& id) {
    std::vector<store::Message> out;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, tx.messages(id));
      return {};
    }).ok());
    return out;
  }

  std::vector<std::string> queued_event_types() {
    std::vector<store::Delivery> rows;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      store::DeliveryFilter filter;
      filter.limit = 1000;
      PARLEY_ASSIGN_OR_RETURN(rows, tx.deliveries(filter));
      return {};
    }).ok());
    std::vector<std::string> out;
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) out.push_back(it->channel + ":" + it->event_type);
    return out;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::string workspace_, other_workspace_;
  store::Bot bot_;
  LiveHub hub_;
  std::mutex mutex_;
  std::vector<Heard> heard_;
};

TEST_F(HandoffTest, FromRequestToClaimReplyHandBackAndClose) {
  HandoffService service(*store_, hub_);
  listen(workspace_topic(workspace_));
  const std::string id = bot_turn("Where is my order 1234?", "fallback");
  listen(conversation_topic(id));

  // An ordinary question is for the bot.
  auto none = service.intercept(bot_, id, "How much is shipping?");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // "yes" after the fallback's offer of a person starts the handoff.
  auto started = service.intercept(bot_, id, "yes please");
  ASSERT_TRUE(started.ok()) << started.error().message;
  ASSERT_TRUE(started->has_value());
  EXPECT_TRUE((*started)->waiting);
  EXPECT_THAT((*started)->visitor_text, HasSubstr("connecting you with a person"));
  auto c = conversation(id);
  EXPECT_EQ(c.status, "waiting_for_agent");
  EXPECT_EQ(c.handoff_reason, "visitor_request");
  EXPECT_THAT(c.summary, HasSubstr("Where is my order 1234?"));
  ASSERT_TRUE(c.claim_deadline_at.has_value());
  EXPECT_NEAR(static_cast<double>(*c.claim_deadline_at - *c.handoff_requested_at), 60'000.0, 1.0);
  ASSERT_FALSE(heard(workspace_topic(workspace_)).empty());
  EXPECT_EQ(heard(workspace_topic(workspace_)).back().event, "handoff_requested");

  // While waiting, the visitor's messages go to the agents, not the bot; nothing is lost.
  auto waiting = service.intercept(bot_, id, "Hello? It's order 1234");
  ASSERT_TRUE(waiting.ok());
  ASSERT_TRUE(waiting->has_value());
  EXPECT_TRUE((*waiting)->visitor_text.empty());
  EXPECT_EQ(heard(workspace_topic(workspace_)).back().event, "message");
  EXPECT_EQ(heard(workspace_topic(workspace_)).back().data["message"]["text"], "Hello? It's order 1234");

  // Two agents race; one wins.
  const Agent sam{"user_sam", "Sam"};
  const Agent kim{"user_kim", "Kim"};
  ASSERT_TRUE(service.claim(scope(), bot_.id, id, sam).ok());
  const auto lost = service.claim(scope(), bot_.id, id, kim);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, ErrorCode::conflict);
  EXPECT_THAT(lost.error().message, HasSubstr("Sam"));
  EXPECT_EQ(service.reply(scope(), bot_.id, id, kim, "hi").error().code, ErrorCode::conflict);
  // Another workspace cannot see it at all.
  EXPECT_EQ(service.claim(store::Scope::workspace(other_workspace_), bot_.id, id, kim).error().code, ErrorCode::not_found);

  const auto reply = service.reply(scope(), bot_.id, id, sam, "Hi, I'm Sam. Your order ships today.");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->role, "agent");
  EXPECT_EQ(reply->author, "Sam");
  const auto visitor_events = heard(conversation_topic(id));
  ASSERT_FALSE(visitor_events.empty());
  EXPECT_EQ(visitor_events.back().event, "message");
  EXPECT_EQ(visitor_events.back().data["message"]["text"], "Hi, I'm Sam. Your order ships today.");
  EXPECT_EQ(visitor_events.back().data["message"]["author"], "Sam");
  EXPECT_FALSE(service.reply(scope(), bot_.id, id, sam, "   ").ok());
  EXPECT_EQ(service.reply(scope(), bot_.id, id, sam, std::string(4001, 'x')).error().code, ErrorCode::payload_too_large);

  // Hand back: the bot answers again.
  ASSERT_TRUE(service.hand_back(scope(), bot_.id, id, sam).ok());
  EXPECT_EQ(conversation(id).status, "open");
  auto after = service.intercept(bot_, id, "How much is shipping?");
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());

  ASSERT_TRUE(service.close(scope(), bot_.id, id, sam).ok());
  EXPECT_EQ(conversation(id).status, "closed");
  EXPECT_EQ(service.close(scope(), bot_.id, id, sam).error().code, ErrorCode::conflict);

  // The transcript keeps everything, in order.
  std::vector<std::string> roles;
  for (const auto& message : messages(id)) roles.push_back(message.role);
  EXPECT_EQ(roles, (std::vector<std::string>{"user", "assistant", "user", "system", "user", "system", "agent", "system", "system"}));
  // Events for webhooks and email, in the order they happened.
  EXPECT_EQ(queued_event_types(),
            (std::vector<std::string>{"webhook:message.created", "webhook:conversation.handoff_requested",
                                      "email:conversation.handoff_requested", "webhook:message.created",
                                      "webhook:message.created", "webhook:conversation.closed"}));
}

TEST_F(HandoffTest, AFirstMessageAskingForAPersonStartsAConversation) {
  HandoffService service(*store_, hub_);
  auto started = service.intercept(bot_, "", "Can I talk to a real person?");
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(started->has_value());
  const std::string id = (*started)->conversation.id;
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(conversation(id).status, "waiting_for_agent");
  EXPECT_EQ(messages(id).at(0).text, "Can I talk to a real person?");
  // The button, pressed again: nothing changes.
  const auto again = service.request(bot_, id, HandoffReason::button);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->conversation.status, "waiting_for_agent");
  EXPECT_EQ(messages(id).size(), 2u);
}

TEST_F(HandoffTest, OutsideBusinessHoursTheVisitorIsToldAndOfferedTheForm) {
  // Open one minute a week, on Sunday, far from now (unless the test runs then: 03:00-03:01 on Kiritimati).
  const auto closed = make_bot({{"handoff", {{"time_zone", "Pacific/Kiritimati"}, {"hours", {{"sun", {"03:00", "03:01"}}}}}},
                                {"leads", {{"enabled", true}}}});
  HandoffService service(*store_, hub_);
  const auto outcome = service.request(closed, "", HandoffReason::button);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_FALSE(outcome->waiting);
  EXPECT_TRUE(outcome->offer_lead_form);
  EXPECT_THAT(outcome->visitor_text, HasSubstr("not available right now"));
  EXPECT_EQ(outcome->conversation.status, "open");  // the bot keeps answering
  EXPECT_TRUE(outcome->conversation.handoff_requested_at.has_value());
  const auto off = make_bot({{"handoff", {{"enabled", false}}}});
  EXPECT_EQ(service.request(off, "", HandoffReason::button).error().code, ErrorCode::forbidden);
  auto ignored = service.intercept(off, "", "talk to a human");
  ASSERT_TRUE(ignored.ok());
  EXPECT_FALSE(ignored->has_value());
}

TEST_F(HandoffTest, NobodyClaimingInTimeIsToldOnceAndTheConversationKeepsWaiting) {
  HandoffService service(*store_, hub_);
  const auto outcome = service.request(bot_, "", HandoffReason::button);
  ASSERT_TRUE(outcome.ok());
  const std::string id = outcome->conversation.id;
  listen(conversation_topic(id));
  EXPECT_EQ(*service.sweep(unix_millis()), 0);  // not due yet
  const std::int64_t later = unix_millis() + 61'000;
  EXPECT_EQ(*service.sweep(later), 1);
  EXPECT_EQ(*service.sweep(later + 1000), 0);  // told once
  const auto c = conversation(id);
  EXPECT_EQ(c.status, "waiting_for_agent");
  EXPECT_TRUE(c.handoff_notice_at.has_value());
  const auto events = heard(conversation_topic(id));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_THAT(events[0].data["message"]["text"].get<std::string>(), HasSubstr("nobody is free"));
  EXPECT_EQ(events[1].event, "status");
  EXPECT_EQ(events[1].data["offer_lead_form"], true);
  // An agent can still take it.
  EXPECT_TRUE(service.claim(scope(), bot_.id, id, Agent{"u", "Sam"}).ok());
}

TEST(LiveHub, DropsListenersThatSayTheyAreGone) {
  LiveHub hub;
  int calls = 0;
  hub.subscribe("t", [&](const std::string&, const Json&) { return ++calls < 2; });
  hub.publish("t", "a", Json::object());
  hub.publish("t", "b", Json::object());
  hub.publish("t", "c", Json::object());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(hub.listeners(), 0u);
  const auto id = hub.subscribe("t", [](const std::string&, const Json&) { return true; });
  EXPECT_EQ(hub.listeners(), 1u);
  hub.unsubscribe(id);
  EXPECT_EQ(hub.listeners(), 0u);
}

}  // namespace
}  // namespace parley::leads
