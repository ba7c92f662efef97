// Structure-aware chunking: a chunk never spans two sections, keeps lists and tables together where they fit, and
// carries its heading path ("Returns > Damaged items") so that a passage is understood, and found, in context.
#pragma once

#include <string>
#include <vector>

#include "ingest/document.h"
#include "store/types.h"

namespace parley::ingest {

struct ChunkingOptions {
  std::size_t target_chars = 700;   // a chunk is closed at the first block boundary past this size
  std::size_t max_chars = 1400;     // a list or table may grow a chunk up to this; longer blocks are split
};

struct DraftChunk {
  store::ChunkKind kind = store::ChunkKind::passage;
  std::string title;         // the document title, or the question of a Q&A pair
  std::string heading_path;
  std::string text;
  nlohmann::json metadata = nlohmann::json::object();
};

// Deterministic: the same document always gives the same chunks.
std::vector<DraftChunk> chunk_document(const ParsedDocument& document, const ChunkingOptions& options = {});

}  // namespace parley::ingest
