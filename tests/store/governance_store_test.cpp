// Data governance in the store, the same on every backend (built into store_test and store_test_postgres):
// retention settings, batched purges by last activity, and the erasure of one person's data.
#include <thread>

#include "common/clock.h"
#include "store/store_fixture.h"

namespace parley::store {
namespace {

class GovernanceStoreTest : public StoreTest {
 protected:
  // A time strictly after everything written so far and strictly before anything written next.
  std::int64_t clock_tick() {
    const std::int64_t before = unix_millis();
    while (unix_millis() <= before) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const std::int64_t cut = unix_millis();
    while (unix_millis() <= cut) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return cut;
  }

  std::int64_t count_conversations(const std::string& bot) {
    std::int64_t count = -1;
    EXPECT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
      ConversationFilter filter;
      filter.limit = 10'000;
      PARLEY_ASSIGN_OR_RETURN(const auto rows, tx.conversations(bot, filter));
      count = static_cast<std::int64_t>(rows.size());
      return {};
    }).ok());
    return count;
  }

  Delivery add_delivery(const std::string& payload) {
    Delivery stored;
    const auto status = store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
      Delivery delivery;
      delivery.workspace_id = workspace_a_;
      delivery.bot_id = bot_;
      delivery.channel = "email";
      delivery.target = "sales@example.com";
      delivery.format = "email";
      delivery.event_id = "evt_" + std::to_string(unix_millis());
      delivery.event_type = "lead.created";
      delivery.payload = payload;
      delivery.next_attempt_at = unix_millis() + 60'000;
      delivery.expires_at = unix_millis() + 3'600'000;
      PARLEY_ASSIGN_OR_RETURN(stored, tx.add_delivery(delivery));
      return {};
    });
    EXPECT_TRUE(status.ok()) << status.error().message;
    return stored;
  }

  Delivery reread(std::int64_t delivery_id) {
    Delivery found;
    EXPECT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto row, tx.delivery(delivery_id));
      if (row) found = *row;
      return {};
    }).ok());
    return found;
  }

  Result<ErasureCounts> erase(const std::string& workspace, ErasureTarget target) {
    ErasureCounts counts;
    PARLEY_TRY(store_->write(Scope::workspace(workspace), [&](WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(counts, tx.erase_person(target));
      return {};
    }));
    return counts;
  }
};

TEST_F(GovernanceStoreTest, RetentionIsKeptPerWorkspaceAndRefusesNegativeDays) {
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) { return tx.set_retention({30, 365}); }).ok());
  const auto negative = store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) { return tx.set_retention({-1, 0}); });
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, ErrorCode::invalid_request);
  EXPECT_FALSE(store_->write(Scope::system(), [&](WriteTx& tx) { return tx.set_retention({1, 1}); }).ok());
  ASSERT_TRUE(store_->read(Scope::system(), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto a, tx.workspace(workspace_a_));
    PARLEY_ASSIGN_OR_RETURN(const auto b, tx.workspace(workspace_b_));
    EXPECT_EQ(a->retention.conversation_days, 30);
    EXPECT_EQ(a->retention.lead_days, 365);
    EXPECT_EQ(b->retention.conversation_days, 0);  // untouched: kept forever
    EXPECT_EQ(b->retention.lead_days, 0);
    return {};
  }).ok());
}

TEST_F(GovernanceStoreTest, PurgesConversationsInactiveBeforeTheCutoffInBoundedBatches) {
  const std::string other_bot = create_bot(workspace_a_, "Other");
  for (int i = 0; i < 5; ++i) add_conversation(bot_, 2);
  const std::string other_old = add_conversation(other_bot, 1);
  const std::int64_t cutoff = clock_tick();
  const std::string recent = add_conversation(bot_, 1);
  const auto purge = [&](const std::string& workspace, int limit) {
    PurgeCounts counts;
    const auto status = store_->write(Scope::workspace(workspace), [&](WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(counts, tx.purge_conversations(bot_, cutoff, limit));
      return {};
    });
    EXPECT_TRUE(status.ok());
    return counts;
  };
  EXPECT_EQ(purge(workspace_b_, 100).conversations, 0);  // not workspace B's bot
  const auto first = purge(workspace_a_, 3);
  EXPECT_EQ(first.conversations, 3);
  EXPECT_EQ(first.messages, 12);
  const auto second = purge(workspace_a_, 3);
  EXPECT_EQ(second.conversations, 2);
  EXPECT_EQ(second.messages, 8);
  EXPECT_EQ(purge(workspace_a_, 3).conversations, 0);
  EXPECT_EQ(count_conversations(bot_), 1);  // the recent one
  EXPECT_EQ(count_conversations(other_bot), 1);  // another bot's are its own run's
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto kept, tx.messages(recent));
    EXPECT_EQ(kept.size(), 2u);
    PARLEY_ASSIGN_OR_RETURN(const auto untouched, tx.conversation(other_bot, other_old));
    EXPECT_TRUE(untouched.has_value());
    return {};
  }).ok());
}

