// Uploads ingested in the background: the files are stored with a job of kind "ingest" and the job runner feeds
// them through add_files a batch at a time, recording progress (files done, added, unchanged, failed with the
// reasons). A restarted job goes on with the files not yet ingested; a file ingested just before a crash is found
// unchanged the second time (same bytes), never duplicated.
#pragma once

#include <string_view>
#include <vector>

#include "common/result.h"
#include "ingest/ingest.h"
#include "jobs/job_runner.h"

namespace parley::ingest {

inline constexpr std::string_view kIngestJobKind = "ingest";

// Stores the files and queues the job that ingests them.
Result<store::Job> queue_uploads(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                                 const std::vector<FileUpload>& uploads);

Result<store::Json> run_ingest_job(jobs::JobContext& context, const IngestOptions& options = {});
void register_ingest_jobs(jobs::JobRunner& runner, const IngestOptions& options = {});

}  // namespace parley::ingest
