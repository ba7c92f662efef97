#include "ingest/ingest.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "common/ids.h"
#include "common/utf8.h"
#include "guard/injection.h"
#include "ingest/language.h"
#include "text/analyzer.h"

namespace parley::ingest {
namespace {

constexpr std::size_t kMaxNameBytes = 255;
// Up to this many prepared files per write transaction: each commit flushes the full-text index (a quarter of all
// ingestion CPU at 8 files), yet the writer is held for tens of milliseconds at most.
constexpr std::size_t kFilesPerTransaction = 32;

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

// What one file turned into before anything is written.
struct PreparedFile {
  std::string name;
  std::string hash;
  bool unchanged = false;
  std::optional<Error> failure;  // the file could not be read: recorded on its source
  store::Document document;
  std::vector<store::NewChunk> chunks;
  std::vector<std::string> warnings;
};

void prepare(const FileUpload& upload, const std::string& name, const std::string& language,
             const IngestOptions& options, PreparedFile& out) {
  auto prepared = prepare_document({name, upload.content_type, upload.bytes}, language, options);
  if (!prepared.ok()) {
    out.failure = prepared.error();
    return;
  }
  out.document = std::move(prepared->document);
  out.document.bot_id = upload.bot_id;
  out.document.content_hash = out.hash;
  out.chunks = std::move(prepared->chunks);
  out.warnings = std::move(prepared->warnings);
}

// Runs `work(i)` for i in [0, count) on up to `threads` threads.
template <typename Work>
void parallel_for(std::size_t count, int threads, Work work) {
  const std::size_t workers = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(1, threads)));
  if (workers <= 1) {
    for (std::size_t i = 0; i < count; ++i) work(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::jthread> pool;
  for (std::size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      for (std::size_t i = next++; i < count; i = next++) work(i);
    });
  }
}

Result<store::Source> source_for(store::WriteTx& tx, const std::string& bot_id, const std::string& name) {
  PARLEY_ASSIGN_OR_RETURN(auto existing, tx.source_by_name(bot_id, name));
  if (existing) return *existing;
  return tx.create_source(bot_id, store::SourceKind::file, name);
}

// What a model would read of a chunk: its title and headings as well as its text.
std::string screened_text(const DraftChunk& draft) {
  std::string text;
  text.reserve(draft.title.size() + draft.heading_path.size() + draft.text.size() + 2);
  text.append(draft.title).append("\n").append(draft.heading_path).append("\n").append(draft.text);
  return text;
}

}  // namespace

std::string bot_language(const store::Bot& bot) {
  const auto it = bot.settings.find("language");
  return it != bot.settings.end() && it->is_string() ? it->get<std::string>() : "en";
}

Result<PreparedDocument> prepare_document(const RawDocument& raw, std::string_view index_language,
                                          const IngestOptions& options, BoilerplateFilter* boilerplate) {
  PARLEY_ASSIGN_OR_RETURN(ParsedDocument parsed, parse_document(raw));
  if (boilerplate != nullptr) boilerplate->apply(parsed);
  PreparedDocument out;
  const auto drafts = chunk_document(parsed, options.chunking);
  out.chunks.reserve(drafts.size());
  std::string sample;  // the start of the text, for language detection
  for (std::size_t i = 0; i < drafts.size(); ++i) {
    out.chunks.push_back(index_chunk(drafts[i], static_cast<int>(i), index_language));
    if (sample.size() < 2048) sample.append(drafts[i].text).append(" ");
  }
  out.document.uri = raw.uri;
  out.document.title = parsed.title;
  out.document.content_type = parsed.content_type;
  out.document.byte_size = static_cast<std::int64_t>(raw.bytes.size());
  out.document.language = detect_language(sample);
  if (out.document.language.empty()) out.document.language = parsed.page.language.substr(0, 2);
  if (out.document.language.empty()) out.document.language = std::string(index_language);
  out.warnings = std::move(parsed.warnings);
  out.page = std::move(parsed.page);
  return out;
}

store::NewChunk index_chunk(const DraftChunk& draft, int ordinal, std::string_view language) {
  const text::Analyzer analyzer(language);
  store::NewChunk chunk;
  chunk.chunk.ordinal = ordinal;
  chunk.chunk.kind = draft.kind;
  chunk.chunk.title = draft.title;
  chunk.chunk.heading_path = draft.heading_path;
  chunk.chunk.text = draft.text;
  chunk.chunk.metadata = draft.metadata;
  // Instructions planted in content (a crawled page, a PDF, hidden or encoded text) would reach a model through
  // retrieval: every chunk is screened as it is made, and a flagged one keeps the verdict for the report and for
  // the bot's content policy at answer time.
  if (const auto verdict = guard::check_injection(screened_text(draft)); verdict.injection) {
    if (!chunk.chunk.metadata.is_object()) chunk.chunk.metadata = store::Json::object();
    chunk.chunk.metadata[store::kInjectionVerdictKey] = {{"score", verdict.score}, {"reasons", verdict.reasons}};
  }
  chunk.terms.title = analyzer.index_form(draft.title);
  chunk.terms.headings = analyzer.index_form(draft.heading_path);
  chunk.terms.body = analyzer.index_form(draft.text);
  return chunk;
}

