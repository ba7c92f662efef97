// The durable background job that embeds a bot's chunks ("embed", jobs/), and the thread that queues it.
//
// The job takes the bot's chunks that have no vector by the model, in batches of `chunks_per_batch` (about two
// seconds of work on two cores for bge-small), embeds each batch behind any question (engine::Engine::embed_batch),
// stores the vectors in a short write transaction and tells the index. Its progress ({chunks, embedded, model}) is
// the job's progress; a paused, cancelled or interrupted job stops after its batch, and a job taken over after a
// crash resumes where the stored vectors end. With `again` it embeds every chunk, stored vector or not (after the
// index reported damaged rows).
//
// EmbeddingScheduler (in `parley serve`) looks at the bots every few seconds and queues a job for one whose chunks
// lack vectors by the model (new knowledge, or a new model), one job at a time, so indexing never takes more than
// one runner thread and ingestion goes on beside it. A job that was cancelled or failed is not queued again until
// the bot's knowledge changes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/result.h"
#include "jobs/job_runner.h"
#include "semantic/semantic_index.h"
#include "store/store.h"

namespace parley::semantic {

inline constexpr std::string_view kEmbedJobKind = "embed";

struct EmbeddingJobOptions {
  int chunks_per_batch = 32;
};

// Registers the handler of "embed" jobs.
void register_embedding_jobs(jobs::JobRunner& runner, std::shared_ptr<SemanticIndex> index,
                             EmbeddingJobOptions options = {});

// Queues an embed job for the bot (a conflict error when it already has an active one).
Result<store::Job> enqueue_embedding(store::Store& store, const store::Scope& scope, const std::string& bot_id,
                                     bool again, std::string trigger);

class EmbeddingScheduler {
 public:
  EmbeddingScheduler(store::Store& store, ModelId model, std::function<void()> on_queued,
                     std::chrono::milliseconds interval = std::chrono::milliseconds(2000));
  ~EmbeddingScheduler();
  EmbeddingScheduler(const EmbeddingScheduler&) = delete;
  EmbeddingScheduler& operator=(const EmbeddingScheduler&) = delete;

  void start();
  void stop();
  // One pass: queues a job if one is due; returns the bot it was queued for (empty: none).
  Result<std::string> run_once();

 private:
  store::Store& store_;
  const ModelId model_;
  std::function<void()> on_queued_;
  std::chrono::milliseconds interval_;
  std::map<std::string, std::int64_t> checked_;  // bot -> knowledge version found fully embedded
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley::semantic
