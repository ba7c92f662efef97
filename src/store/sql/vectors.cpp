// Chunk vectors for semantic retrieval: one per chunk, with the name and hash of the model that computed it, and a
// `seq` that grows per bot and model so an in-memory index can catch up with what was written since it last read.
// Values are float32 in the machine's byte order (little-endian on every platform Parley builds for).
#include <cstring>

#include "store/sql/sql_tx.h"

namespace parley::store {

Result<std::vector<Chunk>> SqlTx::chunks_to_embed(std::string_view bot_id, std::string_view model_hash,
                                                  std::int64_t after_chunk_id, int limit) {
  return all(sql({"SELECT ", kChunkColumns,
                  " FROM chunks c JOIN documents d ON d.id = c.document_id "
                  "LEFT JOIN chunk_vectors v ON v.chunk_id = c.id AND v.model_hash = ? "
                  "WHERE c.bot_id = ? AND c.id > ? AND v.chunk_id IS NULL AND (:ws = '' OR c.workspace_id = :ws) "
                  "ORDER BY c.id LIMIT ?"}),
             read_chunk, model_hash, bot_id, after_chunk_id, limit);
}

Result<EmbeddingCounts> SqlTx::embedding_counts(std::string_view bot_id, std::string_view model_hash) {
  EmbeddingCounts counts;
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return counts;
  auto chunks = db_.prepare("SELECT chunk_count FROM bots WHERE id = ?");
  chunks.bind(1, bot_id);
  if (chunks.step()) counts.chunks = chunks.integer(0);
  auto embedded = db_.prepare("SELECT count(*) FROM chunk_vectors WHERE bot_id = ? AND model_hash = ?");
  embedded.bind_positional(bot_id, model_hash);
  if (embedded.step()) counts.embedded = embedded.integer(0);
  return counts;
}

Status SqlTx::scan_chunk_vectors(std::string_view bot_id, std::string_view model_hash, std::int64_t after_seq,
                                 bool with_values, const std::function<void(const ChunkVector&)>& visit) {
  // Without values the index (bot_id, model_hash, seq) covers the query apart from the dimensions.
  auto stmt = db_.prepare(sql({"SELECT chunk_id, dimensions, seq", with_values ? ", vector" : "",
                               " FROM chunk_vectors WHERE bot_id = ? AND model_hash = ? AND seq > ? AND ", kInScope,
                               " ORDER BY seq"}));
  stmt.bind_positional(bot_id, model_hash, after_seq);
  bind_scope(stmt);
  ChunkVector vector;
  while (stmt.step()) {
    vector.chunk_id = stmt.integer(0);
    vector.dimensions = stmt.integer(1);
    vector.seq = stmt.integer(2);
    if (with_values) {
      const std::string bytes = stmt.text(3);  // a blob column reads as its bytes
      vector.values.resize(bytes.size() / sizeof(float));
      std::memcpy(vector.values.data(), bytes.data(), vector.values.size() * sizeof(float));
    }
    visit(vector);
  }
  return {};
}

Status SqlTx::put_chunk_vectors(std::string_view bot_id, std::string_view model_name, std::string_view model_hash,
                                const std::vector<ChunkVector>& vectors) {
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return make_error(ErrorCode::not_found, "no such bot");
  auto last = db_.prepare("SELECT coalesce(max(seq), 0) FROM chunk_vectors WHERE bot_id = ? AND model_hash = ?");
  last.bind_positional(bot_id, model_hash);
  std::int64_t seq = last.step() ? last.integer(0) : 0;
  last.reset();
  auto owned = db_.prepare("SELECT 1 FROM chunks WHERE id = ? AND bot_id = ?");
  auto upsert = db_.prepare(
      "INSERT INTO chunk_vectors (chunk_id, workspace_id, bot_id, model_name, model_hash, dimensions, vector, seq) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chunk_id) DO UPDATE SET model_name = excluded.model_name, "
      "model_hash = excluded.model_hash, dimensions = excluded.dimensions, vector = excluded.vector, seq = excluded.seq");
  for (const ChunkVector& vector : vectors) {
    owned.bind_positional(vector.chunk_id, bot_id);
    const bool ours = owned.step();
    owned.reset();
    if (!ours) continue;
    const std::string_view bytes(reinterpret_cast<const char*>(vector.values.data()), vector.values.size() * sizeof(float));
    upsert.bind_positional(vector.chunk_id, *owner, bot_id, model_name, model_hash,
                           static_cast<std::int64_t>(vector.values.size()));
    upsert.bind_blob(7, bytes);
    upsert.bind(8, ++seq);
    upsert.run();
    upsert.reset();
  }
  return {};
}

}  // namespace parley::store
