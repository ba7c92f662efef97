// The demo bot on the questions written for it (src/demo/demo-questions.txt): "none" questions must be declined,
// "page" questions answered from a help-centre page, "faq" questions (paraphrases of curated questions) answered
// with the curated answer. The FAQ paraphrases share few words with their curated questions, so not all of them
// reach the FAQ threshold without a model; the floors below are what the no-model pipeline achieves and guard it
// against regressions.
#include <fstream>
#include <iostream>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "chat/chat_service.h"
#include "ingest/report.h"
#include "support/demo_bot.h"

namespace parley::chat {
namespace {

struct DemoQuestion {
  std::string kind;
  std::string text;
};

std::vector<DemoQuestion> demo_questions() {
  std::ifstream in(std::string(PARLEY_SOURCE_DIR) + "/src/demo/demo-questions.txt");
  std::vector<DemoQuestion> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto bar = line.find('|');
    if (bar != std::string::npos) out.push_back({line.substr(0, bar), line.substr(bar + 1)});
  }
  return out;
}

using testing::DemoBot;

// Issue 14: the curated "Yes, within 30 days ..." answered "after 40 days" with a false yes.
TEST_F(DemoBot, AQuestionWhoseNumberTheAnswerContradictsGetsThePolicyWithoutAVerdict) {
  const auto answer = ask("Can I return a bike after 40 days?");
  if (answer.mode != "fallback") {
    EXPECT_THAT(answer.text, ::testing::Not(::testing::StartsWith("Yes")));
    EXPECT_THAT(answer.text, ::testing::HasSubstr("30 days"));
  }
  // The same question within the policy keeps its verdict.
  const auto within = ask("Can I return an e-bike after riding it for 30 days?");
  EXPECT_EQ(within.mode, "faq");
  EXPECT_THAT(within.text, ::testing::StartsWith("Yes"));
}

// Issue 14: "unicycles" occurs nowhere in the demo's knowledge; "sell" matched the privacy policy's "we don't sell
// your personal information".
TEST_F(DemoBot, AQuestionAboutSomethingTheKnowledgeNeverNamesIsDeclined) {
  EXPECT_EQ(ask("Do you sell unicycles?").mode, "fallback");
  // A misspelt word the knowledge does use is no such word.
  EXPECT_NE(ask("How long does a refunnd take?").mode, "fallback");
}

// Issue 14: "How long does delivery take?" got "How long does a refund take?": no word of the right curated question
// ("How long will my order take to arrive?") is "delivery". The demo bot's own synonyms (settings.synonyms) link them.
TEST_F(DemoBot, TheBotsOwnSynonymsFindTheCuratedQuestionInOtherWords) {
  const auto answer = ask("How long does delivery take?");
  EXPECT_EQ(answer.mode, "faq");
  ASSERT_FALSE(answer.sources.empty());
  EXPECT_EQ(answer.sources.front().title, "How long will my order take to arrive?");
  EXPECT_THAT(answer.text, ::testing::HasSubstr("business days"));
}

// Issue 14: a Markdown table's rows reached answers as bare "Class 3 | Only while you pedal | 28 mph" lines.
TEST_F(DemoBot, TableRowsAreAnsweredUnderTheirHeaderRow) {
  const auto answer = ask("What is the top assisted speed of a class 3 e-bike?");
  ASSERT_NE(answer.mode, "fallback");
  if (answer.text.find(" | ") != std::string::npos) {
    EXPECT_THAT(answer.text, ::testing::HasSubstr("|---|"));
    EXPECT_THAT(answer.text, ::testing::HasSubstr("| Class | How the motor assists | Assistance stops at |"));
  }
}

// Issue 14, bad input: each gets an answer or the fallback, never an error; none of these matches on nothing.
TEST_F(DemoBot, OddQuestionsGetAnAnswerOrTheFallback) {
  // 4,000 characters: a real question buried in repeated filler still finds its page.
  std::string long_question = "How long does a refund take? ";
  while (long_question.size() < 4000) long_question += "Please tell me everything about this. ";
  long_question.resize(4000);
  const auto long_answer = ask(long_question);
  EXPECT_FALSE(long_answer.text.empty());
  for (const char* odd : {"?!?!... ,,, ;;; !!!", "\xF0\x9F\x9A\xB2\xF0\x9F\x94\x8B\xF0\x9F\xA4\x94",
                          "\xD0\x9A\xD0\xB0\xD0\xBA \xD0\xB2\xD0\xB5\xD1\x80\xD0\xBD\xD1\x83\xD1\x82\xD1\x8C "
                          "\xD0\xB2\xD0\xB5\xD0\xBB\xD0\xBE\xD1\x81\xD0\xB8\xD0\xBF\xD0\xB5\xD0\xB4?",
                          "\xE8\x87\xAA\xE8\xA1\x8C\xE8\xBD\xA6\xE5\x8F\xAF\xE4\xBB\xA5\xE9\x80\x80\xE8\xB4\xA7\xE5\x90\x97"}) {
    // Punctuation only, emoji only, Russian and Chinese (the demo bot's knowledge is English).
    const auto answer = ask(odd);
    EXPECT_EQ(answer.mode, "fallback") << odd << " -> " << answer.text;
    EXPECT_FALSE(answer.text.empty());
  }
}

TEST_F(DemoBot, ABotWithNoKnowledgeAnswersWithItsFallback) {
  std::string empty_bot;
  ASSERT_TRUE(db_->write(store::Scope::workspace(workspace_), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot("Empty", store::Json::object()));
    empty_bot = bot.id;
    return {};
  }).ok());
  auto answer = chat_->answer(store::Scope::workspace(workspace_), empty_bot, "How long does a refund take?");
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->mode, "fallback");
  EXPECT_FALSE(answer->text.empty());
  EXPECT_TRUE(answer->sources.empty());
}

