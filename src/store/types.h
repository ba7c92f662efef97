// Rows of the store, as plain values. Timestamps are Unix milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace parley::store {

using Json = nlohmann::json;

struct Workspace {
  std::string id;
  std::string name;
  std::int64_t created_at = 0;
};

enum class Role { owner, admin, agent, viewer };
std::string_view role_name(Role role);
std::optional<Role> parse_role(std::string_view name);

struct ApiKey {
  std::string id;
  std::string workspace_id;
  std::string name;
  std::string prefix;       // public, indexed part of the key ("pk_xxxxxxxx")
  std::string secret_hash;  // SHA-256 of the whole key; the key itself is never stored
  Role role = Role::admin;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> last_used_at;
  std::optional<std::int64_t> revoked_at;
};

struct Bot {
  std::string id;  // also the public id used by the chat endpoint and the widget
  std::string workspace_id;
  std::string name;
  Json settings = Json::object();  // see chat/bot_settings.h for the keys and defaults
  std::int64_t knowledge_version = 0;  // bumped by every change to the bot's chunks
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

enum class SourceKind { file, url, crawl };
std::string_view source_kind_name(SourceKind kind);
std::optional<SourceKind> parse_source_kind(std::string_view name);

struct Source {
  std::string id;
  std::string workspace_id;
  std::string bot_id;
  SourceKind kind = SourceKind::file;
  std::string name;  // file name, or the start URL
  std::string status = "ready";  // ready | processing | failed
  std::string error;
  std::int64_t document_count = 0;
  std::int64_t chunk_count = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct Document {
  std::string id;
  std::string workspace_id;
  std::string bot_id;
  std::string source_id;
  std::string uri;    // file name or page URL, shown in citations
  std::string title;
  std::string content_type;  // "text/markdown", "text/html", "text/plain", "text/csv", "application/json"
  std::string content_hash;  // SHA-256 of the raw bytes: unchanged content is not re-indexed
  std::int64_t byte_size = 0;
  std::string language;
  std::string status = "indexed";  // indexed | failed
  std::string error;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

enum class ChunkKind { passage, qa };

struct Chunk {
  std::int64_t id = 0;
  std::string document_id;
  std::string bot_id;
  int ordinal = 0;          // position within its document
  ChunkKind kind = ChunkKind::passage;
  std::string title;        // document title, or the question of a Q&A pair
  std::string heading_path; // "Returns > Damaged items"
  std::string text;         // the passage, or the answer of a Q&A pair
  Json metadata = Json::object();
  // Filled in by reads that join the document, for citations.
  std::string document_uri;
  std::string document_title;
};

// The analysed (folded, stemmed) forms of a chunk's fields, as the full-text index stores them.
struct ChunkIndexTerms {
  std::string title;
  std::string headings;
  std::string body;
};

struct NewChunk {
  Chunk chunk;
  ChunkIndexTerms terms;
};

struct Conversation {
  std::string id;
  std::string workspace_id;
  std::string bot_id;
  std::string status = "open";
  std::int64_t message_count = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct MessageSource {
  std::int64_t chunk_id = 0;
  std::string title;
  std::string url;
  std::string snippet;
  double score = 0;
};

struct Message {
  std::int64_t id = 0;
  std::string conversation_id;
  std::string role;  // user | assistant | agent | system
  std::string text;
  std::string mode;  // assistant messages: faq | extractive | fallback | generative
  double confidence = 0;
  std::vector<MessageSource> sources;
  std::int64_t latency_us = 0;
  std::int64_t created_at = 0;
};

}  // namespace parley::store
