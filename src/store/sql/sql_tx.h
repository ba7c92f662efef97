// One transaction of a SQL store (SQLite, PostgreSQL), for one scope: the queries both backends run alike, written
// once. The methods are defined by concern, one file each in this folder: bots.cpp (workspaces, bots),
// knowledge.cpp (sources, documents, chunks), vectors.cpp (chunk vectors), conversations.cpp, analytics.cpp,
// jobs.cpp, outbox.cpp (webhooks, deliveries), leads.cpp (leads, handoff), auth.cpp (keys, users, sessions,
// secrets), audit.cpp, quotas.cpp, evals.cpp (a bot's test suite), governance.cpp (retention, erasure),
// suggestions.cpp (missed questions and answered suggestions).
// A backend derives from SqlTx and adds what differs: the full-text index (search and the index hooks below) and
// a few SQL fragments.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/sql/query.h"
#include "store/sql/rows.h"
#include "store/sql/connection.h"
#include "store/store.h"

namespace parley::store {

class SqlTx : public WriteTx {
 public:
  SqlTx(SqlConnection& db, const Scope& scope) : db_(db), scope_(scope) {}

  // ---- workspaces and bots (bots.cpp) ----
  Result<std::optional<Workspace>> workspace(std::string_view id) override;
  Result<std::vector<Workspace>> workspaces() override;
  Result<std::optional<Bot>> bot(std::string_view bot_id) override;
  Result<std::vector<Bot>> bots() override;
  Result<Workspace> create_workspace(std::string_view name) override;
  Result<Bot> create_bot(std::string_view name, const Json& settings) override;
  Result<Bot> create_bot_within_quota(std::string_view name, const Json& settings, std::int64_t max_bots) override;
  Result<Bot> update_bot(const Bot& bot) override;
  Status delete_bot(std::string_view bot_id) override;

  // ---- knowledge (knowledge.cpp) ----
  Result<std::optional<Source>> source(std::string_view bot_id, std::string_view source_id) override;
  Result<std::optional<Source>> source_by_name(std::string_view bot_id, std::string_view name) override;
  Result<std::vector<Source>> sources(std::string_view bot_id) override;
  Result<std::vector<Document>> documents(std::string_view source_id) override;
  Result<std::vector<Source>> sources_due_for_sync(std::int64_t now) override;
  Result<std::vector<Chunk>> chunks(std::string_view bot_id, const std::vector<std::int64_t>& ids) override;
  Result<std::vector<Chunk>> document_chunks(std::string_view document_id) override;
  Status scan_chunks(std::string_view bot_id, const std::function<void(const Chunk&)>& visit) override;
  Result<Source> create_source(std::string_view bot_id, SourceKind kind, std::string_view name) override;
  Status update_source(const Source& source) override;
  Status delete_source(std::string_view bot_id, std::string_view source_id) override;
  Result<Document> put_document(const Document& document, const std::vector<NewChunk>& new_chunks) override;
  Status delete_document(std::string_view document_id) override;

  // ---- chunk vectors for semantic retrieval (vectors.cpp) ----
  Result<std::vector<Chunk>> chunks_to_embed(std::string_view bot_id, std::string_view model_hash,
                                             std::int64_t after_chunk_id, int limit) override;
  Result<EmbeddingCounts> embedding_counts(std::string_view bot_id, std::string_view model_hash) override;
  Status scan_chunk_vectors(std::string_view bot_id, std::string_view model_hash, std::int64_t after_seq,
                            bool with_values, const std::function<void(const ChunkVector&)>& visit) override;
  Status put_chunk_vectors(std::string_view bot_id, std::string_view model_name, std::string_view model_hash,
                           const std::vector<ChunkVector>& vectors) override;

  // ---- conversations (conversations.cpp) ----
  Result<std::optional<Conversation>> conversation(std::string_view bot_id,
                                                   std::string_view conversation_id) override;
  Result<std::vector<Conversation>> conversations(std::string_view bot_id, const ConversationFilter& filter) override;
  Result<std::vector<Message>> messages(std::string_view conversation_id) override;
  Result<Conversation> create_conversation(std::string_view bot_id) override;
  Status mark_test_conversation(std::string_view conversation_id) override;
  Result<Message> append_message(const Message& message) override;
  Status set_feedback(std::string_view conversation_id, std::int64_t message_id, int rating) override;
  Result<Generation> record_generation(const Generation& generation) override;

  // ---- reports (analytics.cpp) ----
  Result<BotAnalytics> analytics(std::string_view bot_id, std::int64_t since, std::int64_t until,
                                 bool include_tests) override;
  Result<std::vector<UsageRow>> usage(std::string_view bot_id, std::int64_t since, std::int64_t until) override;
  Result<double> spend_since(std::string_view bot_id, std::int64_t since) override;

