#include "learn/suggestions.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "common/clock.h"
#include "common/ids.h"
#include "common/utf8.h"
#include "evals/evals.h"
#include "ingest/ingest.h"

namespace parley::learn {
namespace {

// What makes two questions "the same": their analysed terms (folded, stop words out, stemmed) as a sorted set, so
// word order, inflection and filler words do not matter. A question of stop words only ("where is it?") keeps its
// folded wording instead, so it is not lumped with every other such question.
std::string meaning_key(const text::Analyzer& analyzer, std::string_view question) {
  auto terms = analyzer.terms(question);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  if (terms.empty()) return "=" + text::fold(trim(question));
  std::string key;
  for (const auto& term : terms) {
    if (!key.empty()) key += ' ';
    key += term;
  }
  return key;
}

// Wordings that differ only in case, accents or closing punctuation ("How much?" and "how much") are one example.
std::string wording_key(std::string_view question) {
  std::string folded = text::fold(trim(question));
  while (!folded.empty() && std::string_view(" ?!.").find(folded.back()) != std::string_view::npos) folded.pop_back();
  return folded;
}

struct Wording {
  std::string text;
  std::int64_t count = 0;
  std::int64_t last_asked_at = 0;
};

struct Group {
  Suggestion suggestion;
  std::map<std::string, Wording> wordings;  // by folded text
};

text::Analyzer analyzer_of(const store::Bot& bot) { return text::Analyzer(ingest::bot_language(bot)); }

}  // namespace

std::string suggestion_id(const text::Analyzer& analyzer, std::string_view question) {
  return "sg_" + sha256_hex(meaning_key(analyzer, question)).substr(0, 16);
}

std::vector<Suggestion> group_misses(const std::vector<store::MissedQuestion>& missed,
                                     const std::vector<store::SuggestionAnswer>& answered,
                                     const text::Analyzer& analyzer) {
  std::unordered_map<std::string, std::int64_t> settled_until;
  for (const auto& answer : answered) settled_until[answer.suggestion_id] = answer.answered_at;
  // Visitors ask the same wording again and again: each distinct text is analysed once.
  std::unordered_map<std::string, std::string> id_of_text;
  std::unordered_map<std::string, Group> groups;
  for (const auto& question : missed) {
    auto [known, inserted] = id_of_text.try_emplace(question.text);
    if (inserted) known->second = suggestion_id(analyzer, question.text);
    const std::string& id = known->second;
    if (const auto settled = settled_until.find(id); settled != settled_until.end() && question.asked_at <= settled->second) {
      continue;
    }
    auto& group = groups[id];
    auto& suggestion = group.suggestion;
    suggestion.id = id;
    ++suggestion.count;
    suggestion.declined += question.declined ? 1 : 0;
    suggestion.thumbs_down += question.thumbs_down ? 1 : 0;
    suggestion.last_asked_at = std::max(suggestion.last_asked_at, question.asked_at);
    auto& wording = group.wordings[wording_key(question.text)];
    if (question.asked_at >= wording.last_asked_at) {
      wording.text = trim(question.text);
      wording.last_asked_at = question.asked_at;
    }
    ++wording.count;
  }
  std::vector<Suggestion> suggestions;
  suggestions.reserve(groups.size());
  for (auto& [id, group] : groups) {
    std::vector<const Wording*> wordings;
    for (const auto& [folded, wording] : group.wordings) wordings.push_back(&wording);
    std::sort(wordings.begin(), wordings.end(),
              [](const Wording* a, const Wording* b) { return a->last_asked_at > b->last_asked_at; });
    const auto most_asked = std::max_element(wordings.begin(), wordings.end(), [](const Wording* a, const Wording* b) {
      return a->count < b->count;  // the first of equals: the latest
    });
    group.suggestion.question = (*most_asked)->text;
    for (const Wording* wording : wordings) {
      if (group.suggestion.examples.size() == kMaxExamples) break;
      group.suggestion.examples.push_back(wording->text);
    }
    suggestions.push_back(std::move(group.suggestion));
  }
  std::sort(suggestions.begin(), suggestions.end(), [](const Suggestion& a, const Suggestion& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.last_asked_at != b.last_asked_at) return a.last_asked_at > b.last_asked_at;
    return a.id < b.id;
  });
  return suggestions;
}

