// The ingestion pipeline for one uploaded file: decode, parse, chunk, analyse, and store it as a source of a bot,
// all of its writes in one transaction. Re-adding a file with the same name replaces its chunks; re-adding the
// same bytes changes nothing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "ingest/chunker.h"
#include "store/store.h"

namespace parley::ingest {

struct IngestOptions {
  std::size_t max_document_bytes = 64u << 20;
  ChunkingOptions chunking;
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

// A file that cannot be read leaves the bot's previous content for that name in place, records the reason on the
// source (status "failed"), and returns the error.
Result<IngestOutcome> add_file(store::Store& store, const store::Scope& scope, const FileUpload& upload,
                               const IngestOptions& options = {});

// The index fields of a chunk, analysed in the bot's language.
store::NewChunk index_chunk(const DraftChunk& draft, int ordinal, std::string_view language);

}  // namespace parley::ingest
