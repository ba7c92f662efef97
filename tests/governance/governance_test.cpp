// Retention, erasure and the fine-tuning export (src/governance) over a real store, through the real job runner.
#include <sstream>

#include "audit/audit.h"
#include "common/clock.h"
#include "governance/erasure.h"
#include "governance/finetune.h"
#include "governance/retention.h"
#include "store/store_fixture.h"

namespace parley::governance {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using store::Json;

constexpr std::int64_t kDay = 24LL * 60 * 60 * 1000;

class GovernanceTest : public store::StoreTest {
 protected:
  std::vector<store::AuditEntry> audit_log() {
    std::vector<store::AuditEntry> entries;
    EXPECT_TRUE(store_->read(store::Scope::workspace(workspace_a_), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(entries, tx.audit_entries(0, 1000));
      PARLEY_ASSIGN_OR_RETURN(const auto chain, audit::verify_log(tx));
      EXPECT_TRUE(chain.valid) << chain.problem;
      return {};
    }).ok());
    return entries;
  }

  // Rates every assistant message of the conversation.
  void rate(const std::string& conversation, int rating) {
    ASSERT_TRUE(store_->write(store::Scope::workspace(workspace_a_), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto messages, tx.messages(conversation));
      for (const auto& message : messages) {
        if (message.role == "assistant") PARLEY_TRY(tx.set_feedback(conversation, message.id, rating));
      }
      return {};
    }).ok());
  }

  std::vector<Json> lines(const std::string& jsonl) {
    std::vector<Json> parsed;
    std::istringstream in(jsonl);
    for (std::string line; std::getline(in, line);) parsed.push_back(Json::parse(line));
    return parsed;
  }
};

TEST_F(GovernanceTest, ARetentionRunDeletesWhatIsOlderInBatchesAndAuditsTheRun) {
  for (int i = 0; i < 5; ++i) add_conversation(bot_, 1);
  add_lead(bot_, "jo@example.com");
  ASSERT_TRUE(set_retention(*store_, workspace_a_, {30, 0}, "cli").ok());
  const auto negative = set_retention(*store_, workspace_a_, {-3, 0}, "cli");
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, ErrorCode::invalid_request);

  RetentionOptions options;
  options.batch_size = 2;
  int batches = 0;
  const auto count_batches = [&](const store::PurgeCounts&) { return ++batches > 0; };
  // Today nothing is 30 days old.
  auto purged = apply_retention(*store_, workspace_a_, bot_, unix_millis(), options, count_batches, "cli");
  ASSERT_TRUE(purged.ok()) << purged.error().message;
  EXPECT_EQ(purged->conversations, 0);
  // 31 days on, every conversation is, in batches of two; leads are kept forever (0 days).
  purged = apply_retention(*store_, workspace_a_, bot_, unix_millis() + 31 * kDay, options, count_batches, "cli");
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(purged->conversations, 5);
  EXPECT_EQ(purged->messages, 10);
  EXPECT_EQ(purged->leads, 0);
  EXPECT_EQ(batches, 2);  // full batches (2, 2) are followed by a check; the last (1) ends the run

  const auto log = audit_log();
  ASSERT_EQ(log.size(), 3u);  // the setting, then two runs
  EXPECT_EQ(log[0].action, "workspace.retention");
  EXPECT_EQ(log[0].after["conversations_days"], 30);
  EXPECT_EQ(log[2].action, "retention.run");
  EXPECT_EQ(log[2].target, bot_);
  EXPECT_EQ(log[2].after["conversations"], 5);
  EXPECT_EQ(log[2].after["messages"], 10);
  EXPECT_EQ(log[2].after["complete"], true);
}

TEST_F(GovernanceTest, ARunAskedToStopLeavesTheRestForTheNextRun) {
  for (int i = 0; i < 5; ++i) add_conversation(bot_, 1);
  ASSERT_TRUE(set_retention(*store_, workspace_a_, {1, 1}, "cli").ok());
  RetentionOptions options;
  options.batch_size = 2;
  auto purged = apply_retention(*store_, workspace_a_, bot_, unix_millis() + 2 * kDay, options,
                                [](const store::PurgeCounts&) { return false; }, "cli");
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(purged->conversations, 2);
  EXPECT_EQ(audit_log().back().after["complete"], false);
  purged = apply_retention(*store_, workspace_a_, bot_, unix_millis() + 2 * kDay, options, {}, "cli");
  EXPECT_EQ(purged->conversations, 3);
}

TEST_F(GovernanceTest, TheSchedulerQueuesOneJobPerBotAndTheRunnerRunsIt) {
  create_bot(workspace_b_, "No retention");
  add_conversation(bot_, 1);
  EXPECT_EQ(queue_retention_jobs(*store_, unix_millis(), std::chrono::hours(24)).value(), 0);  // none set yet
  ASSERT_TRUE(set_retention(*store_, workspace_a_, {7, 7}, "cli").ok());
  EXPECT_EQ(queue_retention_jobs(*store_, unix_millis(), std::chrono::hours(24)).value(), 1);
  EXPECT_EQ(queue_retention_jobs(*store_, unix_millis(), std::chrono::hours(24)).value(), 0);  // still queued

  jobs::JobRunner runner(*store_);
  register_retention_jobs(runner);
  std::string job_id;
  ASSERT_TRUE(store_->read(store::Scope::workspace(workspace_a_), [&](store::ReadTx& tx) -> Status {
    store::JobFilter filter;
    filter.bot_id = bot_;
    filter.kind = std::string(kRetentionJobKind);
    PARLEY_ASSIGN_OR_RETURN(const auto queued, tx.jobs(filter));
    EXPECT_EQ(queued.size(), 1u);
    if (!queued.empty()) job_id = queued.front().id;
    return {};
  }).ok());
  const auto ran = runner.run_job(store::Scope::workspace(workspace_a_), job_id);
  ASSERT_TRUE(ran.ok()) << ran.error().message;
  EXPECT_EQ(ran->state, store::JobState::succeeded) << ran->error;
  EXPECT_EQ(ran->result["conversations"], 0);  // today's conversation is a week from going
  EXPECT_EQ(audit_log().back().actor, "system:retention");
  // Done today: the next one is due a day later.
  EXPECT_EQ(queue_retention_jobs(*store_, unix_millis(), std::chrono::hours(24)).value(), 0);
  EXPECT_EQ(queue_retention_jobs(*store_, unix_millis() + kDay + 1, std::chrono::hours(24)).value(), 1);
}