  // ---- jobs (jobs.cpp) ----
  Result<std::map<std::string, std::int64_t>> job_state_counts() override;
  Result<std::optional<Job>> job(std::string_view job_id) override;
  Result<std::vector<Job>> jobs(const JobFilter& filter) override;
  Result<std::optional<Job>> claimable_job(std::int64_t now) override;
  Result<std::vector<CrawlPage>> crawl_pages(std::string_view job_id, const CrawlPageFilter& filter) override;
  Result<std::vector<JobUpload>> job_uploads(std::string_view job_id, int limit) override;
  Result<std::map<std::string, std::int64_t>> crawl_page_counts(std::string_view job_id) override;
  Result<Job> create_job(const Job& job) override;
  Status update_job(const Job& job) override;
  Result<int> add_crawl_pages(std::string_view job_id, const std::vector<CrawlPage>& pages) override;
  Status update_crawl_page(const CrawlPage& page) override;
  Status add_job_upload(const JobUpload& upload) override;
  Status delete_job_upload(std::int64_t upload_id) override;

  // ---- webhooks and the outbox (outbox.cpp) ----
  Result<std::vector<OutboxBacklog>> outbox_backlog() override;
  Result<std::optional<Webhook>> webhook(std::string_view webhook_id) override;
  Result<std::vector<Webhook>> webhooks() override;
  Result<std::optional<Delivery>> delivery(std::int64_t delivery_id) override;
  Result<std::vector<Delivery>> deliveries(const DeliveryFilter& filter) override;
  Result<std::vector<DeliveryAttempt>> delivery_attempts(std::int64_t delivery_id) override;
  Result<Webhook> create_webhook(const Webhook& webhook) override;
  Status update_webhook(const Webhook& webhook) override;
  Status delete_webhook(std::string_view webhook_id) override;
  Result<Delivery> add_delivery(const Delivery& delivery) override;
  Result<std::vector<Delivery>> claim_deliveries(std::string_view channel, std::int64_t now, std::string_view owner,
                                                 std::int64_t lease_until, int limit) override;
  Status update_delivery(const Delivery& delivery) override;
  Status add_delivery_attempt(const DeliveryAttempt& attempt) override;
  Status release_deliveries(std::string_view owner) override;

  // ---- leads and handoff (leads.cpp) ----
  Result<std::optional<Lead>> lead(std::string_view lead_id) override;
  Result<std::vector<Lead>> leads(std::string_view bot_id, const LeadFilter& filter) override;
  Result<std::vector<Lead>> leads_by_contact(std::string_view bot_id, std::string_view email,
                                             std::string_view phone) override;
  Result<std::vector<Conversation>> lead_conversations(std::string_view lead_id) override;
  Result<std::vector<Conversation>> inbox(const InboxFilter& filter) override;
  Result<std::vector<Conversation>> unclaimed_conversations(std::int64_t now) override;
  Result<Lead> create_lead(const Lead& lead) override;
  Status update_lead(const Lead& lead) override;
  Status delete_lead(std::string_view lead_id) override;
  Status update_conversation_support(const Conversation& conversation) override;

  // ---- keys, users, sessions, secrets (auth.cpp) ----
  Result<std::optional<ApiKey>> api_key_by_prefix(std::string_view prefix) override;
  Result<std::vector<ApiKey>> api_keys() override;
  Result<ApiKey> create_api_key(const ApiKey& key) override;
  Status touch_api_key(std::string_view key_id, std::int64_t used_at) override;
  Status revoke_api_key(std::string_view key_id) override;
  Result<std::optional<User>> user_by_email(std::string_view email) override;
  Result<std::optional<User>> user(std::string_view user_id) override;
  Result<std::optional<Session>> session(std::string_view session_id) override;
  Result<std::vector<User>> users() override;
  Result<std::optional<AccountToken>> account_token(std::string_view token_id) override;
  Result<User> create_user(const User& user) override;
  Status set_user_password(std::string_view user_id, std::string_view password_hash) override;
  Status set_user_role(std::string_view user_id, Role role) override;
  Status delete_user(std::string_view user_id) override;
  Status set_user_name(std::string_view user_id, std::string_view name) override;
  Status create_account_token(const AccountToken& token) override;
  Status delete_account_tokens(std::string_view user_id) override;
  Result<Session> create_session(const Session& session) override;
  Status delete_session(std::string_view session_id) override;
  Result<int> delete_user_sessions(std::string_view user_id, std::string_view kept_session_id) override;
  Result<std::string> instance_secret(std::string_view name, std::string_view initial) override;

  // ---- the audit log (audit.cpp) ----
  Result<std::vector<AuditEntry>> audit_entries(std::int64_t after_seq, int limit) override;
  Result<std::optional<AuditEntry>> last_audit_entry() override;
  Status append_audit_entry(const AuditEntry& entry) override;

  // ---- quotas (quotas.cpp) ----
  Result<bool> take_daily_message(std::string_view bot_id, std::int64_t day, std::int64_t limit) override;

  // ---- a bot's test suite (evals.cpp) ----
  Result<std::vector<EvalCase>> eval_cases(std::string_view bot_id) override;
  Result<EvalCase> create_eval_case(const EvalCase& eval_case) override;
  Status delete_eval_case(std::string_view bot_id, std::string_view case_id) override;
  Status record_eval_result(std::string_view bot_id, std::string_view case_id, const EvalResult& result) override;

