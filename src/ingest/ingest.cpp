#include "ingest/ingest.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include "common/ids.h"
#include "common/utf8.h"
#include "guard/injection.h"
#include "ingest/cpu_budget.h"
#include "ingest/language.h"
#include "ingest/upload_pool.h"
#include "text/analyzer.h"

namespace parley::ingest {
namespace {

constexpr std::size_t kMaxNameBytes = 255;
// A write transaction takes each prepared file as soon as it is ready, up to this many files or for this long,
// whichever comes first: each commit flushes the full-text index and writes its pages to the WAL (a quarter of all
// ingestion CPU at 8 files per commit), so one commit per batch is far cheaper than one per ready group, and
// other writers (chat) wait for the store a quarter of a second at most.
constexpr std::size_t kFilesPerTransaction = 32;
constexpr std::chrono::milliseconds kMaxTransactionTime{250};
// While its transaction is open, the writing thread parses only files this small itself (a few milliseconds), so
// that it never holds the store's writer for long.
constexpr std::size_t kMaxBytesParsedInTransaction = 256u << 10;

using Clock = std::chrono::steady_clock;

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

// Hands the files of a batch out for parsing, in order, to helper threads and to the writing thread, and tells the
// writer when the file it must write next is ready.
class ParseQueue {
 public:
  ParseQueue(const std::vector<FileUpload>& uploads, std::function<void(std::size_t)> parse)
      : uploads_(uploads), parse_(std::move(parse)), ready_(uploads.size(), 0) {}

  // Parses the next unclaimed file if it is at most `max_bytes` long; false when there was none to parse.
  bool parse_one(std::size_t max_bytes = std::numeric_limits<std::size_t>::max()) {
    std::size_t i = next_.load();
    do {
      if (i >= uploads_.size() || uploads_[i].bytes.size() > max_bytes) return false;
    } while (!next_.compare_exchange_weak(i, i + 1));
    parse_(i);
    {
      std::lock_guard lock(mutex_);
      ready_[i] = 1;
    }
    became_ready_.notify_all();
    return true;
  }

  bool is_claimed(std::size_t i) const { return next_.load() > i; }

  bool is_ready(std::size_t i) {
    std::lock_guard lock(mutex_);
    return ready_[i] != 0;
  }

  void wait(std::size_t i) {
    std::unique_lock lock(mutex_);
    became_ready_.wait(lock, [&] { return ready_[i] != 0; });
  }

  // Waits for file `i` (being parsed by another thread) until `deadline`; false when it passed first.
  bool wait_until(std::size_t i, Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return became_ready_.wait_until(lock, deadline, [&] { return ready_[i] != 0; });
  }

  // No more files are handed out (the batch failed).
  void stop() { next_ = uploads_.size(); }

 private:
  const std::vector<FileUpload>& uploads_;
  std::function<void(std::size_t)> parse_;
  std::atomic<std::size_t> next_{0};
  std::mutex mutex_;
  std::condition_variable became_ready_;
  std::vector<char> ready_;
};

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

// The index fields of the chunks of one document. Its chunks share the title and, runs of them, the heading path:
// each distinct one is analysed once, not once per chunk.
class ChunkIndexer {
 public:
  explicit ChunkIndexer(std::string_view language) : analyzer_(language) {}

  store::NewChunk index(const DraftChunk& draft, int ordinal) {
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
    if (const auto verdict = guard::check_injection(screened_text(draft), guard::ScreenedText::content); verdict.injection) {
      if (!chunk.chunk.metadata.is_object()) chunk.chunk.metadata = store::Json::object();
      chunk.chunk.metadata[store::kInjectionVerdictKey] = {{"score", verdict.score}, {"reasons", verdict.reasons}};
    }
    chunk.terms.title = title_.analyse(analyzer_, draft.title);
    chunk.terms.headings = headings_.analyse(analyzer_, draft.heading_path);
    chunk.terms.body = analyzer_.index_form(draft.text);
    return chunk;
  }

 private:
  struct LastAnalysed {
    bool valid = false;
    std::string text, terms;

