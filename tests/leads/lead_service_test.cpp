// Taking leads with a real SQLite file: de-duplication per bot, the conversation attached, the per-visitor limit,
// and lead.created written to the outbox in the same transaction.
#include "leads/lead_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "notify/signature.h"
#include "support/temp_dir.h"

namespace parley::leads {
namespace {

using ::testing::HasSubstr;

class LeadServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("A"));
      workspace_ = workspace.id;
      return {};
    }).ok());
    const Json settings = {{"leads", {{"enabled", true}, {"default_country", "US"}, {"consent", "You may contact me."}}},
                           {"notifications", {{"emails", {"sales@example.com"}}}}};
    ASSERT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(bot_, tx.create_bot("Shop", settings));
      PARLEY_ASSIGN_OR_RETURN(other_, tx.create_bot("Other", settings));
      PARLEY_ASSIGN_OR_RETURN(off_, tx.create_bot("Off", Json::object()));
      store::Webhook webhook;
      webhook.url = "http://127.0.0.1:9/hook";
      webhook.events = {"lead.created"};
      webhook.secret = notify::new_webhook_secret();
      PARLEY_TRY(tx.create_webhook(webhook));
      return {};
    }).ok());
  }
  store::Scope scope() const { return store::Scope::workspace(workspace_); }

  LeadSubmission submission(const std::string& bot, Json values, std::string visitor = "10.0.0.1") {
    LeadSubmission s;
    s.bot_id = bot;
    s.values = std::move(values);
    s.consent = true;
    s.trigger = "buying_intent";
    s.visitor_key = std::move(visitor);
    return s;
  }

  std::vector<store::Lead> leads_of(const std::string& bot) {
    std::vector<store::Lead> out;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, tx.leads(bot, store::LeadFilter{}));
      return {};
    }).ok());
    return out;
  }

  std::vector<store::Delivery> deliveries() {
    std::vector<store::Delivery> out;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, tx.deliveries(store::DeliveryFilter{}));
      return {};
    }).ok());
    return out;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::string workspace_;
  store::Bot bot_, other_, off_;
};

TEST_F(LeadServiceTest, CreatesALeadWithItsConversationAndAnnouncesIt) {
  LeadService service(*store_);
  const auto outcome = service.submit(submission(bot_.id, {{"name", "Jane"}, {"email", "jane@example.com"}, {"phone", "650 253 0000"}}));
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  ASSERT_TRUE(outcome->errors.empty());
  EXPECT_TRUE(outcome->created);
  ASSERT_TRUE(outcome->lead.has_value());
  EXPECT_EQ(outcome->lead->phone, "+16502530000");
  EXPECT_EQ(outcome->lead->trigger, "buying_intent");
  EXPECT_EQ(outcome->lead->consent_text, "You may contact me.");
  EXPECT_TRUE(outcome->lead->consented_at.has_value());
  EXPECT_FALSE(outcome->conversation_id.empty());
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto conversation, tx.conversation(bot_.id, outcome->conversation_id));
    EXPECT_TRUE(conversation.has_value());
    if (conversation) {
      EXPECT_EQ(conversation->lead_id, outcome->lead->id);
    }
    return {};
  }).ok());
  const auto queued = deliveries();
  ASSERT_EQ(queued.size(), 2u);  // the webhook and the email
  for (const auto& delivery : queued) EXPECT_EQ(delivery.event_type, "lead.created");
}

TEST_F(LeadServiceTest, TheSamePersonIsOneLeadPerBot) {
  LeadService service(*store_);
  ASSERT_TRUE(service.submit(submission(bot_.id, {{"name", "Jane"}, {"email", "jane@example.com"}})).ok());
  // Same email, other case in the domain, new phone: the same lead, completed.
  const auto again = service.submit(submission(bot_.id, {{"name", "Jane D."}, {"email", "jane@EXAMPLE.com"}, {"phone", "+16502530000"}}));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  // Phone only, same number: still Jane.
  const auto by_phone = service.submit(submission(bot_.id, {{"name", "J"}, {"email", ""}, {"phone", "(650) 253-0000"}}, "10.0.0.2"));
  ASSERT_TRUE(by_phone.ok());
  EXPECT_TRUE(by_phone->errors.count("email"));  // email is required by the default form
  const auto leads = leads_of(bot_.id);
  ASSERT_EQ(leads.size(), 1u);
  EXPECT_EQ(leads[0].name, "Jane D.");
  EXPECT_EQ(leads[0].phone, "+16502530000");
  EXPECT_EQ(leads[0].submissions, 2);
  // Another bot keeps its own leads.
  ASSERT_TRUE(service.submit(submission(other_.id, {{"name", "Jane"}, {"email", "jane@example.com"}})).ok());
  EXPECT_EQ(leads_of(other_.id).size(), 1u);
  // A different person sharing the phone but with another email is another lead.
  ASSERT_TRUE(service.submit(submission(bot_.id, {{"name", "Joe"}, {"email", "joe@example.com"}, {"phone", "+16502530000"}}, "10.0.0.3")).ok());
  EXPECT_EQ(leads_of(bot_.id).size(), 2u);
  // Only the new leads were announced (2 deliveries each: webhook and email).
  EXPECT_EQ(deliveries().size(), 6u);
}

TEST_F(LeadServiceTest, BadInputIsExplainedAndNothingStored) {
  LeadService service(*store_);
  const auto outcome = service.submit(submission(bot_.id, {{"name", "<b>x</b>"}, {"email", "nope"}}));
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->errors.size(), 2u);
  EXPECT_FALSE(outcome->lead.has_value());
  EXPECT_TRUE(leads_of(bot_.id).empty());
  auto no_consent = submission(bot_.id, {{"name", "Jane"}, {"email", "jane@example.com"}});
  no_consent.consent = false;
  EXPECT_TRUE(service.submit(no_consent)->errors.count("consent"));
  EXPECT_EQ(service.submit(submission(off_.id, {{"email", "jane@example.com"}})).error().code, ErrorCode::forbidden);
  EXPECT_EQ(service.submit(submission("bot_missing", {{"email", "jane@example.com"}})).error().code, ErrorCode::not_found);
  auto foreign = submission(bot_.id, {{"name", "Jane"}, {"email", "jane@example.com"}});
  foreign.conversation_id = "conv_of_someone_else";
  EXPECT_EQ(service.submit(foreign).error().code, ErrorCode::not_found);
}

TEST_F(LeadServiceTest, ThousandsOfSubmissionsFromOneVisitorAreLimited) {
  LeadServiceOptions options;
  options.max_submissions = 5;
  LeadService service(*store_, options);
  int accepted = 0, limited = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto outcome = service.submit(
        submission(bot_.id, {{"name", "Bot " + std::to_string(i)}, {"email", "spam" + std::to_string(i) + "@example.com"}}));
    if (outcome.ok()) ++accepted;
    else if (outcome.error().code == ErrorCode::rate_limited) ++limited;
  }
  EXPECT_EQ(accepted, 5);
  EXPECT_EQ(limited, 1995);
  EXPECT_EQ(leads_of(bot_.id).size(), 5u);
  // Another visitor is not held up.
  EXPECT_TRUE(service.submit(submission(bot_.id, {{"name", "Real"}, {"email", "real@example.com"}}, "10.9.9.9")).ok());
}

}  // namespace
}  // namespace parley::leads
