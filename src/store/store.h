// The storage interface. Everything a request reads happens in one ReadTx (one consistent snapshot) and everything
// it writes in one WriteTx (one atomic transaction). Implementations: SQLite (store/sqlite/); the interface uses no
// SQLite-specific types so that a PostgreSQL implementation can follow.
//
// Tenancy: a transaction is opened for a Scope. A workspace scope confines every query to that workspace's rows
// inside the implementation (one place), so a handler cannot forget the filter; the system scope is for the few
// operations that precede knowing the workspace (resolving an API key, resolving a public bot id).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/types.h"

namespace parley::store {

class Scope {
 public:
  static Scope workspace(std::string id) { return Scope(std::move(id)); }
  static Scope system() { return Scope(std::string()); }
  bool is_system() const { return workspace_id_.empty(); }
  const std::string& workspace_id() const { return workspace_id_; }

 private:
  explicit Scope(std::string id) : workspace_id_(std::move(id)) {}
  std::string workspace_id_;
};

// A full-text query over one bot's chunks: analysed terms, OR-ed (or AND-ed), ranked by BM25 with per-field weights.
struct ChunkQuery {
  std::vector<std::string> terms;
  std::vector<double> term_weights;  // the IDF of each term (1 when missing): the caller's collection statistics
  bool all_terms = false;            // every term must occur (AND) instead of any (OR)
  std::int64_t max_scored = 0;       // score at most this many matching chunks (0: all); bounds the time of a query
                                     // whose terms are all common
  double title_weight = 3.0;
  double headings_weight = 1.5;
  double body_weight = 1.0;
  int limit = 50;
  // Also rank the Q&A pairs among the same matches by their question (the title field) alone, up to this many:
  // ChunkSearch::qa_titles. One pass over the index instead of a second query.
  int qa_title_limit = 0;
};

struct ChunkHit {
  std::int64_t chunk_id = 0;
  double score = 0;  // BM25, higher is better
};

struct ChunkSearch {
  std::vector<ChunkHit> hits;       // best first, at most ChunkQuery::limit
  std::vector<ChunkHit> qa_titles;  // Q&A pairs by their question alone, best first, at most qa_title_limit
};

// Per-bot collection statistics for IDF: how many chunks the bot has, and in how many each term occurs.
struct TermStats {
  std::int64_t chunk_count = 0;
  std::vector<std::int64_t> document_frequency;  // parallel to the queried terms
};

struct ConversationFilter {
  std::optional<std::int64_t> since;  // created_at >= since
  int limit = 50;
  int offset = 0;
  std::optional<std::int64_t> until = {};  // created_at < until
  std::string text = {};                   // some message contains this text (case-insensitive for ASCII)
  std::optional<std::string> mode = {};    // some answer has this mode (faq, extractive, fallback, ...)
  std::optional<int> rating = {};          // some answer got this feedback (+1 / -1)
};

class ReadTx {
 public:
  virtual ~ReadTx() = default;

  virtual Result<std::optional<Workspace>> workspace(std::string_view id) = 0;
  virtual Result<std::vector<Workspace>> workspaces() = 0;
  // System scope: resolves a presented key by its public prefix.
  virtual Result<std::optional<ApiKey>> api_key_by_prefix(std::string_view prefix) = 0;
  virtual Result<std::vector<ApiKey>> api_keys() = 0;

  virtual Result<std::optional<Bot>> bot(std::string_view bot_id) = 0;
  virtual Result<std::vector<Bot>> bots() = 0;

  virtual Result<std::optional<Source>> source(std::string_view bot_id, std::string_view source_id) = 0;
  virtual Result<std::optional<Source>> source_by_name(std::string_view bot_id, std::string_view name) = 0;
  virtual Result<std::vector<Source>> sources(std::string_view bot_id) = 0;
  virtual Result<std::vector<Document>> documents(std::string_view source_id) = 0;
  // Crawl sources whose scheduled resync is due at `now` (the scheduler reads them in the system scope).
  virtual Result<std::vector<Source>> sources_due_for_sync(std::int64_t now) = 0;

