// Learning from misses and curated Q&A on the demo bot: a real store (SQLite, and PostgreSQL in learn_test_postgres),
// the real analyzer, retrieval and answer pipeline.
#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "evals/evals.h"
#include "learn/suggestions.h"
#include "support/demo_bot.h"

namespace parley::learn {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kFootball = "Do you sponsor football teams?";
constexpr const char* kFootballAnswer = "We sponsor the Leeds junior cycling club, not football teams.";

class Learning : public testing::DemoBot {
 protected:
  // A visitor's question and the bot's answer to it in a conversation of its own: `mode` fallback is a decline, a
  // `rating` of -1 a thumbs-down; a test conversation (the playground's) when `test`.
  void visitor_asks(const std::string& question, const std::string& mode, int rating = 0, bool test = false) {
    ASSERT_TRUE(db_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto conversation, tx.create_conversation(bot_));
      if (test) PARLEY_TRY(tx.mark_test_conversation(conversation.id));
      store::Message asked;
      asked.conversation_id = conversation.id;
      asked.role = "user";
      asked.text = question;
      PARLEY_TRY(tx.append_message(asked));
      store::Message answer;
      answer.conversation_id = conversation.id;
      answer.role = "assistant";
      answer.text = mode == "fallback" ? "Sorry, I don't know that one." : "Something unhelpful.";
      answer.mode = mode;
      PARLEY_ASSIGN_OR_RETURN(const auto stored, tx.append_message(answer));
      if (rating != 0) PARLEY_TRY(tx.set_feedback(conversation.id, stored.id, rating));
      return {};
    }).ok());
  }

  std::vector<Suggestion> suggestions() {
    std::vector<Suggestion> out;
    const auto status = db_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, list_suggestions(tx, bot_));
      return {};
    });
    EXPECT_TRUE(status.ok()) << status.error().message;
    return out;
  }

  std::vector<CuratedPair> pairs() {
    std::vector<CuratedPair> out;
    EXPECT_TRUE(db_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, list_pairs(tx, bot_));
      return {};
    }).ok());
    return out;
  }

  std::vector<store::EvalCase> tests() {
    std::vector<store::EvalCase> out;
    EXPECT_TRUE(db_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, evals::list_cases(tx, bot_));
      return {};
    }).ok());
    return out;
  }

  Result<Answered> answer(const std::string& suggestion, CuratedAnswer wanted) {
    std::optional<Answered> answered;
    const auto status = db_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(answered, answer_suggestion(tx, bot_, suggestion, wanted));
      return {};
    });
    if (!status.ok()) return status.error();
    return *answered;
  }

  // Runs `work` (a Result<Value> of a write transaction) in one; its value or error.
  template <typename Work,
            typename Value = std::decay_t<decltype(std::declval<Work>()(std::declval<store::WriteTx&>()).value())>>
  Result<Value> write(Work work) {
    std::optional<Value> value;
    const auto status = db_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(value, work(tx));
      return {};
    });
    if (!status.ok()) return status.error();
    return *value;
  }
};

TEST_F(Learning, MissesWithTheSameAnalysedTermsAreOneSuggestionWithCountsAndExamples) {
  visitor_asks("How do I return a bike?", "fallback");
  visitor_asks("how do i return a bike", "fallback");            // the same wording, folded
  visitor_asks("Returning bikes", "extractive", -1);              // a thumbs-down, inflected
  visitor_asks("Bike return?", "fallback");                       // another order
  visitor_asks(kFootball, "fallback");
  visitor_asks("Where are you?", "extractive", +1);               // a thumbs-up is no miss
  visitor_asks("Do you ship to Mars?", "extractive");             // neither declined nor rated
  visitor_asks("Can I pay with crypto?", "fallback", 0, true);    // the playground's: not visitors'

  const auto open = suggestions();
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].count, 4);
  EXPECT_EQ(open[0].declined, 3);
  EXPECT_EQ(open[0].thumbs_down, 1);
  EXPECT_THAT(open[0].question, ::testing::AnyOf("How do I return a bike?", "how do i return a bike"));
  // Distinct wordings (folded), latest first.
  EXPECT_EQ(open[0].examples.size(), 3u);
  EXPECT_EQ(open[0].examples[0], "Bike return?");
  EXPECT_EQ(open[1].question, kFootball);
  EXPECT_EQ(open[1].count, 1);
  EXPECT_THAT(open[1].examples, ElementsAre(kFootball));
  EXPECT_THAT(open[0].id, ::testing::StartsWith("sg_"));
  EXPECT_NE(open[0].id, open[1].id);
  // Stable: the same list again has the same ids.
  EXPECT_EQ(suggestions()[0].id, open[0].id);
}

