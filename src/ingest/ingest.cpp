#include "ingest/ingest.h"

#include "common/ids.h"
#include "common/utf8.h"
#include "ingest/loader.h"
#include "text/analyzer.h"

namespace parley::ingest {
namespace {

constexpr std::size_t kMaxNameBytes = 255;

Result<std::string> clean_file_name(std::string_view name) {
  const auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  while (!name.empty() && (name.front() == ' ' || name.front() == '.')) name.remove_prefix(1);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  if (name.empty()) return make_error(ErrorCode::invalid_request, "the file needs a name");
  if (!is_valid_utf8(name)) return make_error(ErrorCode::invalid_utf8, "the file name is not valid UTF-8");
  if (name.size() > kMaxNameBytes) return make_error(ErrorCode::invalid_request, "the file name is too long");
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20) return make_error(ErrorCode::invalid_request, "the file name has control characters");
  }
  return std::string(name);
}

std::string bot_language(const store::Bot& bot) {
  const auto it = bot.settings.find("language");
  return it != bot.settings.end() && it->is_string() ? it->get<std::string>() : "en";
}

// Records a failed upload on its source without touching documents already indexed under that name.
void record_failure(store::Store& store, const store::Scope& scope, const std::string& bot_id, const std::string& name,
                    const Error& error) {
  (void)store.write(scope, [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto existing, tx.source_by_name(bot_id, name));
    store::Source source;
    if (existing) {
      source = *existing;
    } else {
      PARLEY_ASSIGN_OR_RETURN(source, tx.create_source(bot_id, store::SourceKind::file, name));
    }
    source.status = "failed";
    source.error = error.message;
    return tx.update_source(source);
  });
}

}  // namespace

store::NewChunk index_chunk(const DraftChunk& draft, int ordinal, std::string_view language) {
  const text::Analyzer analyzer(language);
  store::NewChunk chunk;
  chunk.chunk.ordinal = ordinal;
  chunk.chunk.kind = draft.kind;
  chunk.chunk.title = draft.title;
  chunk.chunk.heading_path = draft.heading_path;
  chunk.chunk.text = draft.text;
  chunk.chunk.metadata = draft.metadata;
  chunk.terms.title = analyzer.index_form(draft.title);
  chunk.terms.headings = analyzer.index_form(draft.heading_path);
  chunk.terms.body = analyzer.index_form(draft.text);
  return chunk;
}

Result<IngestOutcome> add_file(store::Store& store, const store::Scope& scope, const FileUpload& upload,
                               const IngestOptions& options) {
  PARLEY_ASSIGN_OR_RETURN(const std::string name, clean_file_name(upload.name));
  if (upload.bytes.size() > options.max_document_bytes) {
    return make_error(ErrorCode::payload_too_large, "the file is larger than " +
                                                        std::to_string(options.max_document_bytes >> 20) + " MB");
  }
  const std::string hash = sha256_hex(upload.bytes);
  IngestOutcome outcome;
  std::string language;
  bool unchanged = false;
  PARLEY_TRY(store.read(scope, [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(upload.bot_id));
    if (!bot) return make_error(ErrorCode::not_found, "no such bot");
    language = bot_language(*bot);
    PARLEY_ASSIGN_OR_RETURN(auto source, tx.source_by_name(upload.bot_id, name));
    if (!source || source->status != "ready") return {};
    PARLEY_ASSIGN_OR_RETURN(auto documents, tx.documents(source->id));
    if (documents.size() == 1 && documents[0].content_hash == hash) {
      unchanged = true;
      outcome.source = *source;
      outcome.document = documents[0];
      outcome.chunk_count = static_cast<std::size_t>(source->chunk_count);
    }
    return {};
  }));
  if (unchanged) {
    outcome.unchanged = true;
    return outcome;
  }

  auto parsed = parse_document({name, upload.content_type, upload.bytes});
  if (!parsed.ok()) {
    record_failure(store, scope, upload.bot_id, name, parsed.error());
    return parsed.error();
  }
  const auto drafts = chunk_document(*parsed, options.chunking);
  std::vector<store::NewChunk> chunks;
  chunks.reserve(drafts.size());
  for (std::size_t i = 0; i < drafts.size(); ++i) chunks.push_back(index_chunk(drafts[i], static_cast<int>(i), language));

  store::Document document;
  document.bot_id = upload.bot_id;
  document.uri = name;
  document.title = parsed->title;
  document.content_type = parsed->content_type;
  document.content_hash = hash;
  document.byte_size = static_cast<std::int64_t>(upload.bytes.size());
  document.language = language;
  PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto existing, tx.source_by_name(upload.bot_id, name));
    store::Source source;
    if (existing) {
      source = *existing;
    } else {
      PARLEY_ASSIGN_OR_RETURN(source, tx.create_source(upload.bot_id, store::SourceKind::file, name));
    }
    document.source_id = source.id;
    PARLEY_ASSIGN_OR_RETURN(outcome.document, tx.put_document(document, chunks));
    source.status = "ready";
    source.error.clear();
    PARLEY_TRY(tx.update_source(source));
    PARLEY_ASSIGN_OR_RETURN(auto refreshed, tx.source(upload.bot_id, source.id));
    outcome.source = refreshed.value_or(source);
    return {};
  }));
  outcome.chunk_count = chunks.size();
  outcome.warnings = parsed->warnings;
  return outcome;
}

}  // namespace parley::ingest