  virtual Result<ChunkSearch> search_chunks(std::string_view bot_id, const ChunkQuery& query) = 0;
  virtual Result<TermStats> term_stats(std::string_view bot_id, const std::vector<std::string>& terms) = 0;
  // The analysed fields of chunks as the full-text index holds them, parallel to `ids` (empty for ids that are not
  // this bot's): lets retrieval re-score candidates without analysing their text again.
  virtual Result<std::vector<ChunkIndexTerms>> chunk_terms(std::string_view bot_id,
                                                           const std::vector<std::int64_t>& ids) = 0;
  // Chunks by id, in the order asked, with their document's uri and title; ids of other bots are skipped.
  virtual Result<std::vector<Chunk>> chunks(std::string_view bot_id, const std::vector<std::int64_t>& ids) = 0;
  virtual Result<std::vector<Chunk>> document_chunks(std::string_view document_id) = 0;
  // Every chunk of a bot, document by document, one at a time (for reports over large knowledge bases).
  virtual Status scan_chunks(std::string_view bot_id, const std::function<void(const Chunk&)>& visit) = 0;

  // ---- Vectors for semantic retrieval (one per chunk, by the model whose SHA-256 is `model_hash`) ----
  // Up to `limit` of the bot's chunks with an id above `after_chunk_id` and no vector by the model, by id (an empty
  // model_hash matches no vector: every chunk).
  virtual Result<std::vector<Chunk>> chunks_to_embed(std::string_view bot_id, std::string_view model_hash,
                                                     std::int64_t after_chunk_id, int limit) = 0;
  virtual Result<EmbeddingCounts> embedding_counts(std::string_view bot_id, std::string_view model_hash) = 0;
  // The bot's vectors by the model with seq > after_seq, in seq order, one at a time; without their values (only
  // ids, dimensions and seq) unless with_values.
  virtual Status scan_chunk_vectors(std::string_view bot_id, std::string_view model_hash, std::int64_t after_seq,
                                    bool with_values, const std::function<void(const ChunkVector&)>& visit) = 0;

  virtual Result<std::optional<Job>> job(std::string_view job_id) = 0;
  virtual Result<std::vector<Job>> jobs(const JobFilter& filter) = 0;  // newest first
  // The oldest job a runner may take at `now`: queued, or running with an expired lease (its runner died).
  virtual Result<std::optional<Job>> claimable_job(std::int64_t now) = 0;
  virtual Result<std::vector<CrawlPage>> crawl_pages(std::string_view job_id, const CrawlPageFilter& filter) = 0;
  // The files a background ingestion job has still to ingest, oldest first.
  virtual Result<std::vector<JobUpload>> job_uploads(std::string_view job_id, int limit) = 0;
  // How many pages of a crawl job have each outcome; pages not visited yet count under "pending".
  virtual Result<std::map<std::string, std::int64_t>> crawl_page_counts(std::string_view job_id) = 0;

  virtual Result<std::optional<Conversation>> conversation(std::string_view bot_id,
                                                           std::string_view conversation_id) = 0;
  virtual Result<std::vector<Conversation>> conversations(std::string_view bot_id,
                                                          const ConversationFilter& filter) = 0;
  virtual Result<std::vector<Message>> messages(std::string_view conversation_id) = 0;

  // System scope: a sign-in looks the user up by email (lower-cased) before the workspace is known.
  virtual Result<std::optional<User>> user_by_email(std::string_view email) = 0;
  virtual Result<std::optional<User>> user(std::string_view user_id) = 0;
  // System scope: a request presents a session token before the workspace is known.
  virtual Result<std::optional<Session>> session(std::string_view session_id) = 0;

  // The scope's workspace's accounts, oldest first.
  virtual Result<std::vector<User>> users() = 0;
  // System scope: a one-time link presents its token before the workspace is known.
  virtual Result<std::optional<AccountToken>> account_token(std::string_view token_id) = 0;

  // Aggregates of a bot's conversations created in [since, until); test conversations (Conversation::test) only
  // when `include_tests`.
  virtual Result<BotAnalytics> analytics(std::string_view bot_id, std::int64_t since, std::int64_t until,
                                         bool include_tests) = 0;

  // The workspace's audit log from seq > after_seq, oldest first (at most `limit`); the last entry, if any.
  virtual Result<std::vector<AuditEntry>> audit_entries(std::int64_t after_seq, int limit) = 0;
  virtual Result<std::optional<AuditEntry>> last_audit_entry() = 0;