TEST_F(DemoBot, DeclinesAnswersFromPagesAndReturnsCuratedAnswers) {
  const auto questions = demo_questions();
  ASSERT_GE(questions.size(), 20u);
  std::map<std::string, int> asked, expected_mode;
  for (const auto& question : questions) {
    auto answer = chat_->answer(store::Scope::workspace(workspace_), bot_, question.text);
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    const std::string wanted = question.kind == "none" ? "fallback" : question.kind == "page" ? "extractive" : "faq";
    ++asked[question.kind];
    if (answer->mode == wanted) {
      ++expected_mode[question.kind];
    } else {
      std::cerr << "  " << question.kind << "|" << question.text << " -> " << answer->mode << "\n";
    }
    if (answer->mode == "fallback") {
      EXPECT_THAT(answer->sources, ::testing::IsEmpty());
    } else {
      EXPECT_FALSE(answer->sources.empty()) << question.text;
    }
  }
  EXPECT_EQ(expected_mode["none"], asked["none"]);
  EXPECT_GE(expected_mode["page"], asked["page"] - 1);
  EXPECT_GE(expected_mode["faq"], 8);
}

// Issue 15, finding 10: the ingest-time injection screen flagged chunks of the demo's own help pages
// (battery-care.md, faq.csv, repair-service.md), and the default content policy left them out of answers. None of
// the help centre may be screened out, and questions answered by those pages are answered from them.
TEST_F(DemoBot, NoPassageOfTheHelpCentreIsScreenedOutAsAnInjection) {
  ASSERT_GT(chunks_, 100u);

  auto report = ingest::build_report(*db_, store::Scope::workspace(workspace_), bot_);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ((*report)["summary"]["suspected_injections"], 0) << (*report)["suspected_injections"].dump(2);

  for (const auto& [question, file] : std::vector<std::pair<std::string, std::string>>{
           {"How should I store my e-bike battery over the winter?", "battery-care.md"},
           {"Can I charge the battery right after a ride in the cold?", "battery-care.md"},
           {"How much extra is express same-day repair service?", "repair-service.md"},
           {"Do you repair e-bikes from other brands?", "repair-service.md"},
           {"How long does shipping take?", "faq.csv"}}) {
    auto answer = chat_->answer(store::Scope::workspace(workspace_), bot_, question);
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    std::string cited;
    for (const auto& source : answer->sources) cited += source.url + " " + source.title + "; ";
    EXPECT_NE(cited.find(file), std::string::npos) << question << " -> " << answer->mode << ": " << cited;
  }
}

}  // namespace
}  // namespace parley::chat