  // ---- data governance (governance.cpp) ----
  Status set_retention(const Retention& retention) override;
  Result<PurgeCounts> purge_conversations(std::string_view bot_id, std::int64_t inactive_before, int limit) override;
  Result<PurgeCounts> purge_leads(std::string_view bot_id, std::int64_t inactive_before, int limit) override;
  Result<ErasureCounts> erase_person(const ErasureTarget& target) override;
  // ---- learning from misses (suggestions.cpp) ----
  Result<std::vector<MissedQuestion>> missed_questions(std::string_view bot_id) override;
  Result<std::vector<SuggestionAnswer>> suggestion_answers(std::string_view bot_id) override;
  Result<SuggestionAnswer> record_suggestion_answer(std::string_view bot_id, const SuggestionAnswer& answer) override;

 protected:
  // ---- what each backend provides ----
  // The full-text index of chunks, kept in step with the chunks table by the knowledge methods.
  virtual void on_bot_created(std::string_view bot_id) = 0;
  virtual void on_bot_deleted(std::string_view bot_id) = 0;  // before the bot's rows go
  virtual void index_chunk(const Document& document, std::int64_t chunk_id, const NewChunk& chunk) = 0;
  // Whether the index holds the chunk with exactly these terms.
  virtual bool chunk_indexed_as(const Document& document, std::int64_t chunk_id, const ChunkIndexTerms& terms) = 0;
  virtual void unindex_chunk(const Document& document, std::int64_t chunk_id) = 0;
  virtual void unindex_document_chunks(std::string_view bot_id, std::string_view document_id) = 0;
  // SQL fragments: the UTC day ('YYYY-MM-DD') of a Unix-milliseconds expression; a FROM item `j` whose `value`
  // column holds each element of a JSON array expression; the text of a key of such an element.
  virtual std::string day_of(std::string_view millis) const = 0;
  virtual std::string json_elements(std::string_view array) const = 0;
  virtual std::string json_text(std::string_view element, std::string_view key) const = 0;
  // Appended to a SELECT that claims rows of `table` (jobs, deliveries), so that concurrent claimers skip each
  // other's rows.
  virtual std::string claim_lock(std::string_view table) const = 0;
  // Makes the rest of this transaction run alone among transactions taking the same `name` for the scope's
  // workspace (a count checked before an insert, under READ COMMITTED), until it ends.
  virtual void lock_workspace(std::string_view name) = 0;

  void bind_scope(Statement& stmt) const { stmt.bind(":ws", std::string_view(scope_.workspace_id())); }

  // The first row of a scoped query, read by `read`; `args` fill its plain "?" parameters in order.
  template <typename Reader, typename... Args>
  auto one(const std::string& query, Reader read, const Args&... args)
      -> Result<std::optional<decltype(read(std::declval<const Statement&>()))>> {
    auto stmt = db_.prepare(query);
    stmt.bind_positional(args...);
    bind_scope(stmt);
    using Row = decltype(read(std::declval<const Statement&>()));
    if (!stmt.step()) return std::optional<Row>();
    return std::optional<Row>(read(stmt));
  }

  // Every row of a scoped query.
  template <typename Reader, typename... Args>
  auto all(const std::string& query, Reader read, const Args&... args)
      -> Result<std::vector<decltype(read(std::declval<const Statement&>()))>> {
    auto stmt = db_.prepare(query);
    stmt.bind_positional(args...);
    bind_scope(stmt);
    std::vector<decltype(read(std::declval<const Statement&>()))> rows;
    while (stmt.step()) rows.push_back(read(stmt));
    return rows;
  }

  static std::string read_first_text(const Statement& row) { return row.text(0); }

  // The workspace of the bot, when the bot exists in this transaction's scope. A chat turn asks several times for
  // the same bot, so the answer is kept for the transaction (delete_bot forgets it).
  Result<std::optional<std::string>> bot_workspace(std::string_view bot_id);
  Status require_workspace(std::string_view workspace_id);
  // Sets one column of a user in scope (`column` is a name from this code, never input); not_found when none.
  Status set_user_column(std::string_view column, std::string_view value, std::string_view user_id);

  // The workspace of a source in scope, without reading (and counting) the whole row: once per file written.
  Result<std::optional<std::string>> source_workspace(std::string_view bot_id, std::string_view source_id);
  // Inserts chunks of the document with new ids, and their full-text rows.
  void insert_chunks(const Document& document, const std::vector<const NewChunk*>& new_chunks);
  std::int64_t replace_chunks(const Document& document, const std::vector<NewChunk>& new_chunks);
  std::int64_t remove_document_chunks(std::string_view bot_id, std::string_view document_id);
  void bump_knowledge(std::string_view bot_id, std::int64_t chunk_delta);

  SqlConnection& db_;
  const Scope& scope_;
  std::string owned_bot_, owned_bot_workspace_;  // see bot_workspace
  std::int64_t owned_bot_version_ = 0;           // its knowledge version, as this transaction sees it
};

}  // namespace parley::store