  // ---- Leads and support ----
  virtual Result<std::optional<Lead>> lead(std::string_view lead_id) = 0;
  virtual Result<std::vector<Lead>> leads(std::string_view bot_id, const LeadFilter& filter) = 0;  // newest first
  // The bot's leads with this email or this phone (either may be empty), for de-duplication.
  virtual Result<std::vector<Lead>> leads_by_contact(std::string_view bot_id, std::string_view email,
                                                     std::string_view phone) = 0;
  virtual Result<std::vector<Conversation>> lead_conversations(std::string_view lead_id) = 0;
  // Conversations waiting for or held by a person, oldest request first, with their latest message.
  virtual Result<std::vector<Conversation>> inbox(const InboxFilter& filter) = 0;
  // Conversations still waiting whose claim deadline has passed at `now` and whose visitor has not been told yet.
  virtual Result<std::vector<Conversation>> unclaimed_conversations(std::int64_t now) = 0;

  virtual Result<std::optional<Webhook>> webhook(std::string_view webhook_id) = 0;
  virtual Result<std::vector<Webhook>> webhooks() = 0;  // of the scope's workspace, oldest first
  virtual Result<std::optional<Delivery>> delivery(std::int64_t delivery_id) = 0;
  virtual Result<std::vector<Delivery>> deliveries(const DeliveryFilter& filter) = 0;  // newest first
  virtual Result<std::vector<DeliveryAttempt>> delivery_attempts(std::int64_t delivery_id) = 0;  // oldest first
  // Generations in [since, until), per day, bot, provider and model; one bot's when bot_id is not empty.
  virtual Result<std::vector<UsageRow>> usage(std::string_view bot_id, std::int64_t since, std::int64_t until) = 0;
  // Money spent on generations since `since`: one bot's when bot_id is not empty, else the whole scope's.
  virtual Result<double> spend_since(std::string_view bot_id, std::int64_t since) = 0;

  // A bot's test cases, oldest first, each with its latest result.
  virtual Result<std::vector<EvalCase>> eval_cases(std::string_view bot_id) = 0;

  // ---- Learning from misses ----
  // Every missed question of the bot (MissedQuestion), oldest first; not_found for an unknown bot.
  virtual Result<std::vector<MissedQuestion>> missed_questions(std::string_view bot_id) = 0;
  virtual Result<std::vector<SuggestionAnswer>> suggestion_answers(std::string_view bot_id) = 0;

  // ---- Operations (GET /metrics), system scope only ----
  // How many jobs of the whole instance are in each state.
  virtual Result<std::map<std::string, std::int64_t>> job_state_counts() = 0;
  // Deliveries waiting to be sent, per channel, with the creation time of the oldest.
  virtual Result<std::vector<OutboxBacklog>> outbox_backlog() = 0;
};

class WriteTx : public ReadTx {
 public:
  virtual Result<Workspace> create_workspace(std::string_view name) = 0;
  virtual Result<ApiKey> create_api_key(const ApiKey& key) = 0;  // id/created_at filled in
  virtual Status touch_api_key(std::string_view key_id, std::int64_t used_at) = 0;
  virtual Status revoke_api_key(std::string_view key_id) = 0;

  virtual Result<Bot> create_bot(std::string_view name, const Json& settings) = 0;
  // create_bot, unless the scope's workspace has `max_bots` bots already (forbidden then). The count and the insert
  // hold together under concurrent creators, on any replica: at most `max_bots` ever exist.
  virtual Result<Bot> create_bot_within_quota(std::string_view name, const Json& settings, std::int64_t max_bots) = 0;
  virtual Result<Bot> update_bot(const Bot& bot) = 0;  // name and settings
  virtual Status delete_bot(std::string_view bot_id) = 0;

  virtual Result<Source> create_source(std::string_view bot_id, SourceKind kind, std::string_view name) = 0;
  virtual Status update_source(const Source& source) = 0;  // status, error, config and next_sync_at
  virtual Status delete_source(std::string_view bot_id, std::string_view source_id) = 0;

  // Replaces the document with the same (source, uri), if any, and its chunks; returns the stored document. Chunks
  // whose content (kind, title, heading path, text) is unchanged keep their ids; only removed ones are deleted and
  // new ones inserted.
  virtual Result<Document> put_document(const Document& document, const std::vector<NewChunk>& chunks) = 0;
  virtual Status delete_document(std::string_view document_id) = 0;
  // Stores each chunk's vector by the model (replacing any earlier one); ids that are not the bot's chunks (any
  // more) are skipped.
  virtual Status put_chunk_vectors(std::string_view bot_id, std::string_view model_name, std::string_view model_hash,
                                   const std::vector<ChunkVector>& vectors) = 0;

