// Knowledge: sources, documents and chunks (with their full-text rows), and the knowledge version that keys readers'
// caches.
#include <unordered_map>

#include "common/clock.h"
#include "common/ids.h"
#include "store/sql/sql_tx.h"

namespace parley::store {

Result<std::optional<Source>> SqlTx::source(std::string_view bot_id, std::string_view source_id) {
  return one(sql({"SELECT ", kSourceColumns, " FROM sources s WHERE s.id = ? AND s.bot_id = ? AND ", kSourceInScope}),
             read_source, source_id, bot_id);
}

Result<std::optional<Source>> SqlTx::source_by_name(std::string_view bot_id, std::string_view name) {
  return one(sql({"SELECT ", kSourceColumns, " FROM sources s WHERE s.bot_id = ? AND s.name = ? AND ", kSourceInScope}),
             read_source, bot_id, name);
}

Result<std::vector<Source>> SqlTx::sources(std::string_view bot_id) {
  return all(sql({"SELECT ", kSourceColumns, " FROM sources s WHERE s.bot_id = ? AND ", kSourceInScope,
                  " ORDER BY s.created_at, s.id"}),
             read_source, bot_id);
}

Result<std::vector<Document>> SqlTx::documents(std::string_view source_id) {
  return all(sql({"SELECT ", kDocumentColumns, " FROM documents WHERE source_id = ? AND ", kInScope, " ORDER BY uri"}),
             read_document, source_id);
}

Result<std::vector<Source>> SqlTx::sources_due_for_sync(std::int64_t now) {
  return all(sql({"SELECT ", kSourceColumns, " FROM sources s WHERE s.next_sync_at IS NOT NULL AND s.next_sync_at <= ? AND ",
                  kSourceInScope, " ORDER BY s.next_sync_at"}),
             read_source, now);
}

Result<std::vector<Chunk>> SqlTx::chunks(std::string_view bot_id, const std::vector<std::int64_t>& ids) {
  auto stmt = db_.prepare(sql({"SELECT ", kChunkColumns,
                               " FROM chunks c JOIN documents d ON d.id = c.document_id "
                               "WHERE c.id = ? AND c.bot_id = ? AND (:ws = '' OR c.workspace_id = :ws)"}));
  std::vector<Chunk> out;
  out.reserve(ids.size());
  for (std::int64_t id : ids) {
    stmt.bind(1, id).bind(2, bot_id);
    bind_scope(stmt);
    if (stmt.step()) out.push_back(read_chunk(stmt));
    stmt.reset();
  }
  return out;
}

Result<std::vector<Chunk>> SqlTx::document_chunks(std::string_view document_id) {
  return all(sql({"SELECT ", kChunkColumns,
                  " FROM chunks c JOIN documents d ON d.id = c.document_id "
                  "WHERE c.document_id = ? AND (:ws = '' OR c.workspace_id = :ws) ORDER BY c.ordinal"}),
             read_chunk, document_id);
}

Status SqlTx::scan_chunks(std::string_view bot_id, const std::function<void(const Chunk&)>& visit) {
  auto stmt = db_.prepare(sql({"SELECT ", kChunkColumns,
                               " FROM chunks c JOIN documents d ON d.id = c.document_id "
                               "WHERE c.bot_id = ? AND (:ws = '' OR c.workspace_id = :ws) ORDER BY c.document_id, c.ordinal"}));
  stmt.bind_positional(bot_id);
  bind_scope(stmt);
  while (stmt.step()) visit(read_chunk(stmt));
  return {};
}

Result<Source> SqlTx::create_source(std::string_view bot_id, SourceKind kind, std::string_view name) {
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return make_error(ErrorCode::not_found, "no such bot");
  Source source;
  source.id = new_ordered_id("src");
  source.workspace_id = *owner;
  source.bot_id = std::string(bot_id);
  source.kind = kind;
  source.name = std::string(name);
  source.status = "processing";
  source.created_at = source.updated_at = unix_millis();
  db_.prepare("INSERT INTO sources (id, workspace_id, bot_id, kind, name, status, created_at, updated_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, source.id)
      .bind(2, source.workspace_id)
      .bind(3, source.bot_id)
      .bind(4, source_kind_name(kind))
      .bind(5, source.name)
      .bind(6, source.status)
      .bind(7, source.created_at)
      .bind(8, source.updated_at)
      .run();
  return source;
}

Status SqlTx::update_source(const Source& source) {
  auto stmt = db_.prepare(sql({"UPDATE sources SET status = ?, error = ?, config = ?, next_sync_at = ?, updated_at = ? "
                               "WHERE id = ? AND ", kInScope}));
  stmt.bind_positional(source.status, source.error, source.config.dump(), source.next_sync_at, unix_millis(), source.id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such source");
  return {};
}

Status SqlTx::delete_source(std::string_view bot_id, std::string_view source_id) {
  PARLEY_ASSIGN_OR_RETURN(auto existing, source(bot_id, source_id));
  if (!existing) return make_error(ErrorCode::not_found, "no such source");
  auto docs = db_.prepare("SELECT id FROM documents WHERE source_id = ?");
  docs.bind(1, source_id);
  std::vector<std::string> document_ids;
  while (docs.step()) document_ids.push_back(docs.text(0));
  docs.reset();
  std::int64_t removed = 0;
  for (const auto& id : document_ids) removed += remove_document_chunks(bot_id, id);
  db_.prepare("DELETE FROM sources WHERE id = ?").bind(1, source_id).run();
  bump_knowledge(bot_id, -removed);
  return {};
}

Result<Document> SqlTx::put_document(const Document& document, const std::vector<NewChunk>& new_chunks) {
  PARLEY_ASSIGN_OR_RETURN(auto workspace_id, source_workspace(document.bot_id, document.source_id));
  if (!workspace_id) return make_error(ErrorCode::not_found, "no such source");
  Document stored = document;
  bool replaced = false;
  stored.workspace_id = std::move(*workspace_id);
  stored.updated_at = unix_millis();
  auto existing = db_.prepare("SELECT id, created_at FROM documents WHERE source_id = ? AND uri = ?");
  existing.bind(1, document.source_id).bind(2, document.uri);
  if (existing.step()) {
    stored.id = existing.text(0);
    stored.created_at = existing.integer(1);
    existing.reset();
    replaced = true;
    db_.prepare("UPDATE documents SET title = ?, content_type = ?, content_hash = ?, byte_size = ?, language = ?, "
                "status = ?, error = ?, updated_at = ?, fetched_url = ?, etag = ?, last_modified = ?, "
                "modified_at = ?, links = ? WHERE id = ?")
        .bind_positional(stored.title, stored.content_type, stored.content_hash, stored.byte_size, stored.language,
                         stored.status, stored.error, stored.updated_at, stored.fetched_url, stored.etag,
                         stored.last_modified, stored.modified_at, links_to_json(stored.links), stored.id)
        .run();
  } else {
    existing.reset();
    stored.id = new_ordered_id("doc");
    stored.created_at = stored.updated_at;
    db_.prepare(sql({"INSERT INTO documents (", kDocumentColumns,
                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"}))
        .bind_positional(stored.id, stored.workspace_id, stored.bot_id, stored.source_id, stored.uri, stored.title,
                         stored.content_type, stored.content_hash, stored.byte_size, stored.language, stored.status,
                         stored.error, stored.created_at, stored.updated_at, stored.fetched_url, stored.etag,
                         stored.last_modified, stored.modified_at, links_to_json(stored.links))
        .run();
  }
  if (replaced) {
    // Bumped even when no chunk changed: readers' caches also hold the document's fields (uri, title).
    bump_knowledge(stored.bot_id, replace_chunks(stored, new_chunks));
  } else {
    std::vector<const NewChunk*> all_new;
    all_new.reserve(new_chunks.size());
    for (const auto& chunk : new_chunks) all_new.push_back(&chunk);
    insert_chunks(stored, all_new);
    bump_knowledge(stored.bot_id, static_cast<std::int64_t>(new_chunks.size()));
  }
  return stored;
}

Status SqlTx::delete_document(std::string_view document_id) {
  auto stmt = db_.prepare(sql({"SELECT bot_id FROM documents WHERE id = ? AND ", kInScope}));
  stmt.bind(1, document_id);
  bind_scope(stmt);
  if (!stmt.step()) return make_error(ErrorCode::not_found, "no such document");
  const std::string bot_id = stmt.text(0);
  stmt.reset();
  const std::int64_t removed = remove_document_chunks(bot_id, document_id);
  db_.prepare("DELETE FROM documents WHERE id = ?").bind(1, document_id).run();
  bump_knowledge(bot_id, -removed);
  return {};
}

Result<std::optional<std::string>> SqlTx::source_workspace(std::string_view bot_id, std::string_view source_id) {
  return one(sql({"SELECT s.workspace_id FROM sources s WHERE s.id = ? AND s.bot_id = ? AND ", kSourceInScope}),
             read_first_text, source_id, bot_id);
}

void SqlTx::insert_chunks(const Document& document, const std::vector<const NewChunk*>& new_chunks) {
  if (new_chunks.empty()) return;
  for (const NewChunk* new_chunk : new_chunks) {
    const Chunk& chunk = new_chunk->chunk;
    const std::int64_t id = db_.insert(
        db_.prepare_insert("INSERT INTO chunks (workspace_id, bot_id, document_id, ordinal, kind, title, heading_path, "
                           "text, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind_positional(document.workspace_id, document.bot_id, document.id, chunk.ordinal,
                             chunk_kind_name(chunk.kind), chunk.title, chunk.heading_path, chunk.text,
                             chunk.metadata.dump()));
    index_chunk(document, id, *new_chunk);
  }
}

// Brings a stored document's chunks to `new_chunks` while keeping the ids of those whose content is unchanged,
// so that citations and anything else holding a chunk id stay valid across edits and resyncs. A chunk's content
// is its kind, title, heading path and text; the n-th of several identical chunks takes the id of the n-th old
// one. Kept chunks are left alone in the chunks table and the full-text index unless their ordinal, metadata or
// analysed terms (another index language) changed; only removed chunks are deleted and new ones inserted.
// Returns how many chunks the document gained (negative: lost).
std::int64_t SqlTx::replace_chunks(const Document& document, const std::vector<NewChunk>& new_chunks) {
  struct OldChunk {
    std::int64_t id;
    int ordinal;
    std::string metadata;
    bool kept = false;
  };
  std::vector<OldChunk> old_chunks;
  // Content key -> indexes into old_chunks, in ordinal order.
  std::unordered_map<std::string, std::vector<std::size_t>> by_content;
  const auto content_key = [](std::string_view kind, std::string_view title, std::string_view heading_path,
                              std::string_view text) {
    std::string key;
    key.reserve(kind.size() + title.size() + heading_path.size() + text.size() + 3);
    key.append(kind).append(1, '\0').append(title).append(1, '\0').append(heading_path).append(1, '\0').append(text);
    return key;
  };
  {
    auto stmt = db_.prepare(
        "SELECT id, ordinal, metadata, kind, title, heading_path, text FROM chunks WHERE document_id = ? "
        "ORDER BY ordinal");
    stmt.bind(1, document.id);
    while (stmt.step()) {
      old_chunks.push_back({stmt.integer(0), static_cast<int>(stmt.integer(1)), stmt.text(2)});
      by_content[content_key(stmt.text(3), stmt.text(4), stmt.text(5), stmt.text(6))].push_back(old_chunks.size() - 1);
    }
  }
  // Which old chunk each new one keeps, if any.
  std::vector<const OldChunk*> kept(new_chunks.size(), nullptr);
  for (std::size_t i = 0; i < new_chunks.size(); ++i) {
    const Chunk& chunk = new_chunks[i].chunk;
    const auto found = by_content.find(content_key(chunk_kind_name(chunk.kind), chunk.title, chunk.heading_path, chunk.text));
    if (found == by_content.end()) continue;
    for (const std::size_t candidate : found->second) {
      if (!old_chunks[candidate].kept) {
        old_chunks[candidate].kept = true;
        kept[i] = &old_chunks[candidate];
        break;
      }
    }
  }
  std::vector<const NewChunk*> added;
  for (std::size_t i = 0; i < new_chunks.size(); ++i) {
    const auto& [chunk, terms] = new_chunks[i];
    const OldChunk* old = kept[i];
    if (old == nullptr) {
      added.push_back(&new_chunks[i]);
      continue;
    }
    const std::string metadata = chunk.metadata.dump();
    if (old->ordinal != chunk.ordinal || old->metadata != metadata) {
      db_.prepare("UPDATE chunks SET ordinal = ?, metadata = ? WHERE id = ?")
          .bind_positional(chunk.ordinal, metadata, old->id)
          .run();
    }
    if (!chunk_indexed_as(document, old->id, terms)) {
      unindex_chunk(document, old->id);
      index_chunk(document, old->id, new_chunks[i]);
    }
  }
  // New chunks before removed ones go: SQLite gives a new row the largest id plus one, which would otherwise be
  // the id of a removed chunk whenever that was the newest row.
  insert_chunks(document, added);
  std::int64_t removed = 0;
  for (const OldChunk& old : old_chunks) {
    if (old.kept) continue;
    unindex_chunk(document, old.id);
    db_.prepare("DELETE FROM chunks WHERE id = ?").bind(1, old.id).run();
    ++removed;
  }
  return static_cast<std::int64_t>(added.size()) - removed;
}

// The full-text rows are removed explicitly: foreign keys cannot reach the index. Returns how many chunks were
// removed.
std::int64_t SqlTx::remove_document_chunks(std::string_view bot_id, std::string_view document_id) {
  unindex_document_chunks(bot_id, document_id);
  db_.prepare("DELETE FROM chunks WHERE document_id = ?").bind(1, document_id).run();
  return db_.changes();
}

// A change to the bot's chunks: the cached statistics of readers are keyed by knowledge_version.
void SqlTx::bump_knowledge(std::string_view bot_id, std::int64_t chunk_delta) {
  db_.prepare("UPDATE bots SET knowledge_version = knowledge_version + 1, chunk_count = chunk_count + ?2, "
              "updated_at = ?3 WHERE id = ?1")
      .bind(1, bot_id)
      .bind(2, chunk_delta)
      .bind(3, unix_millis())
      .run();
}

}  // namespace parley::store
