#include "engine/batch-scheduler.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "engine/sampling.h"
#include "engine/stop-strings.h"

namespace parley::engine {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kBlock = KvCache::kBlockTokens;
constexpr int kEvalLogitRows = 8;  // logits rows per step for Engine::evaluate (bounds the logits buffer)

int blocks_for(int positions) { return (positions + kBlock - 1) / kBlock; }

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

struct Scheduler::Sequence {
  uint64_t id = 0;
  PreparedRequest prepared;
  std::promise<Result<SchedulerResult>> promise;
  std::vector<int32_t> tokens;  // prompt, then generated tokens
  int n_prompt = 0;
  int n_computed = 0;  // leading positions whose keys and values are in the cache
  int max_total = 0;   // prompt + most new tokens
  std::vector<int32_t> blocks;
  uint64_t prefix = KvCache::kRootPrefix;  // names tokens[0, n_published * kBlock)
  int n_published = 0;
  int reserved = 0;  // blocks this sequence may still allocate
  std::optional<Sampler> sampler;
  std::optional<Detokenizer> detokenizer;
  std::optional<StopMatcher> stops;
  SchedulerResult result;
  std::optional<Result<SchedulerResult>> outcome;  // set when finished, delivered after the step's bookkeeping
  Clock::time_point submitted, admitted, first_token;
  bool finished = false;

  int pending() const { return static_cast<int>(tokens.size()) - n_computed; }
  bool decoding() const { return n_computed >= n_prompt; }
};

Scheduler::Scheduler(std::shared_ptr<const Model> model, const Vocab& vocab, SchedulerConfig config)
    : model_(std::move(model)),
      vocab_(vocab),
      config_(config),
      pool_(config.threads),
      matmul_(pool_, kernels::active_kernels()),
      cache_(model_->params().n_layer, model_->params().n_head_kv, model_->params().head_dim, config.kv_blocks),
      forward_(*model_, cache_, matmul_, config.batch_tokens, config.context_size),
      logits_rows_(config.max_sequences + kEvalLogitRows),
      logits_(static_cast<std::size_t>(config.max_sequences) * static_cast<std::size_t>(model_->params().n_vocab)) {
  batch_.reserve(static_cast<std::size_t>(config.batch_tokens));
  batch_owner_.reserve(static_cast<std::size_t>(config.batch_tokens));
  active_.reserve(static_cast<std::size_t>(config.max_sequences));
  stat_available_ = cache_.available();
  thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::future<Result<SchedulerResult>> Scheduler::submit(PreparedRequest request) {
  auto seq = std::make_unique<Sequence>();
  auto future = seq->promise.get_future();
  seq->n_prompt = static_cast<int>(request.prompt.size());
  seq->max_total = seq->n_prompt + request.max_new_tokens;
  seq->tokens = std::move(request.prompt);
  seq->prepared = std::move(request);
  if (blocks_for(seq->max_total) > config_.kv_blocks) {
    settle(*seq, make_error(
        ErrorCode::payload_too_large,
        "the request needs " + std::to_string(seq->max_total) + " cache positions but the KV cache holds " +
            std::to_string(config_.kv_blocks * kBlock) + " (raise kv_cache_tokens or the memory limit)"));
    return future;
  }
  seq->submitted = Clock::now();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      settle(*seq, make_error(ErrorCode::unavailable, "the engine is shutting down"));
      return future;
    }
    seq->id = next_id_++;
    queue_.push_back(std::move(seq));
  }
  wake_.notify_all();
  return future;
}

EngineStats Scheduler::stats() const {
  std::lock_guard lock(mutex_);
  EngineStats stats;
  stats.active_sequences = stat_active_;
  stats.queued_requests = static_cast<int>(queue_.size());
  stats.kv_blocks_total = cache_.n_blocks();
  stats.kv_blocks_available = stat_available_;
  stats.kv_cache_bytes = cache_.bytes();
  stats.prefix_cache_hit_tokens = stat_prefix_hits_;
  return stats;
}

