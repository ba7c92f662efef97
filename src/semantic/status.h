// What a process knows of its embedding model ([engine] embedding_model): not configured, in use, or configured but
// unusable (missing, corrupt, not an embedding model, the wrong hash) and why. Answers then stay lexical, and
// /readyz, the report and the admin app say so.
#pragma once

#include <optional>
#include <string>

#include "semantic/embedder.h"
#include "semantic/semantic_index.h"
#include "store/store.h"

namespace parley::semantic {

struct ModelStatus {
  std::string path;               // empty: not configured
  std::optional<ModelId> model;   // when the file could be read
  int dimensions = 0;             // when loaded
  bool loaded = false;
  std::string error;              // why a configured model is not in use

  bool configured() const { return !path.empty(); }
  // One sentence for operators when a configured model is not in use; empty otherwise.
  std::string warning() const;
};

// The "semantic" section of a bot's report: the model, how many of the bot's chunks have its vectors, and a status:
// "off" (no model configured), "unavailable" (configured, not usable: `error` says why), "embedding" (vectors are
// being computed), "ready", or "error" (stored vectors cannot be used: `error`). `index` is the bot's in-memory
// index when this process serves answers.
store::Json report_section(const ModelStatus& status, const store::EmbeddingCounts& counts,
                           const std::optional<BotIndexState>& index);

// Adds summary.embedded_chunks and that section to a bot's data-quality report (ingest/report.h); `index` is the
// server's, null in the CLI.
Status add_to_report(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                     const ModelStatus& status, const SemanticIndex* index, store::Json& report);

}  // namespace parley::semantic