    const std::string& analyse(const text::Analyzer& analyzer, const std::string& of) {
      if (!valid || of != text) {
        text = of;
        terms = analyzer.index_form(of);
        valid = true;
      }
      return terms;
    }
  };

  text::Analyzer analyzer_;
  LastAnalysed title_, headings_;
};

}  // namespace

std::string bot_language(const store::Bot& bot) {
  const auto it = bot.settings.find("language");
  return it != bot.settings.end() && it->is_string() ? it->get<std::string>() : "en";
}

Result<PreparedDocument> prepare_document(const RawDocument& raw, std::string_view index_language,
                                          const IngestOptions& options, BoilerplateFilter* boilerplate) {
  const CpuBudget budget(options.cpu_budget_per_file, raw.uri);
  PARLEY_ASSIGN_OR_RETURN(ParsedDocument parsed, parse_document(raw));
  if (boilerplate != nullptr) boilerplate->apply(parsed);
  PreparedDocument out;
  const auto drafts = chunk_document(parsed, options.chunking);
  out.chunks.reserve(drafts.size());
  ChunkIndexer indexer(index_language);
  std::string sample;  // the start of the text, for language detection
  for (std::size_t i = 0; i < drafts.size(); ++i) {
    PARLEY_TRY(budget.check());
    out.chunks.push_back(indexer.index(drafts[i], static_cast<int>(i)));
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
  return ChunkIndexer(language).index(draft, ordinal);
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
  }
  parallel_for(uploads.size(), options.parse_threads, [&](std::size_t i) {
    if (prepared[i]) prepared[i]->hash = sha256_hex(uploads[i].bytes);
  });

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

  // Files are parsed by `parse_threads` threads, this one included: it writes each file as soon as it is ready, in
  // order, and parses files itself whenever the one to write next is not ready yet. Parsing overlaps the writes
  // and the cores stay busy without an extra thread competing with the writer.
  ParseQueue queue(uploads, [&](std::size_t i) {
    if (prepared[i] && !prepared[i]->unchanged) prepare(uploads[i], prepared[i]->name, language, options, *prepared[i]);
  });
  // In the background mode every file is parsed by helpers at background priority, and this thread only writes.
  const bool writer_parses = !options.background_parsing;
  std::vector<std::jthread> helpers;
  const int helper_count = writer_parses ? options.parse_threads - 1 : std::max(1, options.parse_threads);
  for (int t = 0; t < helper_count && static_cast<std::size_t>(t) < uploads.size() - (writer_parses ? 1 : 0); ++t) {
    helpers.emplace_back([&] {
      if (!writer_parses) run_at_background_priority();
      while (queue.parse_one()) {
      }
    });
  }

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

  const Status written = [&]() -> Status {
    for (std::size_t next = 0; next < uploads.size();) {
      while (!queue.is_ready(next)) {
        if (!writer_parses || !queue.parse_one()) queue.wait(next);
      }
      PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
        const auto deadline = Clock::now() + kMaxTransactionTime;
        for (const std::size_t first = next; next < uploads.size() && next - first < kFilesPerTransaction;) {
          if (queue.is_ready(next)) {
            if (prepared[next] && !prepared[next]->unchanged) PARLEY_TRY(write_file(tx, next));
            ++next;
            continue;
          }
          // Not ready: parse a small file meanwhile, else wait for the thread parsing it; a large file nobody has
          // started yet, or the deadline, ends the transaction.
          if (Clock::now() >= deadline) break;
          if (writer_parses && queue.parse_one(kMaxBytesParsedInTransaction)) continue;
          if (!queue.is_claimed(next) || !queue.wait_until(next, deadline)) break;
        }
        return {};
      }));
    }
    return {};
  }();
  queue.stop();
  PARLEY_TRY(written);
  return results;
}

Result<IngestOutcome> add_file(store::Store& store, const store::Scope& scope, const FileUpload& upload,
                               const IngestOptions& options) {
  PARLEY_ASSIGN_OR_RETURN(auto results, add_files(store, scope, {upload}, options));
  return std::move(results.front());
}

}  // namespace parley::ingest