TEST_F(GovernanceStoreTest, PurgingLeadsDetachesTheirConversations) {
  const std::string conversation = add_conversation(bot_, 1);
  const std::string old_lead = add_lead(bot_, "old@example.com", conversation);
  const std::int64_t cutoff = clock_tick();
  const std::string new_lead = add_lead(bot_, "new@example.com");
  PurgeCounts purged;
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(purged, tx.purge_leads(bot_, cutoff, 10));
    return {};
  }).ok());
  EXPECT_EQ(purged.leads, 1);
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    EXPECT_FALSE(tx.lead(old_lead)->has_value());
    EXPECT_TRUE(tx.lead(new_lead)->has_value());
    PARLEY_ASSIGN_OR_RETURN(const auto kept, tx.conversation(bot_, conversation));
    EXPECT_EQ(kept->lead_id, "");  // the conversation stays (its own retention), without the lead
    return {};
  }).ok());
}

TEST_F(GovernanceStoreTest, ErasingAVisitorTakesTheirConversationTheirLeadAndBlanksTheDeliveriesThatCarriedThem) {
  const std::string visitor = add_conversation(bot_, 2);
  const std::string bystander = add_conversation(bot_, 1);
  const std::string lead = add_lead(bot_, "Jo.Doe@example.com", visitor);
  const std::string later = add_conversation(bot_, 1);  // the same person came back and was tied to their lead
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto again, tx.conversation(bot_, later));
    again->lead_id = lead;
    return tx.update_conversation_support(*again);
  }).ok());
  const auto carried = add_delivery(R"({"lead":{"id":")" + lead + R"(","email":"Jo.Doe@example.com"}})");
  const auto message_event = add_delivery(R"({"conversation_id":")" + later + R"("})");
  const auto unrelated = add_delivery(R"({"conversation_id":")" + bystander + R"("})");

  auto counts = erase(workspace_b_, {visitor, ""});  // another workspace finds nothing
  ASSERT_TRUE(counts.ok());
  EXPECT_TRUE(counts->nothing());

  counts = erase(workspace_a_, {visitor, ""});
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(counts->conversations, 2);
  EXPECT_EQ(counts->messages, 6);
  EXPECT_EQ(counts->leads, 1);
  EXPECT_EQ(counts->deliveries, 2);
  EXPECT_EQ(count_conversations(bot_), 1);
  const auto blanked = reread(carried.id);
  EXPECT_EQ(blanked.payload, "");
  EXPECT_EQ(blanked.state, "failed");  // pending: never sent now
  EXPECT_EQ(blanked.last_error, "payload erased");
  EXPECT_EQ(reread(message_event.id).payload, "");
  EXPECT_NE(reread(unrelated.id).payload, "");

  counts = erase(workspace_a_, {visitor, ""});  // a second request finds nothing left
  ASSERT_TRUE(counts.ok());
  EXPECT_TRUE(counts->nothing());
}

TEST_F(GovernanceStoreTest, ErasingByEmailIgnoresCaseAndNeedsExactlyOneTarget) {
  const std::string first = add_conversation(bot_, 1);
  add_lead(bot_, "Jo.Doe@example.com", first);
  const std::string other_bot = create_bot(workspace_a_, "Other");
  add_lead(other_bot, "jo.doe@example.com");
  add_lead(bot_, "someone@example.com");
  const auto counts = erase(workspace_a_, {"", "JO.DOE@Example.com"});
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(counts->leads, 2);  // every bot's lead with the address
  EXPECT_EQ(counts->conversations, 1);
  EXPECT_EQ(counts->messages, 2);
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto left, tx.leads(bot_, LeadFilter{}));
    EXPECT_EQ(left.size(), 1u);
    return {};
  }).ok());
  const auto both = erase(workspace_a_, {first, "jo@example.com"});
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().code, ErrorCode::invalid_request);
  EXPECT_FALSE(erase(workspace_a_, {"", ""}).ok());
}

}  // namespace
}  // namespace parley::store