  virtual Result<Conversation> create_conversation(std::string_view bot_id) = 0;
  // Marks a conversation as a test (Conversation::test): analytics leave it out by default.
  virtual Status mark_test_conversation(std::string_view conversation_id) = 0;
  virtual Result<Message> append_message(const Message& message) = 0;  // id/created_at filled in
  virtual Result<Generation> record_generation(const Generation& generation) = 0;  // id/workspace/created_at filled in

  virtual Result<Job> create_job(const Job& job) = 0;  // id, workspace and timestamps filled in
  // Writes state, requested, progress, result, error, lease, attempts and timestamps.
  virtual Status update_job(const Job& job) = 0;
  // Adds URLs to a crawl job's frontier; URLs already there are left as they are. Returns how many were new.
  virtual Result<int> add_crawl_pages(std::string_view job_id, const std::vector<CrawlPage>& pages) = 0;
  // Records what became of a visited URL (done, outcome, reason, status, document).
  virtual Status update_crawl_page(const CrawlPage& page) = 0;
  virtual Status add_job_upload(const JobUpload& upload) = 0;
  virtual Status delete_job_upload(std::int64_t upload_id) = 0;
  // Records (or replaces, or with rating 0 removes) the visitor's feedback on an assistant message of the
  // conversation.
  virtual Status set_feedback(std::string_view conversation_id, std::int64_t message_id, int rating) = 0;

  virtual Result<User> create_user(const User& user) = 0;  // id/created_at filled in; email lower-cased
  virtual Status set_user_password(std::string_view user_id, std::string_view password_hash) = 0;
  virtual Status set_user_role(std::string_view user_id, Role role) = 0;
  virtual Status delete_user(std::string_view user_id) = 0;  // and the user's sessions
  virtual Status set_user_name(std::string_view user_id, std::string_view name) = 0;
  virtual Status create_account_token(const AccountToken& token) = 0;  // created_at filled in
  virtual Status delete_account_tokens(std::string_view user_id) = 0;  // every token of the account
  virtual Result<Session> create_session(const Session& session) = 0;  // created_at filled in
  virtual Status delete_session(std::string_view session_id) = 0;
  // Ends every session of the user except `kept_session_id` (empty: all of them); how many ended.
  virtual Result<int> delete_user_sessions(std::string_view user_id, std::string_view kept_session_id) = 0;

  // The daily message quota: counts one of the bot's visitor messages on `day` (days since 1970-01-01, UTC) when
  // fewer than `limit` are counted that day, and returns whether it was counted. Kept in the store so that a
  // restart does not hand out a fresh quota; earlier days' counts are dropped.
  virtual Result<bool> take_daily_message(std::string_view bot_id, std::int64_t day, std::int64_t limit) = 0;

  // ---- Leads and support ----
  virtual Result<Lead> create_lead(const Lead& lead) = 0;  // id, workspace and timestamps filled in
  virtual Status update_lead(const Lead& lead) = 0;         // every field but the id, bot and created_at
  virtual Status delete_lead(std::string_view lead_id) = 0;
  // Writes the handoff fields of a conversation (status, agent, times, summary, lead).
  virtual Status update_conversation_support(const Conversation& conversation) = 0;

  virtual Result<Webhook> create_webhook(const Webhook& webhook) = 0;  // id, workspace and timestamps filled in
  virtual Status update_webhook(const Webhook& webhook) = 0;
  virtual Status delete_webhook(std::string_view webhook_id) = 0;  // and its deliveries
  virtual Result<Delivery> add_delivery(const Delivery& delivery) = 0;  // id and created_at filled in
  // Takes up to `limit` deliveries of `channel` that are due at `now` (pending, not leased or lease expired, their
  // webhook active) under a lease for `owner` until `lease_until`; fills in each one's target and secret.
  virtual Result<std::vector<Delivery>> claim_deliveries(std::string_view channel, std::int64_t now,
                                                         std::string_view owner, std::int64_t lease_until,
                                                         int limit) = 0;
  // Writes state, attempts, times, lease and last result.
  virtual Status update_delivery(const Delivery& delivery) = 0;
  virtual Status add_delivery_attempt(const DeliveryAttempt& attempt) = 0;
  // Gives back every lease `owner` holds (a dispatcher that stops): those deliveries are due again at once.
  virtual Status release_deliveries(std::string_view owner) = 0;

