// The ingestion pipeline for uploaded files: decode, parse, chunk and analyse each file (in parallel, outside any
// transaction) while the files already prepared are stored as sources of the bot, a few per write transaction
// (so parsing and indexing overlap, and chat's writes never wait long). Re-adding a file with the
// same name replaces its chunks; re-adding the same bytes changes nothing; a file that cannot be read leaves the
// bot's previous content for that name in place and records the reason on its source.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "ingest/boilerplate.h"
#include "ingest/chunker.h"
#include "ingest/loader.h"
#include "store/store.h"

namespace parley::ingest {

struct IngestOptions {
  std::size_t max_document_bytes = 64u << 20;
  ChunkingOptions chunking;
  int parse_threads = 2;  // threads parsing and analysing the files of a batch, the calling (writing) thread included
  // Parse on `parse_threads` helper threads at background CPU priority (they run when nothing else wants the core:
  // chat goes first); the calling thread only writes. For uploads that arrive next to live chat.
  bool background_parsing = false;
  // The CPU time one file may take to be parsed, chunked and screened (cpu_budget.h); 0: no limit.
  std::chrono::milliseconds cpu_budget_per_file{0};
};

struct FileUpload {
  std::string bot_id;
  std::string name;          // file name as uploaded; directories are dropped
  std::string content_type;  // optional
  std::string_view bytes;
};

struct IngestOutcome {
  store::Source source;
  store::Document document;
  std::size_t chunk_count = 0;
  bool unchanged = false;  // the same bytes were already indexed
  std::vector<std::string> warnings;
};

// How many files (and bytes) `parley source add` reads and hands to add_files at a time: memory stays bounded, and
// within a batch the next transaction's files are parsed while the previous one commits.
inline constexpr std::size_t kUploadBatchFiles = 64;
inline constexpr std::size_t kUploadBatchBytes = 32u << 20;

// All uploads must be for the same bot. The outer error is for the batch (unknown bot, store failure); each file
// has its own result.
Result<std::vector<Result<IngestOutcome>>> add_files(store::Store& store, const store::Scope& scope,
                                                     const std::vector<FileUpload>& uploads,
                                                     const IngestOptions& options = {});

// One file; its error whether it concerns the batch or the file.
Result<IngestOutcome> add_file(store::Store& store, const store::Scope& scope, const FileUpload& upload,
                               const IngestOptions& options = {});

// A document parsed, chunked and analysed, ready for WriteTx::put_document; nothing is written yet.
struct PreparedDocument {
  store::Document document;  // uri, title, content type, size and detected language; the caller sets the rest
  std::vector<store::NewChunk> chunks;
  std::vector<std::string> warnings;
  PageLinks page;  // HTML only: links, canonical URL, robots directives
};

// Parses `raw` with the loader of its format, drops known boilerplate (when a filter is given), chunks it and
// analyses the chunks in `index_language` (the bot's), within options.cpu_budget_per_file. Thread-safe; the costly
// part of ingestion.
Result<PreparedDocument> prepare_document(const RawDocument& raw, std::string_view index_language,
                                          const IngestOptions& options, BoilerplateFilter* boilerplate = nullptr);

// The language the bot's content is indexed in (its "language" setting, "en" by default).
std::string bot_language(const store::Bot& bot);

// The index fields of a chunk, analysed in the bot's language.
store::NewChunk index_chunk(const DraftChunk& draft, int ordinal, std::string_view language);

}  // namespace parley::ingest
