#include "search/scoring.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::search {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;

QueryTerm term(std::string stem, double idf, std::int64_t document_frequency = 5, std::string word = "") {
  QueryTerm out;
  out.word = word.empty() ? stem : std::move(word);
  out.term = std::move(stem);
  out.idf = idf;
  out.document_frequency = document_frequency;
  return out;
}

FieldTerms field(const std::string& index_form) { return index_field(index_form); }

TEST(TrigramSimilarity, IsOneForEqualWordsHighForTyposAndZeroForUnrelatedWords) {
  EXPECT_DOUBLE_EQ(trigram_similarity("battery", "battery"), 1.0);
  EXPECT_GT(trigram_similarity("illnes", "illness"), 0.7);
  EXPECT_GT(trigram_similarity("concered", "concerned"), 0.6);
  EXPECT_DOUBLE_EQ(trigram_similarity("refund", "bicycle"), 0.0);
  EXPECT_DOUBLE_EQ(trigram_similarity("", ""), 0.0);
}

TEST(TermMatch, ExactStemAlternativeAndDerivedForm) {
  QueryTerm kid = term("kid", 2.0);
  kid.alternatives.push_back({"child", 0.6});
  EXPECT_DOUBLE_EQ(term_match(kid, "kid", "kids"), 1.0);
  EXPECT_DOUBLE_EQ(term_match(kid, "child", "children"), 0.6);
  EXPECT_DOUBLE_EQ(term_match(kid, "goat", "goat"), 0.0);
  // The stemmer leaves "treatment" apart from "treat"; a long shared prefix counts as a derived form.
  EXPECT_GT(term_match(term("treat", 2.0), "treatment", "treatment"), 0.5);
  // Short prefixes are often different words.
  EXPECT_DOUBLE_EQ(term_match(term("pass", 2.0), "password", "password"), 0.0);
}

TEST(TermMatch, FuzzyOnlyForTermsTheCollectionDoesNotKnow) {
  const QueryTerm typo = term("illn", 5.0, /*document_frequency=*/0, "illnes");
  EXPECT_GT(term_match(typo, "ill", "illness"), 0.7);
  const QueryTerm known = term("illn", 5.0, /*document_frequency=*/3, "illnes");
  EXPECT_DOUBLE_EQ(term_match(known, "ill", "illness"), 0.0);
}

TEST(IndexField, SplitsTheStoredIndexForm) {
  const FieldTerms terms = field("reset  password ");
  EXPECT_THAT(terms.stems, ElementsAre("reset", "password"));
  EXPECT_TRUE(terms.words.empty());  // the stems stand for the written forms
  EXPECT_EQ(terms.word(1), "password");
}

TEST(AnalyseField, KeepsWrittenWordsBesideTheirStems) {
  const text::Analyzer analyzer("en");
  const FieldTerms terms = analyse_field(analyzer, "Shipping the parcels");
  EXPECT_THAT(terms.stems, ElementsAre("ship", "parcel"));
  EXPECT_THAT(terms.words, ElementsAre("shipping", "parcels"));
}

TEST(WeightedCoverage, WeighsTermsByIdf) {
  const std::vector<QueryTerm> query = {term("refund", 3.0), term("order", 1.0)};
  EXPECT_DOUBLE_EQ(weighted_coverage(query, match_field(query, field("refund polici"))), 0.75);
  EXPECT_DOUBLE_EQ(weighted_coverage(query, match_field(query, field("order status"))), 0.25);
  EXPECT_DOUBLE_EQ(weighted_coverage(query, match_field(query, field("refund your order"))), 1.0);
  EXPECT_DOUBLE_EQ(weighted_coverage(query, match_field(query, field(""))), 0.0);
}

TEST(FieldExplained, IsLowWhenTheFieldIsAboutMoreThanTheQuestion) {
  const std::vector<QueryTerm> query = {term("virus", 1.0), term("spread", 1.0)};
  const FieldTerms short_title = field("virus spread");
  const FieldTerms long_title = field("virus spread food refriger frozen");
  const auto unit_weight = [](const std::string&) { return 1.0; };
  EXPECT_DOUBLE_EQ(field_explained(short_title, match_field(query, short_title), unit_weight), 1.0);
  EXPECT_DOUBLE_EQ(field_explained(long_title, match_field(query, long_title), unit_weight), 0.4);
  // Repeated field terms count once.
  const FieldTerms repeated = field("virus virus food");
  EXPECT_DOUBLE_EQ(field_explained(repeated, match_field(query, repeated), unit_weight), 0.5);
}

TEST(PhraseShare, CountsAdjacentQuestionPairsFoundAdjacentInEitherOrder) {
  const std::vector<QueryTerm> query = {term("screen", 1.0), term("timeout", 2.0), term("chang", 1.0)};
  EXPECT_DOUBLE_EQ(phrase_share(query, match_field(query, field("set the screen timeout"))), 0.5);
  EXPECT_DOUBLE_EQ(phrase_share(query, match_field(query, field("chang timeout screen"))), 1.0);
  EXPECT_DOUBLE_EQ(phrase_share(query, match_field(query, field("screen off after a timeout"))), 0.0);
  EXPECT_DOUBLE_EQ(phrase_share({term("screen", 1.0)}, match_field({term("screen", 1.0)}, field("screen"))), 0.0);
}

