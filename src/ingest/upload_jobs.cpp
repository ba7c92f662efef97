#include "ingest/upload_jobs.h"

#include "jobs/jobs.h"

namespace parley::ingest {
namespace {

constexpr int kFilesPerBatch = 16;
constexpr std::size_t kMaxReportedErrors = 100;

std::int64_t counter(const store::Json& progress, const char* key) { return progress.value(key, std::int64_t{0}); }

}  // namespace

Result<store::Job> queue_uploads(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                                 const std::vector<FileUpload>& uploads) {
  if (uploads.empty()) return make_error(ErrorCode::invalid_request, "no files to ingest");
  store::Job job;
  PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
    std::int64_t bytes = 0;
    for (const auto& upload : uploads) bytes += static_cast<std::int64_t>(upload.bytes.size());
    PARLEY_ASSIGN_OR_RETURN(job, jobs::enqueue_job(tx, bot_id, "", std::string(kIngestJobKind),
                                                   {{"files", uploads.size()}, {"bytes", bytes}}, "manual"));
    for (const auto& upload : uploads) {
      if (upload.bot_id != bot_id) return make_error(ErrorCode::invalid_request, "a batch holds one bot's files");
      PARLEY_TRY(tx.add_job_upload({0, job.id, upload.name, upload.content_type, std::string(upload.bytes)}));
    }
    return {};
  }));
  return job;
}

Result<store::Json> run_ingest_job(jobs::JobContext& context, const IngestOptions& options) {
  const store::Job& job = context.job();
  // Counters carry over from an earlier run of the same job.
  store::Json progress = job.progress.is_object() ? job.progress : store::Json::object();
  progress["files"] = job.params.value("files", std::int64_t{0});
  if (!progress.contains("errors")) progress["errors"] = store::Json::array();
  while (!context.should_stop()) {
    std::vector<store::JobUpload> batch;
    PARLEY_TRY(context.store().read(context.scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(batch, tx.job_uploads(job.id, kFilesPerBatch));
      return {};
    }));
    if (batch.empty()) break;
    std::vector<FileUpload> uploads;
    for (const auto& file : batch) uploads.push_back({job.bot_id, file.name, file.content_type, file.bytes});
    PARLEY_ASSIGN_OR_RETURN(auto outcomes, add_files(context.store(), context.scope(), uploads, options));
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      const char* outcome = !outcomes[i].ok() ? "failed" : outcomes[i]->unchanged ? "unchanged" : "added";
      progress[outcome] = counter(progress, outcome) + 1;
      progress["bytes_done"] = counter(progress, "bytes_done") + static_cast<std::int64_t>(batch[i].bytes.size());
      if (!outcomes[i].ok() && progress["errors"].size() < kMaxReportedErrors) {
        progress["errors"].push_back({{"name", batch[i].name}, {"error", outcomes[i].error().message}});
      }
    }
    PARLEY_TRY(context.store().write(context.scope(), [&](store::WriteTx& tx) -> Status {
      for (const auto& file : batch) PARLEY_TRY(tx.delete_job_upload(file.id));
      return {};
    }));
    progress["files_done"] = counter(progress, "files_done") + static_cast<std::int64_t>(batch.size());
    context.heartbeat(progress, true);
  }
  return progress;
}

void register_ingest_jobs(jobs::JobRunner& runner, const IngestOptions& options) {
  runner.register_handler(std::string(kIngestJobKind), [options](jobs::JobContext& context) {
    return run_ingest_job(context, options);
  });
}

}  // namespace parley::ingest
