// Rows of the store, as plain values. Timestamps are Unix milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace parley::store {

using Json = nlohmann::json;

// How long a workspace keeps visitors' data after its last activity (issue 17, data governance), in days; 0 keeps it
// forever. The retention job (governance/retention.h) deletes what is older.
struct Retention {
  int conversation_days = 0;  // conversations, with their messages and feedback
  int lead_days = 0;
};

struct Workspace {
  std::string id;
  std::string name;
  std::int64_t created_at = 0;
  Retention retention = {};
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

// A one-time link that lets a person set their password: an owner's invitation, or a password reset. Only the
// SHA-256 of the token is stored (the id); using it deletes every token of the account.
struct AccountToken {
  std::string id;  // SHA-256 (hex) of the token
  std::string workspace_id;
  std::string user_id;
  std::string purpose;  // invite | reset
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

// curated: the Q&A pairs an owner typed or answered in the app (learn/curated.h), one document per pair.
enum class SourceKind { file, url, crawl, curated };
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

// chunk.metadata[kInjectionVerdictKey]: the ingest-time prompt-injection verdict ({"score", "reasons"}) of a chunk
// the screen flagged; absent on chunks that passed. The answer pipeline applies the bot's content policy to it.
inline constexpr const char* kInjectionVerdictKey = "injection";
inline bool flagged_as_injection(const Chunk& chunk) {
  return chunk.metadata.is_object() && chunk.metadata.contains(kInjectionVerdictKey);
}

struct NewChunk {
  Chunk chunk;
  ChunkIndexTerms terms;
};

// A chunk's embedding for semantic retrieval: at most one per chunk, stored with the name and hash of the model
// that computed it (vectors of another model are not comparable, and are replaced as the chunks are embedded again).
struct ChunkVector {
  std::int64_t chunk_id = 0;
  std::vector<float> values;
  std::int64_t dimensions = 0;  // as recorded; reads fill it in, and values.size() differs only in a damaged row
  std::int64_t seq = 0;         // reads: increases with every vector a model writes for the bot, so readers catch up
};

// How much of a bot's knowledge has vectors by one model.
struct EmbeddingCounts {
  std::int64_t chunks = 0;
  std::int64_t embedded = 0;
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
  // Handoff to a person (handoff/): `status` is open (the bot answers), waiting_for_agent, with_agent or closed.
  std::string agent_id = {};    // who holds it: a user id, or "key:<id>" for an API key
  std::string agent_name = {};  // shown to the visitor and in the inbox
  std::optional<std::int64_t> handoff_requested_at = {};
  std::string handoff_reason = {};  // visitor_request | button | fallback
  std::optional<std::int64_t> claim_deadline_at = {};  // waiting this long unclaimed, the visitor is told so
  std::optional<std::int64_t> handoff_notice_at = {};  // when the visitor was told that no one could take it
  std::optional<std::int64_t> claimed_at = {};
  std::optional<std::int64_t> closed_at = {};
  std::string summary = {};  // written when the handoff was requested, for the agent
  std::string lead_id = {};  // the lead the visitor left in this conversation
  bool test = false;  // started from the admin app's playground (or an API caller that said so): not visitor traffic
  // Filled in by inbox reads: the latest message, for the list.
  std::string last_message = {};
  std::string last_role = {};
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
  std::string author = {};  // agent messages: the agent's display name
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
  std::int64_t handoffs = 0;                   // conversations in which a person was asked for
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
  std::string trigger;    // "manual" | "schedule" | "auto" (queued by the server itself, e.g. to embed new chunks)
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
  std::string kind = {};  // optional: only jobs of this kind
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

// ---- Leads and support (issue 7) ----

// A person who left their details with a bot. One lead per person per bot: a later submission with the same email
// (or the same phone, when one side has no email) updates it instead of adding another.
struct Lead {
  std::string id;
  std::string workspace_id;
  std::string bot_id;
  std::string name;
  std::string email;  // trimmed, domain lower-cased; empty when not given
  std::string phone;  // E.164 ("+14155552671"); empty when not given
  std::string company;
  Json fields = Json::object();  // the form's custom fields, by name
  std::string consent_text;      // what the visitor agreed to (empty: the form asked for no consent)
  std::optional<std::int64_t> consented_at;
  std::string trigger;  // what showed the form: before_chat | after_messages | buying_intent | fallback | request | handoff | api
  std::string conversation_id;  // the conversation of the latest submission
  std::int64_t submissions = 1;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct LeadFilter {
  std::optional<std::int64_t> since;  // created_at >= since
  std::optional<std::int64_t> until;  // created_at < until
  std::string text;                   // name, email, phone or company contains this (ASCII case-insensitive)
  std::string trigger;                // empty: any
  int limit = 50;
  int offset = 0;
};

// The agents' inbox: conversations of the workspace that wait for or are held by a person.
struct InboxFilter {
  std::string bot_id;                  // empty: every bot of the workspace
  std::vector<std::string> statuses;   // empty: waiting_for_agent and with_agent
  std::string agent_id;                // only these held by this agent
  int limit = 200;
};

// A subscription to events: deliveries of the matching events go to `url`, signed with `secret`.
struct Webhook {
  std::string id;
  std::string workspace_id;
  std::string bot_id;  // empty: every bot of the workspace
  std::string url;
  std::vector<std::string> events;  // lead.created, conversation.handoff_requested, ...
  std::string format = "json";      // json | slack
  std::string secret;               // the HMAC-SHA256 key of the signature header
  std::string description;
  bool active = true;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

// One event on its way to one destination: the durable outbox. Written in the transaction that made the event, so
// none is lost; taken by a dispatcher under a lease (like jobs), so a crashed process's deliveries are sent again
// (at least once).
struct Delivery {
  std::int64_t id = 0;
  std::string workspace_id;
  std::string bot_id;
  std::string channel;     // webhook | email
  std::string webhook_id;  // webhook deliveries
  std::string target;      // the URL (the webhook's current one when claimed), or the email recipients, comma-separated
  std::string format;      // json | slack | email
  std::string event_id;
  std::string event_type;
  std::string payload;     // the exact body to POST, or for email {"subject", "text"} as JSON
  std::string state = "pending";  // pending | delivered | failed
  int attempts = 0;
  std::int64_t next_attempt_at = 0;
  std::int64_t expires_at = 0;  // no retry after this (24 hours after the event, or after a replay)
  std::string lease_owner;
  std::int64_t lease_expires_at = 0;
  int last_status = 0;  // HTTP (or SMTP) status of the last attempt; 0 when none arrived
  std::string last_error;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> delivered_at;
  std::string secret = {};  // filled in by claims only: the webhook's signing key
  std::string request_id = {};  // the HTTP request whose change made the event (its logs; sent as X-Request-Id)
};

// The outbox's deliveries still pending on one channel (webhook | email), for operations metrics.
struct OutboxBacklog {
  std::string channel;
  std::int64_t pending = 0;
  std::int64_t oldest_created_at = 0;  // Unix milliseconds
};

struct DeliveryAttempt {
  std::int64_t id = 0;
  std::int64_t delivery_id = 0;
  std::int64_t attempted_at = 0;
  int status = 0;
  std::string error;
  std::int64_t duration_ms = 0;
  std::string response;  // the start of the response body
};

struct DeliveryFilter {
  std::string webhook_id;  // empty: any
  std::string channel;     // empty: any
  std::string state;       // empty: any
  int limit = 50;
  int offset = 0;
};

// A bot's test case (issue 17): a question and what a good answer must do. At least one expectation is set.
struct EvalResult {
  bool passed = false;
  std::string answer;
  std::string mode;  // faq | extractive | fallback
  std::vector<MessageSource> sources;
  std::int64_t run_at = 0;
};

// A visitor's question the bot missed: it declined (a fallback answer) or its answer got a thumbs-down. Test
// conversations (the playground's) are left out.
struct MissedQuestion {
  std::string text;
  std::int64_t asked_at = 0;
  bool declined = false;
  bool thumbs_down = false;
};

// An owner answered a suggestion (learn/suggestions.h): its misses up to `answered_at` are settled, and the curated
// pair (a document of the bot's curated source) is what answers it now.
struct SuggestionAnswer {
  std::string suggestion_id;
  std::string document_id;
  std::int64_t answered_at = 0;
};

struct EvalCase {
  std::string id;
  std::string workspace_id;
  std::string bot_id;
  std::string question;
  std::string expect_source;   // a cited source's title or URL contains this (case-folded); empty: no check
  std::string expect_text;     // the answer contains this phrase (case-folded); empty: no check
  bool expect_decline = false;  // the bot declines (a fallback answer)
  std::int64_t created_at = 0;
  std::optional<EvalResult> last;  // the latest run's result, if the case ever ran
};

// ---- Data governance (issue 17) ----

// What one retention batch deleted.
struct PurgeCounts {
  std::int64_t conversations = 0;
  std::int64_t messages = 0;
  std::int64_t leads = 0;
};

// Whose data to erase (right to be forgotten): a visitor, by the id of their conversation (what the widget's visitor
// token names), or a person by the email they left in a lead form. Exactly one is set.
struct ErasureTarget {
  std::string conversation_id;
  std::string email;
};

// What an erasure removed: counts only, never the data.
struct ErasureCounts {
  std::int64_t conversations = 0;
  std::int64_t messages = 0;
  std::int64_t leads = 0;
  std::int64_t deliveries = 0;  // deliveries whose payload carried the person's data, now blanked (rows kept)
  bool nothing() const { return conversations == 0 && leads == 0 && deliveries == 0; }
};

}  // namespace parley::store
