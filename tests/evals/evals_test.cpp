// A bot's test suite on the demo bot: real SQLite, the real retrieval and answer pipeline.
#include "evals/evals.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/demo_bot.h"

namespace parley::evals {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

chat::ComposedAnswer answer_of(std::string text, std::string mode, std::vector<chat::Citation> sources = {}) {
  return {std::move(text), std::move(mode), 0.8, std::move(sources)};
}

store::EvalCase expecting(std::string source, std::string text, bool decline) {
  store::EvalCase eval_case;
  eval_case.question = "?";
  eval_case.expect_source = std::move(source);
  eval_case.expect_text = std::move(text);
  eval_case.expect_decline = decline;
  return eval_case;
}

TEST(Judge, MatchesPhrasesAndSourcesCaseFolded) {
  const auto answer = answer_of("Returns are accepted within 30 DAYS of delivery.", "extractive",
                                {{1, "Returns › Time limit", "https://example.com/help/returns", "", 0.9}});
  EXPECT_THAT(judge(expecting("", "30 days", false), answer), IsEmpty());
  EXPECT_THAT(judge(expecting("returns › TIME", "", false), answer), IsEmpty());       // by title
  EXPECT_THAT(judge(expecting("/HELP/returns", "", false), answer), IsEmpty());        // by URL
  EXPECT_THAT(judge(expecting("", "Été", false), answer_of("En été, oui.", "faq")), IsEmpty());  // folded beyond ASCII
  EXPECT_THAT(judge(expecting("shipping", "60 days", false), answer),
              ElementsAre("the answer does not contain \"60 days\"", "no cited source matches \"shipping\""));
}

TEST(Judge, ADeclineIsAFallbackAnswer) {
  EXPECT_THAT(judge(expecting("", "", true), answer_of("I don't know that one.", "fallback")), IsEmpty());
  EXPECT_THAT(judge(expecting("", "", true), answer_of("Yes.", "faq")), ElementsAre("expected a decline, got a faq answer"));
  // A decline fails a case that wants an answer.
  EXPECT_THAT(judge(expecting("returns", "", false), answer_of("I don't know that one.", "fallback")),
              ElementsAre("no cited source matches \"returns\""));
}

// The demo bot with a test suite.
class EvalSuite : public testing::DemoBot {
 protected:
  Result<store::EvalCase> add(const NewCase& wanted, const std::string& bot = "") {
    std::optional<store::EvalCase> created;
    const auto status = db_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(created, add_case(tx, bot.empty() ? bot_ : bot, wanted));
      return {};
    });
    if (!status.ok()) return status.error();
    return *created;
  }

  std::vector<store::EvalCase> cases() {
    std::vector<store::EvalCase> out;
    EXPECT_TRUE(db_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, list_cases(tx, bot_));
      return {};
    }).ok());
    return out;
  }
};

TEST_F(EvalSuite, BadCasesAreRefusedWithAClearErrorAndNothingIsStored) {
  const auto no_expectation = add({"How long do returns take?", "", "", false});
  ASSERT_FALSE(no_expectation.ok());
  EXPECT_EQ(no_expectation.error().code, ErrorCode::invalid_request);
  EXPECT_THAT(no_expectation.error().message, HasSubstr("needs an expectation"));

  const auto empty_question = add({" \t", "", "30 days", false});
  ASSERT_FALSE(empty_question.ok());
  EXPECT_EQ(empty_question.error().message, "the question is empty");

  const auto bad_utf8 = add({"Returns\xC3(", "", "30 days", false});
  ASSERT_FALSE(bad_utf8.ok());
  EXPECT_EQ(bad_utf8.error().code, ErrorCode::invalid_utf8);

  const auto blank_phrase = add({"How long do returns take?", "", "   ", false});
  ASSERT_FALSE(blank_phrase.ok());
  EXPECT_EQ(blank_phrase.error().message, "the expected text is empty");

  const auto long_question = add({std::string(2001, 'a'), "", "30 days", false});
  ASSERT_FALSE(long_question.ok());
  EXPECT_EQ(long_question.error().code, ErrorCode::payload_too_large);

  const auto unknown_bot = add({"How long do returns take?", "", "30 days", false}, "bot_unknown");
  ASSERT_FALSE(unknown_bot.ok());
  EXPECT_EQ(unknown_bot.error().code, ErrorCode::not_found);
  EXPECT_EQ(unknown_bot.error().message, "no such bot");

  EXPECT_THAT(cases(), IsEmpty());
}