TEST(PhraseShare, DoesNotSpanTwoFields) {
  const std::vector<QueryTerm> query = {term("screen", 1.0), term("timeout", 1.0)};
  FieldTerms joined = field("lock screen");
  append_field(joined, field("timeout"));
  EXPECT_DOUBLE_EQ(phrase_share(query, match_field(query, joined)), 0.0);
}

TEST(PlanMatch, TakesRarestTermsWithinTheBudgetAndSynonymsLast) {
  const MatchPlan plan = plan_match({{"bike", 900, 0.5, false},
                                     {"hinge", 10, 4.0, false},
                                     {"latch", 30, 3.0, false},
                                     {"lock", 20, 1.0, true},
                                     {"unknown", 0, 9.0, false}},
                                    /*budget=*/100);
  EXPECT_FALSE(plan.all_terms);
  EXPECT_THAT(plan.terms, ElementsAre("hinge", "latch", "lock"));
  EXPECT_THAT(plan.weights, ElementsAre(4.0, 3.0, 1.0));
}

TEST(PlanMatch, MatchesTheTwoRarestTogetherWhenEvenTheRarestIsOverBudget) {
  const MatchPlan plan = plan_match({{"bike", 900, 0.5, false}, {"order", 500, 0.7, false}, {"ship", 700, 0.6, false}},
                                    /*budget=*/100);
  EXPECT_TRUE(plan.all_terms);
  EXPECT_THAT(plan.terms, ElementsAre("order", "ship"));
}

TEST(PlanMatch, KeepsASingleCommonTermAndNothingForUnknownTerms) {
  EXPECT_THAT(plan_match({{"bike", 900, 0.5, false}}, 100).terms, ElementsAre("bike"));
  EXPECT_TRUE(plan_match({{"scooter", 0, 9.0, false}}, 100).terms.empty());
}

TEST(HarmonicMean, IsZeroWhenEitherIsZero) {
  EXPECT_DOUBLE_EQ(harmonic_mean(0, 0), 0.0);
  EXPECT_DOUBLE_EQ(harmonic_mean(1, 0), 0.0);
  EXPECT_THAT(harmonic_mean(1, 0.5), DoubleNear(2.0 / 3.0, 1e-12));
}

TEST(QuestionForm, ReadsTheKindOfAnswerFromTheOpeningWords) {
  EXPECT_EQ(question_form("en", "Who is most vulnerable to COVID-19?"), QuestionForm::who);
  EXPECT_EQ(question_form("en", "Where can I get the vaccine?"), QuestionForm::where);
  EXPECT_EQ(question_form("en", "When is someone infectious?"), QuestionForm::when);
  EXPECT_EQ(question_form("en", "Why should I get vaccinated?"), QuestionForm::why);
  EXPECT_EQ(question_form("en", "How long does protection last?"), QuestionForm::duration);
  EXPECT_EQ(question_form("en", "How much does it cost?"), QuestionForm::amount);
  EXPECT_EQ(question_form("en", "How can I protect my family?"), QuestionForm::how);
  EXPECT_EQ(question_form("en", "What is a coronavirus?"), QuestionForm::what);
  EXPECT_EQ(question_form("en", "Which vaccine is better?"), QuestionForm::what);
  EXPECT_EQ(question_form("en", "Is it safe to travel?"), QuestionForm::yes_no);
  EXPECT_EQ(question_form("en", "Should I wear a mask?"), QuestionForm::yes_no);
}

TEST(QuestionForm, TreatsWhatToDoAsHowAndNegatedAuxiliariesAsYesNo) {
  // Asking what to do asks for a way of acting, as "how" does.
  EXPECT_EQ(question_form("en", "What should pregnant women do?"), QuestionForm::how);
  EXPECT_EQ(question_form("en", "what to do if my flight is cancelled"), QuestionForm::how);
  EXPECT_EQ(question_form("en", "Can't I return it?"), QuestionForm::yes_no);
  EXPECT_EQ(question_form("en", "Isn\u2019t the vaccine too new?"), QuestionForm::yes_no);  // typographic apostrophe
  EXPECT_EQ(question_form("en", "WON'T it hurt?"), QuestionForm::yes_no);
  // A greeting or a linking word before the question does not change it.
  EXPECT_EQ(question_form("en", "Hi, where is my order?"), QuestionForm::where);
  EXPECT_EQ(question_form("en", "So how long is shipping?"), QuestionForm::duration);
}

TEST(QuestionForm, NoneForStatementsEmptyTextAndOtherLanguages) {
  EXPECT_EQ(question_form("en", "Shipping to Canada"), QuestionForm::none);
  EXPECT_EQ(question_form("en", "I need help with my order"), QuestionForm::none);
  EXPECT_EQ(question_form("en", ""), QuestionForm::none);
  EXPECT_EQ(question_form("en", "?!"), QuestionForm::none);
  EXPECT_EQ(question_form("de", "Wo ist meine Bestellung?"), QuestionForm::none);
  EXPECT_EQ(question_form("de", "Who is at risk?"), QuestionForm::none);
}

}  // namespace
}  // namespace parley::search