TEST_F(Learning, AnsweringASuggestionTeachesTheBotAtOnceAndTakesItOffTheList) {
  visitor_asks(kFootball, "fallback");
  visitor_asks("football team sponsoring", "fallback");
  EXPECT_EQ(ask(kFootball).mode, "fallback");
  const auto open = suggestions();
  ASSERT_EQ(open.size(), 1u);

  const auto answered = answer(open[0].id, {{"", kFootballAnswer}, true});
  ASSERT_TRUE(answered.ok()) << answered.error().message;
  EXPECT_EQ(answered->pair.question, open[0].question);  // the suggestion's own wording
  EXPECT_EQ(answered->pair.answer, kFootballAnswer);
  ASSERT_TRUE(answered->test.has_value());
  EXPECT_EQ(answered->test->question, open[0].question);
  EXPECT_EQ(answered->test->expect_source, answered->pair.uri);

  EXPECT_THAT(suggestions(), IsEmpty());
  const auto reply = ask(kFootball);
  EXPECT_EQ(reply.mode, "faq");
  EXPECT_EQ(reply.text, kFootballAnswer);
  ASSERT_FALSE(reply.sources.empty());
  EXPECT_EQ(reply.sources[0].url, answered->pair.uri);
  // The test case added with it passes.
  const auto run = evals::run_suite(*db_, *chat_, scope(), bot_);
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_EQ(run->passed, 1);
  EXPECT_EQ(run->failed, 0);

  // Answered once: a second answer to the same suggestion is refused, nothing added.
  const auto again = answer(open[0].id, {{"", "Another answer."}, false});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::not_found);
  EXPECT_EQ(pairs().size(), 1u);

  // Missed again afterwards (a wording the pair does not catch), the suggestion is back with the new misses only.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  visitor_asks("Do you sponsor football teams", "extractive", -1);
  const auto back = suggestions();
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].id, open[0].id);
  EXPECT_EQ(back[0].count, 1);
}

TEST_F(Learning, BadAnswersAreRefusedAndNothingChanges) {
  visitor_asks(kFootball, "fallback");
  const auto open = suggestions();
  ASSERT_EQ(open.size(), 1u);

  const auto unknown = answer("sg_0000000000000000", {{"", kFootballAnswer}, true});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::not_found);
  EXPECT_THAT(unknown.error().message, HasSubstr("no such suggestion"));

  const auto empty = answer(open[0].id, {{"", "  \n "}, true});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::invalid_request);
  EXPECT_THAT(empty.error().message, HasSubstr("the answer is empty"));

  const auto too_long = answer(open[0].id, {{"", std::string(10001, 'a')}, true});
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, ErrorCode::payload_too_large);

  const auto not_utf8 = answer(open[0].id, {{"", "caf\xC3"}, false});
  ASSERT_FALSE(not_utf8.ok());
  EXPECT_EQ(not_utf8.error().code, ErrorCode::invalid_utf8);

  EXPECT_EQ(suggestions().size(), 1u);
  EXPECT_THAT(pairs(), IsEmpty());
  EXPECT_THAT(tests(), IsEmpty());
  EXPECT_EQ(ask(kFootball).mode, "fallback");

  std::optional<Result<std::vector<Suggestion>>> of_unknown_bot;
  ASSERT_TRUE(db_->read(scope(), [&](store::ReadTx& tx) -> Status {
    of_unknown_bot = list_suggestions(tx, "bot_unknown");
    return {};
  }).ok());
  ASSERT_FALSE(of_unknown_bot->ok());
  EXPECT_EQ(of_unknown_bot->error().code, ErrorCode::not_found);
}