TEST_F(GovernanceTest, AnErasureIsAuditedWithItsCountsAndNeverTheData) {
  const std::string conversation = add_conversation(bot_, 2, "Call me on +1 650 253 0000");
  add_lead(bot_, "jo.doe@example.com", conversation);
  const auto erased = erase_person(*store_, workspace_a_, {"", " Jo.Doe@example.com "}, "user:usr_1");
  ASSERT_TRUE(erased.ok()) << erased.error().message;
  EXPECT_EQ(erased->leads, 1);
  EXPECT_EQ(erased->conversations, 1);
  EXPECT_EQ(erased->messages, 4);
  const auto entry = audit_log().back();
  EXPECT_EQ(entry.action, "data.erase");
  EXPECT_EQ(entry.actor, "user:usr_1");
  EXPECT_EQ(entry.after["by"], "email");
  EXPECT_EQ(entry.after["leads"], 1);
  const std::string recorded = audit::entry_view(entry).dump();
  EXPECT_THAT(recorded, Not(HasSubstr("jo.doe")));
  EXPECT_THAT(recorded, Not(HasSubstr(conversation)));

  // Nothing left: zero counts, not an error; and the request is on record.
  const auto again = erase_person(*store_, workspace_a_, {"", "jo.doe@example.com"}, "cli");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->nothing());
  EXPECT_EQ(erasure_json(*again)["nothing_to_erase"], true);
  EXPECT_EQ(audit_log().size(), 2u);

  // A visitor token names its conversation.
  const std::string visitor = add_conversation(bot_, 1);
  const auto by_token = erase_person(*store_, workspace_a_, {visitor + ".1767225600.c2lnbmF0dXJl", ""}, "cli");
  ASSERT_TRUE(by_token.ok()) << by_token.error().message;
  EXPECT_EQ(by_token->conversations, 1);

  for (const ErasureRequest& bad : {ErasureRequest{"", "not-an-email"}, ErasureRequest{"", ""},
                                    ErasureRequest{visitor, "jo@example.com"}, ErasureRequest{"conv_x'; DROP", ""}}) {
    const auto refused = erase_person(*store_, workspace_a_, bad, "cli");
    ASSERT_FALSE(refused.ok()) << bad.visitor << bad.email;
    EXPECT_EQ(refused.error().code, ErrorCode::invalid_request);
  }
  EXPECT_EQ(audit_log().size(), 3u);  // refused requests change nothing
}

TEST_F(GovernanceTest, TheFinetuneExportWritesRatedConversationsInTheOpenAiChatFormatRedacted) {
  ASSERT_TRUE(store_->write(store::Scope::workspace(workspace_a_), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(bot_));
    bot->settings["persona"] = "Friendly and brief.";
    PARLEY_TRY(tx.update_bot(*bot));
    return {};
  }).ok());
  const std::string liked = add_conversation(bot_, 1, "My email is jo@example.com, where is my order?");
  rate(liked, 1);
  const std::string disliked = add_conversation(bot_, 1, "Do you ship to Mars?");
  rate(disliked, -1);
  add_conversation(bot_, 1, "Unrated question");

  auto exported = export_finetune(*store_, workspace_a_, bot_, {}, "cli");
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  auto rows = lines(exported->jsonl);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(exported->conversations, 1);
  const Json& messages = rows[0]["messages"];
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0]["role"], "system");
  EXPECT_THAT(messages[0]["content"].get<std::string>(), HasSubstr("Friendly and brief."));
  EXPECT_EQ(messages[1]["role"], "user");
  EXPECT_EQ(messages[1]["content"], "My email is [EMAIL], where is my order?");
  EXPECT_EQ(messages[2]["role"], "assistant");
  EXPECT_FALSE(messages[2].contains("weight"));

  exported = export_finetune(*store_, workspace_a_, bot_, {.include_negative = true, .redact = false}, "user:usr_2");
  ASSERT_TRUE(exported.ok());
  rows = lines(exported->jsonl);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_THAT(exported->jsonl, HasSubstr("jo@example.com"));
  const Json& negative = rows[1]["messages"];
  EXPECT_EQ(negative[1]["content"], "Do you ship to Mars?");
  EXPECT_EQ(negative[2]["weight"], 0);  // kept as context, never learned from

  const auto log = audit_log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].after["redacted"], true);
  EXPECT_EQ(log[1].action, "conversations.export_finetune");
  EXPECT_EQ(log[1].actor, "user:usr_2");
  EXPECT_EQ(log[1].after["redacted"], false);
  EXPECT_EQ(log[1].after["conversations"], 2);

  const auto unknown = export_finetune(*store_, workspace_a_, "bot_missing", {}, "cli");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::not_found);
}

}  // namespace
}  // namespace parley::governance