void Scheduler::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty() || !active_.empty(); });
      if (stopping_) break;
    }
    admit();
    if (!active_.empty()) step();
    {
      std::lock_guard lock(mutex_);
      stat_active_ = static_cast<int>(active_.size());
      stat_available_ = cache_.available();
    }
    deliver_finished();
  }
  std::deque<std::unique_ptr<Sequence>> queued;
  {
    std::lock_guard lock(mutex_);
    queued.swap(queue_);
  }
  for (auto& seq : queued) settle(*seq, make_error(ErrorCode::unavailable, "the engine is shutting down"));
  for (auto& seq : active_) fail(*seq, make_error(ErrorCode::unavailable, "the engine is shutting down"));
  deliver_finished();
}

void Scheduler::retire_finished() {
  for (auto& seq : active_) {
    if (seq->finished) finished_.push_back(std::move(seq));
  }
  std::erase_if(active_, [](const auto& seq) { return seq == nullptr; });
}

void Scheduler::deliver_finished() {
  // Outcomes are handed over only now, once the cache and the statistics reflect the sequences' end.
  retire_finished();
  for (auto& seq : finished_) settle(*seq, std::move(*seq->outcome));
  finished_.clear();
}

void Scheduler::admit() {
  // Cancelled requests leave the queue at once, wherever they are in it.
  std::vector<std::unique_ptr<Sequence>> cancelled;
  {
    std::lock_guard lock(mutex_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      if ((*it)->prepared.request.cancel.stop_requested()) {
        cancelled.push_back(std::move(*it));
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& seq : cancelled) {
    seq->admitted = Clock::now();
    finish(*seq, FinishReason::cancelled);
    finished_.push_back(std::move(seq));
  }
  for (;;) {
    std::unique_ptr<Sequence> seq;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty() || static_cast<int>(active_.size()) >= config_.max_sequences) return;
      seq = std::move(queue_.front());
      queue_.pop_front();
    }
    // Reuse published blocks holding the same leading tokens; at least one prompt token must still be computed
    // (its logits give the first new token), so a fully cached prompt gives back its last block.
    std::vector<uint64_t> prefixes;
    if (!seq->prepared.want_all_logits) {
      for (int b = 0; (b + 1) * kBlock <= seq->n_prompt; ++b) {
        const auto found = cache_.lookup(seq->prefix, std::span(seq->tokens).subspan(static_cast<std::size_t>(b * kBlock), kBlock));
        if (!found) break;
        seq->blocks.push_back(found->block);
        prefixes.push_back(seq->prefix);
        seq->prefix = found->prefix;
      }
      if (!seq->blocks.empty() && static_cast<int>(seq->blocks.size()) * kBlock >= seq->n_prompt) {
        cache_.release(seq->blocks.back());
        seq->blocks.pop_back();
        seq->prefix = prefixes.back();
      }
    }
    const int matched = static_cast<int>(seq->blocks.size());
    const int needed = blocks_for(seq->max_total) - matched;
    if (cache_.available() - reserved_blocks_ < needed) {
      // Not enough room until running sequences finish: keep the queue order and wait.
      release_blocks(*seq);
      seq->prefix = KvCache::kRootPrefix;
      std::lock_guard lock(mutex_);
      queue_.push_front(std::move(seq));
      return;
    }
    seq->reserved = needed;
    reserved_blocks_ += needed;
    seq->n_computed = matched * kBlock;
    seq->n_published = matched;
    seq->result.generation.prompt_tokens = seq->n_prompt;
    seq->result.generation.cached_prompt_tokens = seq->n_computed;
    seq->sampler.emplace(seq->prepared.request.sampling, model_->params().n_vocab);
    for (const int32_t token : seq->tokens) seq->sampler->accept(token);
    seq->detokenizer.emplace(vocab_);
    seq->stops.emplace(seq->prepared.request.stop);
    seq->admitted = Clock::now();
    {
      std::lock_guard lock(mutex_);
      stat_prefix_hits_ += static_cast<uint64_t>(seq->n_computed);
    }
    active_.push_back(std::move(seq));
  }
}

