// Curated knowledge in the app (issue 17): Q&A pairs an owner types, or writes as the answer to a suggestion or to
// improve an answer. They live in the bot's one curated source (store::SourceKind::curated), one document per pair,
// so that adding, editing or deleting a pair indexes only that pair, in the caller's transaction: the bot answers
// from it as soon as the transaction commits, as it does from an uploaded FAQ.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace parley::learn {

struct CuratedPair {
  std::string id;  // the pair's document id
  std::string source_id;
  std::string uri;  // what the bot's citations of the pair show as its URL ("curated/qa_...")
  std::string question;
  std::string answer;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct PairText {
  std::string question;
  std::string answer;
};

// What is wrong with a request, and which request field it is about, so that a form can show it at that field.
struct FieldRefusal {
  std::string field;
  Error error;
};

// Reads {question, answer} from a JSON object; a missing key is an empty text (check_pair refuses it).
Result<PairText> pair_from_json(const store::Json& body);

// A question (valid UTF-8, not blank, at most 2,000 characters) and an answer (the same, at most 10,000).
std::optional<FieldRefusal> check_pair(const PairText& pair);
// The answer alone (an answer to a suggestion may leave the question to the suggestion).
std::optional<FieldRefusal> check_answer(std::string_view answer);

// The bot's curated pairs, oldest first; not_found for an unknown bot.
Result<std::vector<CuratedPair>> list_pairs(store::ReadTx& tx, std::string_view bot_id);

// Adds a pair after checking it (check_pair), creating the bot's curated source the first time.
Result<CuratedPair> add_pair(store::WriteTx& tx, std::string_view bot_id, const PairText& pair);

// Replaces a pair's question and answer (check_pair); only its own chunk is indexed again.
Result<CuratedPair> update_pair(store::WriteTx& tx, std::string_view bot_id, std::string_view pair_id,
                                const PairText& pair);

// Deletes a pair; the deleted pair, or not_found.
Result<CuratedPair> remove_pair(store::WriteTx& tx, std::string_view bot_id, std::string_view pair_id);

store::Json pair_json(const CuratedPair& pair);

}  // namespace parley::learn