Result<std::vector<Result<IngestOutcome>>> add_files(store::Store& store, const store::Scope& scope,
                                                     const std::vector<FileUpload>& uploads,
                                                     const IngestOptions& options) {
  std::vector<Result<IngestOutcome>> results(uploads.size(), Error{ErrorCode::internal, "not processed"});
  if (uploads.empty()) return results;
  const std::string& bot_id = uploads.front().bot_id;
  std::vector<std::optional<PreparedFile>> prepared(uploads.size());
  for (std::size_t i = 0; i < uploads.size(); ++i) {
    if (uploads[i].bot_id != bot_id) return make_error(ErrorCode::invalid_request, "a batch holds one bot's files");
    auto name = clean_file_name(uploads[i].name);
    if (!name.ok()) {
      results[i] = name.error();
      continue;
    }
    if (uploads[i].bytes.size() > options.max_document_bytes) {
      results[i] = make_error(ErrorCode::payload_too_large,
                              "the file is larger than " + std::to_string(options.max_document_bytes >> 20) + " MB");
      continue;
    }
    prepared[i].emplace();
    prepared[i]->name = std::move(name).value();
    prepared[i]->hash = sha256_hex(uploads[i].bytes);
  }

  // Which files are already indexed with the same bytes.
  std::string language;
  PARLEY_TRY(store.read(scope, [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(bot_id));
    if (!bot) return make_error(ErrorCode::not_found, "no such bot");
    language = bot_language(*bot);
    for (std::size_t i = 0; i < uploads.size(); ++i) {
      if (!prepared[i]) continue;
      PARLEY_ASSIGN_OR_RETURN(auto source, tx.source_by_name(bot_id, prepared[i]->name));
      if (!source || source->status != "ready") continue;
      PARLEY_ASSIGN_OR_RETURN(auto documents, tx.documents(source->id));
      if (documents.size() == 1 && documents[0].content_hash == prepared[i]->hash) {
        prepared[i]->unchanged = true;
        results[i] = IngestOutcome{*source, documents[0], static_cast<std::size_t>(source->chunk_count), true, {}};
      }
    }
    return {};
  }));

  // Files are parsed on worker threads while this thread writes those that are ready, in order, a few per
  // transaction: parsing and indexing overlap, and the store's writer is never held for long.
  std::vector<char> ready(uploads.size(), 0);
  std::mutex ready_mutex;
  std::condition_variable became_ready;
  std::jthread parsing([&] {
    parallel_for(uploads.size(), options.parse_threads, [&](std::size_t i) {
      if (prepared[i] && !prepared[i]->unchanged) prepare(uploads[i], prepared[i]->name, language, options, *prepared[i]);
      {
        std::lock_guard lock(ready_mutex);
        ready[i] = 1;
      }
      became_ready.notify_all();
    });
  });

  const auto write_file = [&](store::WriteTx& tx, std::size_t i) -> Status {
    PreparedFile& file = *prepared[i];
    PARLEY_ASSIGN_OR_RETURN(store::Source source, source_for(tx, bot_id, file.name));
    if (file.failure) {
      source.status = "failed";
      source.error = file.failure->message;
      PARLEY_TRY(tx.update_source(source));
      results[i] = *file.failure;
      return {};
    }
    file.document.source_id = source.id;
    IngestOutcome outcome;
    PARLEY_ASSIGN_OR_RETURN(outcome.document, tx.put_document(file.document, file.chunks));
    source.status = "ready";
    source.error.clear();
    PARLEY_TRY(tx.update_source(source));
    // A file source holds exactly its one document: no need to count in the store.
    source.document_count = 1;
    source.chunk_count = static_cast<std::int64_t>(file.chunks.size());
    source.updated_at = outcome.document.updated_at;
    outcome.source = source;
    outcome.chunk_count = file.chunks.size();
    outcome.warnings = std::move(file.warnings);
    results[i] = std::move(outcome);
    file.chunks.clear();  // written: the memory goes back before the rest of the batch is parsed
    file.chunks.shrink_to_fit();
    return {};
  };

  for (std::size_t next = 0; next < uploads.size();) {
    std::size_t end = next;
    {
      std::unique_lock lock(ready_mutex);
      became_ready.wait(lock, [&] { return ready[next] != 0; });
      while (end < uploads.size() && ready[end] != 0 && end - next < kFilesPerTransaction) ++end;
    }
    PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
      for (std::size_t i = next; i < end; ++i) {
        if (prepared[i] && !prepared[i]->unchanged) PARLEY_TRY(write_file(tx, i));
      }
      return {};
    }));
    next = end;
  }
  return results;
}

Result<IngestOutcome> add_file(store::Store& store, const store::Scope& scope, const FileUpload& upload,
                               const IngestOptions& options) {
  PARLEY_ASSIGN_OR_RETURN(auto results, add_files(store, scope, {upload}, options));
  return std::move(results.front());
}

}  // namespace parley::ingest
