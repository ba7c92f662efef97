// The scheduler behind Engine::generate: one thread that admits queued requests (reusing cached prompt prefixes and
// reserving KV-cache blocks so admitted sequences never run out), builds each forward pass from one token of every
// decoding sequence plus prompt chunks of the others (continuous batching), samples, streams and finishes
// sequences, freeing their cache blocks at once.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "engine/kv-cache.h"
#include "engine/matmul.h"
#include "engine/model-llama.h"
#include "engine/thread-pool.h"

namespace parley::engine {

struct SchedulerConfig {
  int threads = 1;
  int context_size = 0;
  int max_sequences = 1;
  int kv_blocks = 0;
  int batch_tokens = 1;
};

// A request ready for the scheduler: the prompt tokenized and the request checked.
struct PreparedRequest {
  GenerationRequest request;
  std::vector<int32_t> prompt;
  int max_new_tokens = 0;        // already limited by the context size
  bool want_all_logits = false;  // Engine::evaluate: return every prompt position's logits, generate nothing
};

struct SchedulerResult {
  GenerationResult generation;
  std::vector<float> logits;  // want_all_logits only
};

class Scheduler {
 public:
  Scheduler(std::shared_ptr<const Model> model, const Vocab& vocab, SchedulerConfig config);
  ~Scheduler();

  std::future<Result<SchedulerResult>> submit(PreparedRequest request);
  EngineStats stats() const;
  int kv_blocks() const { return config_.kv_blocks; }

 private:
  struct Sequence;
  void run();
  void admit();
  void step();
  void sample_and_stream(Sequence& seq, float* logits);
  bool emit(Sequence& seq, std::string_view text);
  void finish(Sequence& seq, FinishReason reason);
  void fail(Sequence& seq, Error error);
  static void settle(Sequence& seq, Result<SchedulerResult> outcome);
  void release_blocks(Sequence& seq);
  void retire_finished();
  void deliver_finished();
  void publish_full_blocks(Sequence& seq);
  Status ensure_blocks(Sequence& seq, int positions);

  std::shared_ptr<const Model> model_;
  Vocab vocab_;
  SchedulerConfig config_;
  ThreadPool pool_;
  MatmulRunner matmul_;
  KvCache cache_;
  LlamaForward forward_;
  int logits_rows_;
  std::vector<float> logits_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Sequence>> queue_;  // guarded by mutex_
  bool stopping_ = false;                        // guarded by mutex_
  // Owned by the scheduler thread (stats() reads the counters under mutex_).
  std::vector<std::unique_ptr<Sequence>> active_;
  std::vector<std::unique_ptr<Sequence>> finished_;  // finished this round, outcomes not yet delivered
  int reserved_blocks_ = 0;
  int stat_active_ = 0;
  int stat_available_ = 0;
  uint64_t stat_prefix_hits_ = 0;
  std::vector<BatchToken> batch_;
  std::vector<Sequence*> batch_owner_;
  uint64_t next_id_ = 1;
  std::thread thread_;
};

}  // namespace parley::engine