Status Scheduler::ensure_blocks(Sequence& seq, int positions) {
  while (static_cast<int>(seq.blocks.size()) * kBlock < positions) {
    const auto block = cache_.allocate();
    if (!block || seq.reserved <= 0) return make_error(ErrorCode::internal, "KV cache reservation exceeded");
    seq.blocks.push_back(*block);
    --seq.reserved;
    --reserved_blocks_;
  }
  return {};
}

void Scheduler::step() {
  for (auto& seq : active_) {
    if (seq->prepared.request.cancel.stop_requested()) finish(*seq, FinishReason::cancelled);
  }
  retire_finished();
  if (active_.empty()) return;

  batch_.clear();
  batch_owner_.clear();
  int budget = config_.batch_tokens;
  int logit_rows = 0;
  auto add_tokens = [&](Sequence& seq, int count, bool all_logits) {
    if (auto status = ensure_blocks(seq, seq.n_computed + count); !status.ok()) {
      fail(seq, status.error());
      return;
    }
    for (int i = 0; i < count; ++i) {
      const int pos = seq.n_computed + i;
      const bool last = pos + 1 == static_cast<int>(seq.tokens.size());
      const bool logits = all_logits || (last && !seq.prepared.want_all_logits);
      batch_.push_back({seq.tokens[static_cast<std::size_t>(pos)], pos, seq.blocks.data(), logits});
      batch_owner_.push_back(&seq);
      logit_rows += logits ? 1 : 0;
    }
    budget -= count;
  };
  // One token for every decoding sequence first (latency), then prompt chunks with what is left.
  for (auto& seq : active_) {
    if (seq->decoding() && budget > 0) add_tokens(*seq, 1, false);
  }
  for (auto& seq : active_) {
    if (seq->decoding() || seq->finished || budget <= 0) continue;
    int count = std::min(seq->pending(), budget);
    const bool all_logits = seq->prepared.want_all_logits;
    if (all_logits) count = std::min(count, logits_rows_ - logit_rows);
    if (count > 0) add_tokens(*seq, count, all_logits);
  }
  if (batch_.empty()) return;

  // Rows for decoding sequences always fit; the extra rows of evaluate() are allocated the first time they are used.
  const auto rows_needed = static_cast<std::size_t>(logit_rows) * static_cast<std::size_t>(model_->params().n_vocab);
  if (logits_.size() < rows_needed) logits_.resize(rows_needed);
  const auto status = forward_.forward(batch_, logits_.data());
  if (!status.ok()) {
    for (auto& seq : active_) fail(*seq, status.error());
    retire_finished();
    return;
  }

  // Positions computed, then logits consumed in batch order.
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    Sequence& seq = *batch_owner_[i];
    seq.n_computed = std::max(seq.n_computed, batch_[i].pos + 1);
  }
  const auto n_vocab = static_cast<std::size_t>(model_->params().n_vocab);
  std::size_t row = 0;
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    if (!batch_[i].logits) continue;
    Sequence& seq = *batch_owner_[i];
    float* logits = logits_.data() + row * n_vocab;
    ++row;
    if (seq.finished) continue;
    if (seq.prepared.want_all_logits) {
      seq.result.logits.insert(seq.result.logits.end(), logits, logits + n_vocab);
    } else {
      sample_and_stream(seq, logits);
    }
  }
  for (auto& seq : active_) {
    if (seq->finished) continue;
    publish_full_blocks(*seq);
    if (seq->prepared.want_all_logits && seq->n_computed == seq->n_prompt) finish(*seq, FinishReason::length);
  }
  retire_finished();
}

// Streams text to the caller's callback, which runs on this thread: an exception from it must not end the scheduler,
// so it cancels only its own request. Returns whether to go on.
bool Scheduler::emit(Sequence& seq, std::string_view text) {
  const auto& callback = seq.prepared.request.on_text;
  if (!callback) return true;
  try {
    return callback(text);
  } catch (...) {
    return false;
  }
}