TEST_F(EvalSuite, RemovingAnUnknownCaseOrFromAnUnknownBotChangesNothing) {
  const auto kept = add({"How many days do I have to send something back?", "", "30 days", false});
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  const auto remove = [&](const std::string& bot, const std::string& case_id) {
    return db_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_TRY(remove_case(tx, bot, case_id));
      return {};
    });
  };
  const auto unknown_case = remove(bot_, "case_unknown");
  ASSERT_FALSE(unknown_case.ok());
  EXPECT_EQ(unknown_case.error().code, ErrorCode::not_found);
  EXPECT_THAT(unknown_case.error().message, HasSubstr("case_unknown"));
  const auto unknown_bot = remove("bot_unknown", kept->id);
  ASSERT_FALSE(unknown_bot.ok());
  EXPECT_EQ(unknown_bot.error().code, ErrorCode::not_found);
  ASSERT_EQ(cases().size(), 1u);

  ASSERT_TRUE(remove(bot_, kept->id).ok());
  EXPECT_THAT(cases(), IsEmpty());
}

TEST_F(EvalSuite, ARunOfAnUnknownBotIsAnError) {
  const auto run = run_suite(*db_, *chat_, scope(), "bot_unknown");
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.error().code, ErrorCode::not_found);
}

TEST_F(EvalSuite, ARunJudgesEveryCaseAndShowsTheChangeFromTheLastRun) {
  const auto returns = add({"How many days do I have to send something back?", "", "30-day", false});
  const auto scooters = add({"Do you sell electric scooters?", "", "", true});
  const auto missing = add({"How do I adjust my brakes?", "no-such-page.html", "", false});
  ASSERT_TRUE(returns.ok() && scooters.ok() && missing.ok());

  auto first = run_suite(*db_, *chat_, scope(), bot_);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->passed, 2);
  EXPECT_EQ(first->failed, 1);
  ASSERT_EQ(first->cases.size(), 3u);
  const auto& answered = first->cases[0];
  EXPECT_EQ(answered.eval_case.id, returns->id);
  EXPECT_TRUE(answered.result.passed) << answered.result.answer;
  EXPECT_THAT(answered.result.answer, HasSubstr("30-day"));
  EXPECT_FALSE(answered.result.sources.empty());
  EXPECT_FALSE(answered.eval_case.last.has_value());  // never ran before
  EXPECT_FALSE(answered.changed());
  EXPECT_EQ(first->cases[1].result.mode, "fallback");
  EXPECT_TRUE(first->cases[1].result.passed);
  EXPECT_FALSE(first->cases[2].result.passed);
  EXPECT_THAT(first->cases[2].failures, ElementsAre("no cited source matches \"no-such-page.html\""));

  // The results are kept: the list shows them.
  auto listed = cases();
  ASSERT_EQ(listed.size(), 3u);
  ASSERT_TRUE(listed[0].last.has_value());
  EXPECT_TRUE(listed[0].last->passed);
  EXPECT_EQ(listed[0].last->answer, answered.result.answer);
  EXPECT_FALSE(listed[2].last->passed);

  // The owner shrinks the message limit below the first question's length: that case now fails, and the run says
  // it passed last time.
  ASSERT_TRUE(db_->write(scope(), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(bot_));
    bot->settings["max_message_chars"] = 40;
    PARLEY_TRY(tx.update_bot(*bot));
    return {};
  }).ok());
  auto second = run_suite(*db_, *chat_, scope(), bot_);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->passed, 1);
  EXPECT_EQ(second->failed, 2);
  const auto& now_failing = second->cases[0];
  EXPECT_FALSE(now_failing.result.passed);
  EXPECT_THAT(now_failing.failures, ElementsAre(HasSubstr("the bot gave no answer")));
  ASSERT_TRUE(now_failing.eval_case.last.has_value());
  EXPECT_TRUE(now_failing.eval_case.last->passed);
  EXPECT_TRUE(now_failing.changed());
  EXPECT_FALSE(second->cases[1].changed());  // still declined
  EXPECT_FALSE(second->cases[2].changed());  // still failing

  const auto json = run_json(*second);
  EXPECT_EQ(json["passed"], 1);
  EXPECT_EQ(json["failed"], 2);
  ASSERT_EQ(json["cases"].size(), 3u);
  EXPECT_EQ(json["cases"][0]["question"], "How many days do I have to send something back?");
  EXPECT_EQ(json["cases"][0]["expectations"]["text"], "30-day");
  EXPECT_TRUE(json["cases"][0]["expectations"]["source"].is_null());
  EXPECT_EQ(json["cases"][0]["changed"], true);
  EXPECT_EQ(json["cases"][0]["previous"]["passed"], true);
  EXPECT_THAT(json["cases"][0]["previous"]["answer"].get<std::string>(), HasSubstr("30-day"));
  EXPECT_EQ(json["cases"][1]["expectations"]["decline"], true);
}

}  // namespace
}  // namespace parley::evals
