#include "semantic/status.h"

namespace parley::semantic {

std::string ModelStatus::warning() const {
  if (!configured() || loaded) return {};
  return "the embedding model " + path + " is not in use (" + error + "): answers use lexical retrieval only";
}

store::Json report_section(const ModelStatus& status, const store::EmbeddingCounts& counts,
                           const std::optional<BotIndexState>& index) {
  store::Json section{{"chunks", counts.chunks}, {"embedded_chunks", counts.embedded}};
  if (!status.configured()) {
    section["status"] = "off";
    return section;
  }
  section["model_path"] = status.path;
  if (status.model) {
    section["model"] = status.model->name;
    section["model_hash"] = status.model->hash;
  }
  if (!status.error.empty()) {
    section["status"] = "unavailable";
    section["error"] = status.error;
    section["warning"] = status.warning();
    return section;
  }
  section["status"] = counts.embedded < counts.chunks ? "embedding" : "ready";
  if (index) {
    section["index"] = {{"status", index->status}, {"vectors", index->vectors}, {"approximate", index->approximate}};
    if (index->status == "error") {
      section["status"] = "error";
      section["error"] = index->error;
    }
  }
  return section;
}

Status add_to_report(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                     const ModelStatus& status, const SemanticIndex* index, store::Json& report) {
  store::EmbeddingCounts counts;
  if (status.model) {
    PARLEY_TRY(store.read(scope, [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(counts, tx.embedding_counts(bot_id, status.model->hash));
      return {};
    }));
  }
  if (report.contains("summary")) {
    counts.chunks = report["summary"].value("chunks", counts.chunks);
    report["summary"]["embedded_chunks"] = counts.embedded;
  }
  std::optional<BotIndexState> state;
  if (index != nullptr) state = index->bot_state(bot_id);
  report["semantic"] = report_section(status, counts, state);
  return {};
}

}  // namespace parley::semantic