  // System scope: an instance-wide secret (e.g. the key that signs visitor tokens), created with `initial` when
  // it does not exist yet; every caller then gets the same value.
  virtual Result<std::string> instance_secret(std::string_view name, std::string_view initial) = 0;

  // Appends to the scope's workspace audit log (the table refuses updates and deletes). src/audit computes
  // seq and hashes; use audit::record, not this.
  virtual Status append_audit_entry(const AuditEntry& entry) = 0;

  // ---- A bot's test suite ----
  virtual Result<EvalCase> create_eval_case(const EvalCase& eval_case) = 0;  // id, workspace, created_at filled in
  virtual Status delete_eval_case(std::string_view bot_id, std::string_view case_id) = 0;
  // Replaces the case's latest result.
  virtual Status record_eval_result(std::string_view bot_id, std::string_view case_id, const EvalResult& result) = 0;

  // ---- Data governance (issue 17) ----
  // Sets the scope's workspace's retention; negative days are refused (invalid_request).
  virtual Status set_retention(const Retention& retention) = 0;
  // Deletes up to `limit` of the bot's conversations (with their messages and feedback) whose last activity is
  // before `inactive_before`, oldest first; a caller repeats until fewer than `limit` went, one short transaction
  // each, so that chat's writes get in between.
  virtual Result<PurgeCounts> purge_conversations(std::string_view bot_id, std::int64_t inactive_before, int limit) = 0;
  // The same for the bot's leads (conversations keep no reference to a deleted lead).
  virtual Result<PurgeCounts> purge_leads(std::string_view bot_id, std::int64_t inactive_before, int limit) = 0;
  // Erases one person's data in the scope's workspace: the visitor's conversation, or the leads with the email
  // (compared case-insensitively); with them every lead tied to those conversations and every conversation tied to
  // those leads, their messages, and the payload of each delivery that carried any of it (blanked; a pending one is
  // not sent). Nothing found is not an error: the counts are zero.
  virtual Result<ErasureCounts> erase_person(const ErasureTarget& target) = 0;

  // ---- Learning from misses (issue 17) ----
  // Records (or, for a suggestion answered again, replaces) an owner's answer to a suggestion; answered_at filled in.
  virtual Result<SuggestionAnswer> record_suggestion_answer(std::string_view bot_id, const SuggestionAnswer& answer) = 0;
};

struct StoreOptions {
  std::string path;  // SQLite database file
  // A postgresql:// URL: the PostgreSQL store instead of SQLite (`path` is then unused).
  std::string url = {};
  int pool_size = 16;         // PostgreSQL connections at most
  int pool_wait_ms = 2'000;   // how long a transaction waits for a free connection before failing (503)
  std::string index_dir = {};  // where the PostgreSQL store keeps this replica's search index (a temporary folder)
};

// Messages between the processes that share a store, as they happen: replicas of one PostgreSQL database tell each
// other about live events (LISTEN/NOTIFY). A process hears the others' messages on the channel, never its own; one
// that is not listening when a message is sent does not get it later.
class Broadcast {
 public:
  virtual ~Broadcast() = default;
  virtual Status send(std::string_view message) = 0;
};
// Called on the broadcast's own thread, one message at a time, in the order each sender sent them.
using BroadcastReceiver = std::function<void(const std::string& message)>;

class Store {
 public:
  virtual ~Store() = default;
  // Runs `work` in one read transaction (a consistent snapshot).
  virtual Status read(const Scope& scope, const std::function<Status(ReadTx&)>& work) = 0;
  // Runs `work` in one write transaction: committed when it returns ok, rolled back otherwise.
  virtual Status write(const Scope& scope, const std::function<Status(WriteTx&)>& work) = 0;
  virtual int schema_version() const = 0;
  // Joins `channel` (letters, digits, '_') among the processes sharing this store. nullptr when the store is one
  // process's own (SQLite): there is nobody else to tell.
  virtual std::unique_ptr<Broadcast> open_broadcast(std::string_view channel, BroadcastReceiver receive) {
    (void)channel;
    (void)receive;
    return nullptr;
  }
};

// Opens the store (SQLite, or PostgreSQL when options.url is a postgresql:// URL), creating and migrating it as
// needed.
Result<std::unique_ptr<Store>> open_store(const StoreOptions& options);

}  // namespace parley::store
