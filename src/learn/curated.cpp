#include "learn/curated.h"

#include <algorithm>

#include "common/clock.h"
#include "common/ids.h"
#include "common/utf8.h"
#include "ingest/chunker.h"
#include "ingest/ingest.h"

namespace parley::learn {
namespace {

constexpr std::size_t kMaxQuestionChars = 2000;
constexpr std::size_t kMaxAnswerChars = 10000;
// The name of the bot's curated source, as the source list shows it.
constexpr std::string_view kCuratedSourceName = "Curated Q&A";
constexpr std::string_view kPairUriPrefix = "curated/";

Status check_text(std::string_view text, std::string_view what, std::size_t max_chars) {
  if (!is_valid_utf8(text)) return make_error(ErrorCode::invalid_utf8, std::string(what) + " is not valid UTF-8");
  if (trim(text).empty()) return make_error(ErrorCode::invalid_request, std::string(what) + " is empty");
  if (count_code_points(text) > max_chars) {
    return make_error(ErrorCode::payload_too_large,
                      std::string(what) + " is longer than " + std::to_string(max_chars) + " characters");
  }
  return {};
}

Result<std::string> string_field(const store::Json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return make_error(ErrorCode::invalid_request, std::string("`") + key + "` must be a string");
  return it->get<std::string>();
}

Result<std::optional<store::Source>> curated_source(store::ReadTx& tx, std::string_view bot_id) {
  PARLEY_ASSIGN_OR_RETURN(const auto sources, tx.sources(bot_id));
  for (const auto& source : sources) {
    if (source.kind == store::SourceKind::curated) return std::optional<store::Source>(source);
  }
  return std::optional<store::Source>();
}

Result<store::Source> curated_source_for_writing(store::WriteTx& tx, std::string_view bot_id) {
  PARLEY_ASSIGN_OR_RETURN(auto existing, curated_source(tx, bot_id));
  if (existing) return *existing;
  PARLEY_ASSIGN_OR_RETURN(const auto same_name, tx.source_by_name(bot_id, kCuratedSourceName));
  if (same_name) {
    return make_error(ErrorCode::conflict, "a source named \"" + std::string(kCuratedSourceName) +
                                               "\" that is not the curated one exists: rename or delete it first");
  }
  PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_source(bot_id, store::SourceKind::curated, kCuratedSourceName));
  created.status = "ready";
  PARLEY_TRY(tx.update_source(created));
  return created;
}

CuratedPair pair_of(const store::Document& document, const std::vector<store::Chunk>& chunks) {
  CuratedPair pair;
  pair.id = document.id;
  pair.source_id = document.source_id;
  pair.uri = document.uri;
  pair.question = document.title;
  if (!chunks.empty()) pair.answer = chunks.front().text;
  pair.created_at = document.created_at;
  pair.updated_at = document.updated_at;
  return pair;
}

// Writes the pair as its document (replacing the one with the same uri) with its one Q&A chunk.
Result<CuratedPair> put_pair(store::WriteTx& tx, const store::Bot& bot, const store::Source& source,
                             std::string uri, const PairText& text) {
  const PairText pair{trim(text.question), trim(text.answer)};
  ingest::DraftChunk draft;
  draft.kind = store::ChunkKind::qa;
  draft.title = pair.question;
  draft.text = pair.answer;
  const std::string language = ingest::bot_language(bot);
  store::Document document;
  document.bot_id = bot.id;
  document.source_id = source.id;
  document.uri = std::move(uri);
  document.title = pair.question;
  document.content_type = "text/plain";
  document.content_hash = sha256_hex(pair.question + "\n" + pair.answer);
  document.byte_size = static_cast<std::int64_t>(pair.question.size() + pair.answer.size());
  document.language = language;
  PARLEY_ASSIGN_OR_RETURN(const auto stored, tx.put_document(document, {ingest::index_chunk(draft, 0, language)}));
  PARLEY_ASSIGN_OR_RETURN(const auto chunks, tx.document_chunks(stored.id));
  return pair_of(stored, chunks);
}

Result<store::Bot> existing_bot(store::ReadTx& tx, std::string_view bot_id) {
  PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(bot_id));
  if (!bot) return make_error(ErrorCode::not_found, "no such bot");
  return *bot;
}

