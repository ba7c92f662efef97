// The durable job queue: jobs under leases, the crawl frontier and the files of ingestion jobs.
#include "common/clock.h"
#include "common/ids.h"
#include "store/sql/sql_tx.h"

namespace parley::store {

Result<std::optional<Job>> SqlTx::job(std::string_view job_id) {
  return one(sql({"SELECT ", kJobColumns, " FROM jobs WHERE id = ? AND ", kInScope}), read_job, job_id);
}

Result<std::vector<Job>> SqlTx::jobs(const JobFilter& filter) {
  return all(sql({"SELECT ", kJobColumns, " FROM jobs WHERE bot_id = ? AND (? = '' OR source_id = ?) AND "
                  "(? = 0 OR state IN ('queued', 'running', 'paused')) AND (? = '' OR kind = ?) AND ", kInScope,
                  " ORDER BY created_at DESC, rowid DESC LIMIT ?"}),
             read_job, filter.bot_id, filter.source_id, filter.source_id, filter.active_only ? 1 : 0, filter.kind,
             filter.kind, filter.limit);
}

Result<std::optional<Job>> SqlTx::claimable_job(std::int64_t now) {
  return one(sql({"SELECT ", kJobColumns, " FROM jobs WHERE (state = 'queued' OR (state = 'running' AND "
                  "lease_expires_at < ?)) AND ", kInScope, " ORDER BY created_at, rowid LIMIT 1", claim_lock("jobs")}),
             read_job, now);
}

Result<std::vector<CrawlPage>> SqlTx::crawl_pages(std::string_view job_id, const CrawlPageFilter& filter) {
  return all(sql({"SELECT ", kCrawlPageColumns, " FROM crawl_pages WHERE job_id = ? AND (? = '' OR outcome = ?) AND "
                  "(? = 0 OR done = 0) AND ", kInScope, " ORDER BY done, depth, seq LIMIT ? OFFSET ?"}),
             read_crawl_page, job_id, filter.outcome, filter.outcome, filter.pending_only ? 1 : 0, filter.limit,
             filter.offset);
}

Result<std::vector<JobUpload>> SqlTx::job_uploads(std::string_view job_id, int limit) {
  return all(sql({"SELECT id, job_id, name, content_type, bytes FROM job_uploads WHERE job_id = ? AND ", kInScope,
                  " ORDER BY id LIMIT ?"}),
             [](const Statement& row) {
               return JobUpload{row.integer(0), row.text(1), row.text(2), row.text(3), row.text(4)};
             },
             job_id, limit);
}

Result<std::map<std::string, std::int64_t>> SqlTx::crawl_page_counts(std::string_view job_id) {
  auto stmt = db_.prepare(sql({"SELECT CASE WHEN done = 0 THEN 'pending' ELSE outcome END, count(*) FROM crawl_pages "
                               "WHERE job_id = ? AND ", kInScope, " GROUP BY 1"}));
  stmt.bind_positional(job_id);
  bind_scope(stmt);
  std::map<std::string, std::int64_t> counts;
  while (stmt.step()) counts[stmt.text(0)] = stmt.integer(1);
  return counts;
}

// Instance-wide, for GET /metrics: an indexed count (jobs_claim), no scope filter.
Result<std::map<std::string, std::int64_t>> SqlTx::job_state_counts() {
  if (!scope_.is_system()) return make_error(ErrorCode::forbidden, "operations figures belong to the system scope");
  auto stmt = db_.prepare("SELECT state, count(*) FROM jobs GROUP BY state");
  std::map<std::string, std::int64_t> counts;
  while (stmt.step()) counts[stmt.text(0)] = stmt.integer(1);
  return counts;
}

Result<Job> SqlTx::create_job(const Job& job) {
  PARLEY_ASSIGN_OR_RETURN(auto owner, bot(job.bot_id));
  if (!owner) return make_error(ErrorCode::not_found, "no such bot");
  Job stored = job;
  stored.id = new_id("job");
  stored.workspace_id = owner->workspace_id;
  stored.created_at = stored.updated_at = unix_millis();
  db_.prepare("INSERT INTO jobs (id, workspace_id, bot_id, source_id, kind, state, requested, triggered_by, params, "
              "progress, result, error, lease_owner, lease_expires_at, attempts, created_at, started_at, finished_at, "
              "updated_at) VALUES (?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind_positional(stored.id, stored.workspace_id, stored.bot_id, stored.source_id, stored.kind,
                       job_state_name(stored.state), stored.requested, stored.trigger, stored.params.dump(),
                       stored.progress.dump(), stored.result.dump(), stored.error, stored.lease_owner,
                       stored.lease_expires_at, stored.attempts, stored.created_at, stored.started_at,
                       stored.finished_at, stored.updated_at)
      .run();
  return stored;
}

Status SqlTx::update_job(const Job& job) {
  auto stmt = db_.prepare(sql({"UPDATE jobs SET state = ?, requested = ?, progress = ?, result = ?, error = ?, "
                               "lease_owner = ?, lease_expires_at = ?, attempts = ?, started_at = ?, finished_at = ?, "
                               "updated_at = ? WHERE id = ? AND ", kInScope}));
  stmt.bind_positional(job_state_name(job.state), job.requested, job.progress.dump(), job.result.dump(), job.error,
                       job.lease_owner, job.lease_expires_at, job.attempts, job.started_at, job.finished_at,
                       unix_millis(), job.id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such job");
  return {};
}

Result<int> SqlTx::add_crawl_pages(std::string_view job_id, const std::vector<CrawlPage>& pages) {
  auto owner = db_.prepare(sql({"SELECT workspace_id FROM jobs WHERE id = ? AND ", kInScope}));
  owner.bind_positional(job_id);
  bind_scope(owner);
  if (!owner.step()) return make_error(ErrorCode::not_found, "no such job");
  const std::string workspace_id = owner.text(0);
  owner.reset();
  auto insert = db_.prepare("INSERT INTO crawl_pages (job_id, workspace_id, url, depth, referrer, listed_modified_at) "
                            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, url) DO NOTHING");
  int added = 0;
  for (const auto& page : pages) {
    insert.bind_positional(job_id, workspace_id, page.url, page.depth, page.referrer, page.listed_modified_at);
    insert.run();
    added += db_.changes();
    insert.reset();
  }
  return added;
}

Status SqlTx::update_crawl_page(const CrawlPage& page) {
  auto stmt = db_.prepare(sql({"UPDATE crawl_pages SET done = ?, outcome = ?, reason = ?, http_status = ?, "
                               "document_uri = ? WHERE job_id = ? AND url = ? AND ", kInScope}));
  stmt.bind_positional(page.done ? 1 : 0, page.outcome, page.reason, page.http_status, page.document_uri, page.job_id,
                       page.url);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such crawl page");
  return {};
}

Status SqlTx::add_job_upload(const JobUpload& upload) {
  PARLEY_ASSIGN_OR_RETURN(auto owner, job(upload.job_id));
  if (!owner) return make_error(ErrorCode::not_found, "no such job");
  db_.prepare("INSERT INTO job_uploads (job_id, workspace_id, name, content_type, bytes) VALUES (?, ?, ?, ?, ?)")
      .bind(1, upload.job_id)
      .bind(2, owner->workspace_id)
      .bind(3, upload.name)
      .bind(4, upload.content_type)
      .bind_blob(5, upload.bytes)
      .run();
  return {};
}

Status SqlTx::delete_job_upload(std::int64_t upload_id) {
  auto stmt = db_.prepare(sql({"DELETE FROM job_uploads WHERE id = ? AND ", kInScope}));
  stmt.bind_positional(upload_id);
  bind_scope(stmt);
  stmt.run();
  return {};
}

}  // namespace parley::store