void Scheduler::sample_and_stream(Sequence& seq, float* logits) {
  const auto& request = seq.prepared.request;
  if (seq.prepared.max_new_tokens == 0) return finish(seq, FinishReason::length);  // prompt only
  const int32_t token = seq.sampler->sample(logits);
  seq.sampler->accept(token);
  auto& generation = seq.result.generation;
  if (generation.tokens.empty()) seq.first_token = Clock::now();
  if (request.on_token) {
    try {
      request.on_token(token);
    } catch (...) {
    }
  }
  seq.tokens.push_back(token);
  generation.tokens.push_back(token);
  generation.completion_tokens = static_cast<int>(generation.tokens.size());

  if (!request.ignore_eos && vocab_.is_eog(token)) return finish(seq, FinishReason::stop);
  const auto out = seq.stops->push(seq.detokenizer->push(token));
  if (!out.text.empty()) {
    generation.text += out.text;
    if (!emit(seq, out.text)) return finish(seq, FinishReason::cancelled);
  }
  if (out.stopped) {
    generation.stop_string = out.matched;
    return finish(seq, FinishReason::stop);
  }
  if (generation.completion_tokens >= seq.prepared.max_new_tokens ||
      static_cast<int>(seq.tokens.size()) >= seq.max_total) {
    finish(seq, FinishReason::length);
  }
}

void Scheduler::publish_full_blocks(Sequence& seq) {
  const int full = seq.n_computed / kBlock;
  for (int b = seq.n_published; b < full; ++b) {
    seq.prefix = cache_.publish(seq.blocks[static_cast<std::size_t>(b)], seq.prefix,
                                std::span(seq.tokens).subspan(static_cast<std::size_t>(b * kBlock), kBlock));
  }
  seq.n_published = std::max(seq.n_published, full);
}

void Scheduler::release_blocks(Sequence& seq) {
  for (const int32_t block : seq.blocks) cache_.release(block);
  seq.blocks.clear();
  reserved_blocks_ -= seq.reserved;
  seq.reserved = 0;
}

void Scheduler::finish(Sequence& seq, FinishReason reason) {
  if (seq.finished) return;
  auto& generation = seq.result.generation;
  if (reason != FinishReason::cancelled && seq.detokenizer && seq.stops && generation.stop_string.empty()) {
    // Flush what the detokenizer and the stop matcher still hold (an unfinished character, a partial stop string).
    auto out = seq.stops->push(seq.detokenizer->finish());
    std::string rest = out.text + (out.stopped ? std::string() : seq.stops->finish());
    if (out.stopped) generation.stop_string = out.matched;
    if (!rest.empty()) {
      generation.text += rest;
      emit(seq, rest);
    }
  }
  generation.finish_reason = reason;
  const auto now = Clock::now();
  generation.timings.queued_ms = ms_between(seq.submitted, seq.admitted);
  if (generation.tokens.empty()) {
    generation.timings.prefill_ms = ms_between(seq.admitted, now);
  } else {
    generation.timings.prefill_ms = ms_between(seq.admitted, seq.first_token);
    generation.timings.decode_ms = ms_between(seq.first_token, now);
  }
  release_blocks(seq);
  seq.finished = true;
  seq.outcome = std::move(seq.result);
}

void Scheduler::settle(Sequence& seq, Result<SchedulerResult> outcome) {
  if (seq.prepared.request.on_done) {
    report_done(seq.prepared.request, outcome.ok() ? Result<GenerationResult>(outcome->generation)
                                                   : Result<GenerationResult>(outcome.error()));
  }
  seq.promise.set_value(std::move(outcome));
}

void Scheduler::fail(Sequence& seq, Error error) {
  if (seq.finished) return;
  release_blocks(seq);
  seq.finished = true;
  seq.outcome = std::move(error);
}

}  // namespace parley::engine