// The pair's document, or not_found.
Result<store::Document> pair_document(store::ReadTx& tx, std::string_view bot_id, std::string_view pair_id) {
  PARLEY_ASSIGN_OR_RETURN(const auto source, curated_source(tx, bot_id));
  if (source) {
    PARLEY_ASSIGN_OR_RETURN(const auto documents, tx.documents(source->id));
    for (const auto& document : documents) {
      if (document.id == pair_id) return document;
    }
  }
  return make_error(ErrorCode::not_found, "no such Q&A pair for this bot");
}

}  // namespace

Result<PairText> pair_from_json(const store::Json& body) {
  PairText pair;
  PARLEY_ASSIGN_OR_RETURN(pair.question, string_field(body, "question"));
  PARLEY_ASSIGN_OR_RETURN(pair.answer, string_field(body, "answer"));
  return pair;
}

std::optional<FieldRefusal> check_pair(const PairText& pair) {
  if (auto status = check_text(pair.question, "the question", kMaxQuestionChars); !status.ok()) {
    return FieldRefusal{"question", status.error()};
  }
  return check_answer(pair.answer);
}

std::optional<FieldRefusal> check_answer(std::string_view answer) {
  if (auto status = check_text(answer, "the answer", kMaxAnswerChars); !status.ok()) {
    return FieldRefusal{"answer", status.error()};
  }
  return std::nullopt;
}

Result<std::vector<CuratedPair>> list_pairs(store::ReadTx& tx, std::string_view bot_id) {
  PARLEY_TRY(existing_bot(tx, bot_id));
  std::vector<CuratedPair> pairs;
  PARLEY_ASSIGN_OR_RETURN(const auto source, curated_source(tx, bot_id));
  if (!source) return pairs;
  PARLEY_ASSIGN_OR_RETURN(const auto documents, tx.documents(source->id));
  for (const auto& document : documents) {
    PARLEY_ASSIGN_OR_RETURN(const auto chunks, tx.document_chunks(document.id));
    pairs.push_back(pair_of(document, chunks));
  }
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const CuratedPair& a, const CuratedPair& b) { return a.created_at < b.created_at; });
  return pairs;
}

Result<CuratedPair> add_pair(store::WriteTx& tx, std::string_view bot_id, const PairText& pair) {
  if (const auto refused = check_pair(pair)) return refused->error;
  PARLEY_ASSIGN_OR_RETURN(const auto bot, existing_bot(tx, bot_id));
  PARLEY_ASSIGN_OR_RETURN(const auto source, curated_source_for_writing(tx, bot_id));
  return put_pair(tx, bot, source, std::string(kPairUriPrefix) + new_ordered_id("qa"), pair);
}

Result<CuratedPair> update_pair(store::WriteTx& tx, std::string_view bot_id, std::string_view pair_id,
                                const PairText& pair) {
  if (const auto refused = check_pair(pair)) return refused->error;
  PARLEY_ASSIGN_OR_RETURN(const auto bot, existing_bot(tx, bot_id));
  PARLEY_ASSIGN_OR_RETURN(const auto document, pair_document(tx, bot_id, pair_id));
  PARLEY_ASSIGN_OR_RETURN(const auto source, curated_source_for_writing(tx, bot_id));
  return put_pair(tx, bot, source, document.uri, pair);
}

Result<CuratedPair> remove_pair(store::WriteTx& tx, std::string_view bot_id, std::string_view pair_id) {
  PARLEY_TRY(existing_bot(tx, bot_id));
  PARLEY_ASSIGN_OR_RETURN(const auto document, pair_document(tx, bot_id, pair_id));
  PARLEY_ASSIGN_OR_RETURN(const auto chunks, tx.document_chunks(document.id));
  const CuratedPair removed = pair_of(document, chunks);
  PARLEY_TRY(tx.delete_document(document.id));
  return removed;
}

store::Json pair_json(const CuratedPair& pair) {
  return {{"id", pair.id},
          {"source_id", pair.source_id},
          {"uri", pair.uri},
          {"question", pair.question},
          {"answer", pair.answer},
          {"created_at", format_rfc3339(pair.created_at)},
          {"updated_at", format_rfc3339(pair.updated_at)}};
}

}  // namespace parley::learn
