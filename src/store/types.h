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

// A person who signs in to the admin app. Emails are stored lower-cased and are unique across the instance, so a
// sign-in finds its workspace from the email alone.
struct User {
  std::string id;
  std::string workspace_id;
  std::string email;
  std::string name;
  std::string password_hash;  // argon2id, in libsodium's crypto_pwhash_str format; never the password
  Role role = Role::viewer;
  std::int64_t created_at = 0;
};

// A signed-in browser. The token lives only in the visitor's cookie; the store keeps its SHA-256 as the id.
struct Session {
  std::string id;  // SHA-256 (hex) of the session token
  std::string workspace_id;
  std::string user_id;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
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
  Json config = Json::object();  // crawl sources: the crawl settings and schedule (see crawl/crawl_config.h)
  std::optional<std::int64_t> next_sync_at;  // crawl sources with a schedule: when the next resync is due
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
  // Crawled pages: what a resync needs to ask "has it changed?" and to carry on from an unchanged page.
  std::string fetched_url;    // the URL requested (uri is the canonical URL)
  std::string etag;           // validators of the response, for a conditional request next time
  std::string last_modified;
  std::optional<std::int64_t> modified_at;  // when the content last changed, per the server or the sitemap
  std::vector<std::string> links;           // the page's outgoing links (normalised), followed even after a 304
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
  // Filled in by reads, for lists: the visitor's first message, and how the bot fared in this conversation.
  std::string first_question = {};
  std::int64_t fallback_count = 0;
  std::int64_t thumbs_up = 0;
  std::int64_t thumbs_down = 0;
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
  int rating = 0;  // the visitor's feedback on an assistant message: +1, -1, or 0 for none
};

// One call to a language model for an answer (each route tried is one record, failed ones included), for cost
// and latency accounting and the routing audit.
struct Generation {
  std::int64_t id = 0;
  std::string workspace_id;  // filled in from the bot
  std::string bot_id;
  std::int64_t message_id = 0;  // the assistant message it produced or tried to produce (0: none, e.g. the API)
  std::string provider;
  std::string model;
  std::string outcome;  // ok | declined | failed | cancelled
  std::string error;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  double cost_usd = 0;
  double first_token_ms = 0;
  double total_ms = 0;
  Json routing;  // the plan and why this route was taken
  std::int64_t created_at = 0;
};

// Generations grouped by UTC day, bot, provider and model.
struct UsageRow {
  std::string day;
  std::string bot_id;
  std::string provider;
  std::string model;
  std::int64_t requests = 0;
  std::int64_t failures = 0;  // outcome failed
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  double cost_usd = 0;
  double mean_first_token_ms = 0;
  double mean_total_ms = 0;
};

// Aggregates of one bot's conversations over a time window, for the analytics screen. Days are UTC.
struct DailyActivity {
  std::string day;  // YYYY-MM-DD
  std::int64_t conversations = 0;  // started that day
  std::int64_t questions = 0;      // visitor messages
  std::int64_t answered = 0;       // assistant answers from the knowledge (faq, extractive, generative)
  std::int64_t fallbacks = 0;      // assistant answers that declined
};

struct UnansweredQuestion {
  std::string text;
  std::int64_t count = 0;
  std::int64_t last_asked_at = 0;
};

struct SourceUsage {
  std::string title;
  std::string url;
  std::int64_t citations = 0;
};

struct BotAnalytics {
  std::vector<DailyActivity> days;  // only days with activity, oldest first
  std::int64_t conversations = 0;
  std::int64_t questions = 0;
  std::int64_t answered = 0;
  std::int64_t fallbacks = 0;
  std::int64_t thumbs_up = 0;
  std::int64_t thumbs_down = 0;
  std::vector<UnansweredQuestion> unanswered;  // most asked first
  std::vector<SourceUsage> top_sources;        // most cited first
  std::vector<std::int64_t> latencies_us;      // of every answer in the window, ascending
};

// A background job in the durable queue. One runner at a time holds a job's lease; a job whose lease expired
// (its process died) is claimed again and resumes from what it stored.
enum class JobState { queued, running, paused, cancelled, succeeded, failed };
std::string_view job_state_name(JobState state);
std::optional<JobState> parse_job_state(std::string_view name);
inline bool is_finished(JobState state) {
  return state == JobState::cancelled || state == JobState::succeeded || state == JobState::failed;
}

struct Job {
  std::string id;
  std::string workspace_id;
  std::string bot_id;
  std::string source_id;  // empty for jobs of no single source
  std::string kind;       // "crawl"
  JobState state = JobState::queued;
  std::string requested;  // "pause" | "cancel": asked of the runner that holds the lease
  std::string trigger;    // "manual" | "schedule"
  Json params = Json::object();    // what to do
  Json progress = Json::object();  // counters the runner updates as it goes
  Json result = Json::object();    // the summary when finished
  std::string error;
  std::string lease_owner;
  std::int64_t lease_expires_at = 0;
  int attempts = 0;  // how many times a runner claimed it
  std::int64_t created_at = 0;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> finished_at;
  std::int64_t updated_at = 0;
};

struct JobFilter {
  std::string bot_id;
  std::string source_id;  // optional
  bool active_only = false;  // queued, running or paused
  int limit = 50;
};

// One URL of a crawl job's frontier, and once visited, what became of it: the frontier and the record of a sync
// are the same rows, written in the same transaction as the pages' documents.
struct CrawlPage {
  std::string job_id;
  std::string url;       // normalised
  int depth = 0;
  std::int64_t seq = 0;  // discovery order (filled in by the store)
  bool done = false;
  std::string outcome;   // added | updated | unchanged | removed | failed | skipped | redirected
  std::string reason;
  int http_status = 0;
  std::string document_uri;  // the document this page produced or kept (its canonical URL)
  std::string referrer;
  std::optional<std::int64_t> listed_modified_at;  // the sitemap's <lastmod>
};

// A file of a background ingestion job, kept in the store until the job has ingested it.
struct JobUpload {
  std::int64_t id = 0;
  std::string job_id;
  std::string name;
  std::string content_type;
  std::string bytes;
};

struct CrawlPageFilter {
  std::string outcome;  // empty: all
  bool pending_only = false;
  int limit = 100;
  int offset = 0;
};

// One entry of a workspace's audit log (append-only; entries are chained by hash, see src/audit).
struct AuditEntry {
  std::string workspace_id;
  std::int64_t seq = 0;  // 1, 2, ... per workspace
  std::int64_t at = 0;   // unix milliseconds
  std::string actor;     // "key:<id>", "user:<id>", "cli"
  std::string action;    // "bot.create", "bot.update", "source.delete", ...
  std::string target;    // the object's id
  Json before = nullptr;
  Json after = nullptr;
  std::string prev_hash;  // the previous entry's hash ("" for the first)
  std::string hash;       // SHA-256 (hex) over prev_hash and this entry's fields
};

}  // namespace parley::store