Result<std::vector<Suggestion>> list_suggestions(store::ReadTx& tx, std::string_view bot_id) {
  PARLEY_ASSIGN_OR_RETURN(const auto bot, tx.bot(bot_id));
  if (!bot) return make_error(ErrorCode::not_found, "no such bot");
  PARLEY_ASSIGN_OR_RETURN(const auto missed, tx.missed_questions(bot_id));
  PARLEY_ASSIGN_OR_RETURN(const auto answered, tx.suggestion_answers(bot_id));
  return group_misses(missed, answered, analyzer_of(*bot));
}

namespace {

// Adds the pair and its test; `settles` is the suggestion it answers (when known), recorded as answered by it.
Result<Answered> add_answer(store::WriteTx& tx, std::string_view bot_id, const CuratedAnswer& wanted,
                            std::optional<Suggestion> settles) {
  Answered answered;
  PARLEY_ASSIGN_OR_RETURN(answered.pair, add_pair(tx, bot_id, wanted.pair));
  if (wanted.add_test) {
    // The pair's own citation, by its URI: the test fails if another source answers instead, or none.
    evals::NewCase test;
    test.question = answered.pair.question;
    test.expect_source = answered.pair.uri;
    PARLEY_ASSIGN_OR_RETURN(answered.test, evals::add_case(tx, bot_id, test));
  }
  if (settles) {
    PARLEY_TRY(tx.record_suggestion_answer(bot_id, {settles->id, answered.pair.id, 0}));
    answered.suggestion = std::move(settles);
  }
  return answered;
}

}  // namespace

Result<Answered> add_curated_answer(store::WriteTx& tx, std::string_view bot_id, const CuratedAnswer& wanted) {
  if (const auto refused = check_pair(wanted.pair)) return refused->error;
  PARLEY_ASSIGN_OR_RETURN(const auto open, list_suggestions(tx, bot_id));
  PARLEY_ASSIGN_OR_RETURN(const auto bot, tx.bot(bot_id));
  const std::string id = suggestion_id(analyzer_of(*bot), wanted.pair.question);
  std::optional<Suggestion> settles;
  for (const auto& suggestion : open) {
    if (suggestion.id == id) settles = suggestion;
  }
  return add_answer(tx, bot_id, wanted, std::move(settles));
}

Result<Answered> answer_suggestion(store::WriteTx& tx, std::string_view bot_id, std::string_view suggestion_id,
                                   CuratedAnswer wanted) {
  PARLEY_ASSIGN_OR_RETURN(const auto open, list_suggestions(tx, bot_id));
  const auto found = std::find_if(open.begin(), open.end(),
                                  [&](const Suggestion& suggestion) { return suggestion.id == suggestion_id; });
  if (found == open.end()) {
    return make_error(ErrorCode::not_found, "no such suggestion for this bot (answered already, or never asked)");
  }
  if (trim(wanted.pair.question).empty()) wanted.pair.question = found->question;
  if (const auto refused = check_pair(wanted.pair)) return refused->error;
  return add_answer(tx, bot_id, wanted, *found);
}

Result<CuratedAnswer> curated_answer_from_json(const store::Json& body) {
  CuratedAnswer wanted;
  PARLEY_ASSIGN_OR_RETURN(wanted.pair, pair_from_json(body));
  const auto test = body.find("test");
  if (test != body.end() && !test->is_null()) {
    if (!test->is_boolean()) return make_error(ErrorCode::invalid_request, "`test` must be true or false");
    wanted.add_test = test->get<bool>();
  }
  return wanted;
}

store::Json suggestion_json(const Suggestion& suggestion) {
  return {{"id", suggestion.id},
          {"question", suggestion.question},
          {"count", suggestion.count},
          {"declined", suggestion.declined},
          {"thumbs_down", suggestion.thumbs_down},
          {"last_asked_at", format_rfc3339(suggestion.last_asked_at)},
          {"examples", suggestion.examples}};
}

store::Json answered_json(const Answered& answered) {
  return {{"pair", pair_json(answered.pair)},
          {"test", answered.test ? evals::case_json(*answered.test) : store::Json(nullptr)},
          {"suggestion_id", answered.suggestion ? store::Json(answered.suggestion->id) : store::Json(nullptr)}};
}

}  // namespace parley::learn