TEST_F(Learning, APairTypedForAKnownMissSettlesItsSuggestion) {
  visitor_asks(kFootball, "fallback");
  visitor_asks("Can I rent a bike?", "fallback");
  const auto added = write([&](store::WriteTx& tx) {
    return add_curated_answer(tx, bot_, {{"Football teams: do you sponsor them?", kFootballAnswer}, false});
  });
  ASSERT_TRUE(added.ok()) << added.error().message;
  ASSERT_TRUE(added->suggestion.has_value());
  EXPECT_EQ(added->suggestion->question, kFootball);
  EXPECT_FALSE(added->test.has_value());
  const auto open = suggestions();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].question, "Can I rent a bike?");
}

TEST_F(Learning, CuratedPairsAreListedEditedAndDeletedOneByOne) {
  const auto first = write([&](store::WriteTx& tx) { return add_pair(tx, bot_, {kFootball, kFootballAnswer}); });
  ASSERT_TRUE(first.ok()) << first.error().message;
  const auto second = write([&](store::WriteTx& tx) {
    return add_pair(tx, bot_, {"Can I rent a bike?", "Yes, city bikes from 15 euros a day at the Leeds shop."});
  });
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(pairs().size(), 2u);
  EXPECT_EQ(pairs()[0].id, first->id);
  EXPECT_EQ(pairs()[1].question, "Can I rent a bike?");
  EXPECT_EQ(ask("Can I rent a bike?").mode, "faq");

  // The pairs live in the bot's one curated source.
  std::vector<store::Source> sources;
  ASSERT_TRUE(db_->read(scope(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(sources, tx.sources(bot_));
    return {};
  }).ok());
  int curated = 0;
  for (const auto& source : sources) curated += source.kind == store::SourceKind::curated ? 1 : 0;
  EXPECT_EQ(curated, 1);
  EXPECT_EQ(first->source_id, second->source_id);

  // An edit re-indexes that pair only: the other pair's chunk keeps its id.
  const auto chunk_ids = [&](const std::string& document) {
    std::vector<std::int64_t> ids;
    EXPECT_TRUE(db_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto chunks, tx.document_chunks(document));
      for (const auto& chunk : chunks) ids.push_back(chunk.id);
      return {};
    }).ok());
    return ids;
  };
  const auto second_chunks = chunk_ids(second->id);
  const auto edited = write([&](store::WriteTx& tx) {
    return update_pair(tx, bot_, first->id, {kFootball, "Only the Leeds junior cycling club, since 2019."});
  });
  ASSERT_TRUE(edited.ok()) << edited.error().message;
  EXPECT_EQ(edited->id, first->id);
  EXPECT_EQ(edited->uri, first->uri);
  EXPECT_EQ(chunk_ids(second->id), second_chunks);
  EXPECT_EQ(ask(kFootball).text, "Only the Leeds junior cycling club, since 2019.");

  const auto refused = write([&](store::WriteTx& tx) { return update_pair(tx, bot_, first->id, {"", "An answer."}); });
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("the question is empty"));
  const auto missing = write([&](store::WriteTx& tx) { return update_pair(tx, bot_, "doc_unknown", {"Q?", "A."}); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);

  const auto removed = write([&](store::WriteTx& tx) { return remove_pair(tx, bot_, first->id); });
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->question, kFootball);
  ASSERT_EQ(pairs().size(), 1u);
  EXPECT_NE(ask(kFootball).text, "Only the Leeds junior cycling club, since 2019.");
  const auto gone = write([&](store::WriteTx& tx) { return remove_pair(tx, bot_, first->id); });
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::not_found);
}

TEST_F(Learning, ASourceNamedLikeTheCuratedOneIsNotTakenOver) {
  ASSERT_TRUE(db_->write(scope(), [&](store::WriteTx& tx) -> Status {
    PARLEY_TRY(tx.create_source(bot_, store::SourceKind::file, "Curated Q&A"));
    return {};
  }).ok());
  const auto added = write([&](store::WriteTx& tx) { return add_pair(tx, bot_, {kFootball, kFootballAnswer}); });
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code, ErrorCode::conflict);
}

}  // namespace
}  // namespace parley::learn
