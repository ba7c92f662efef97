#include "engine/engine.h"

#include <algorithm>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include "engine/batch-scheduler.h"
#include "engine/kv-cache.h"
#include "engine/matmul.h"
#include "engine/model-bert.h"
#include "engine/thread-pool.h"

namespace parley::engine {
namespace {

constexpr int kBlock = KvCache::kBlockTokens;

// Bytes of the forward pass's buffers for `batch` tokens (activations, matmul scratch, logits rows), an estimate
// that errs high, for the memory limit.
uint64_t buffer_bytes(const ModelParams& p, int batch, int logits_rows) {
  const uint64_t per_token = 4ull * (3ull * static_cast<uint64_t>(p.n_embd) + 3ull * static_cast<uint64_t>(p.q_dim()) +
                                     2ull * static_cast<uint64_t>(p.kv_dim()) + 2ull * static_cast<uint64_t>(p.n_ff));
  return per_token * static_cast<uint64_t>(batch) + 4ull * static_cast<uint64_t>(p.n_vocab) * static_cast<uint64_t>(logits_rows);
}

// Building the tokenizer leaves megabytes of freed small allocations in the heap; hand them back to the system before
// the long-lived buffers are made, so they do not stay resident next to the model.
void release_free_heap() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace

// Queries (embed, embed_tokens) run on their own thread pool, every matrix product split across its threads, for
// latency. Index batches (embed_batch) are split by passage instead: each of `threads` lane threads runs whole
// forward passes alone (no synchronization inside a pass, which measured about a fifth more passages per second on
// two cores). Lanes run at a lower OS priority (kLaneNice), so the server's other threads (a chat turn) get the
// cores first, and a query stops them at their next pause point (after any operation of a layer) until no query
// is waiting; the idle pool's threads sleep, so queries and lanes never compete for the cores.
struct Engine::EmbeddingState {
  static constexpr int kLaneNice = 10;  // about a tenth of a core's share against a thread at the default 0

  struct Lane {
    explicit Lane(const Model& model) : pool(1), matmul(pool, kernels::active_kernels()), forward(model, matmul) {}
    ThreadPool pool;
    MatmulRunner matmul;
    BertForward forward;
    std::thread thread;
  };

  // One embed_batch call: passes of consecutive sequences, taken by the lanes in order.
  struct Batch {
    std::span<const std::vector<int32_t>> sequences;
    std::vector<std::pair<std::size_t, std::size_t>> passes;
    bool normalize = true;
    std::atomic<std::size_t> next_pass{0};
    std::vector<std::vector<float>> out;
    std::optional<Error> failure;  // guarded by `mutex`
    std::size_t lanes_left = 0;    // guarded by `mutex`
  };

  EmbeddingState(const Model& model, int threads)
      : query_pool(threads), query_matmul(query_pool, kernels::active_kernels()), query(model, query_matmul) {
    for (int i = 0; i < threads; ++i) lanes.push_back(std::make_unique<Lane>(model));
    for (auto& lane : lanes) lane->thread = std::thread([this, l = lane.get()] { lane_loop(*l); });
  }

  ~EmbeddingState() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    changed.notify_all();
    for (auto& lane : lanes) lane->thread.join();
  }

  // Called by a lane between operations: waits while queries are waiting or running.
  void pause_point() {
    if (waiting_queries.load() == 0) return;
    std::unique_lock lock(mutex);
    ++paused_lanes;
    changed.notify_all();
    changed.wait(lock, [&] { return waiting_queries.load() == 0; });
    --paused_lanes;
  }

  void lane_loop(Lane& lane) {
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kLaneNice);  // lowering needs no privilege
    std::uint64_t seen = 0;
    for (;;) {
      Batch* batch = nullptr;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return stopping || generation != seen; });
        if (stopping) return;
        seen = generation;
        batch = current;
        ++running_lanes;
      }
      const auto pause = [this] { pause_point(); };
      for (std::size_t p = batch->next_pass++; p < batch->passes.size(); p = batch->next_pass++) {
        pause();
        const auto [first, last] = batch->passes[p];
        const std::vector<std::span<const int32_t>> pass(batch->sequences.begin() + static_cast<std::ptrdiff_t>(first),
                                                         batch->sequences.begin() + static_cast<std::ptrdiff_t>(last));
        auto pooled = lane.forward.embed_batch(pass, batch->normalize, pause);
        if (!pooled.ok()) {
          std::lock_guard lock(mutex);
          if (!batch->failure) batch->failure = pooled.error();
          batch->next_pass = batch->passes.size();
          break;
        }
        for (std::size_t i = first; i < last; ++i) batch->out[i] = std::move((*pooled)[i - first]);
      }
      {
        std::lock_guard lock(mutex);
        --running_lanes;
        --batch->lanes_left;
      }
      changed.notify_all();
    }
  }

  ThreadPool query_pool;
  MatmulRunner query_matmul;
  BertForward query;
  std::mutex query_driver;  // one query on the pool at a time

  std::vector<std::unique_ptr<Lane>> lanes;
  std::mutex batches;  // one embed_batch call at a time

  std::mutex mutex;
  std::condition_variable changed;
  std::atomic<int> waiting_queries{0};  // queries waiting for or using the cores (changed under `mutex`)
  int running_lanes = 0;
  int paused_lanes = 0;
  Batch* current = nullptr;     // the batch of `generation`
  std::uint64_t generation = 0;
  bool stopping = false;
};

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::stop: return "stop";
    case FinishReason::length: return "length";
    case FinishReason::cancelled: return "cancelled";
  }
  return "unknown";
}

Result<std::unique_ptr<Engine>> Engine::load(const std::string& path, const EngineOptions& options) {
  if (options.threads < 0 || options.context_size < 1 || options.max_sequences < 1 || options.kv_cache_tokens < 0 ||
      options.batch_tokens < 1) {
    return make_error(ErrorCode::invalid_request, "engine options out of range");
  }
  PARLEY_ASSIGN_OR_RETURN(auto file, GgufFile::open(path));
  const uint64_t file_size = file.file_size();
  PARLEY_ASSIGN_OR_RETURN(auto vocab, Vocab::from_gguf(file));
  PARLEY_ASSIGN_OR_RETURN(auto model, Model::load(std::move(file)));
  const auto& p = model->params();
  if (vocab.n_tokens() > p.n_vocab) {
    return make_error(ErrorCode::unprocessable, "the tokenizer has more tokens than the model's embedding matrix");
  }

  auto engine = std::unique_ptr<Engine>(new Engine());
  engine->options_ = options;
  engine->vocab_ = vocab;
  const int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  if (p.is_encoder()) {
    engine->context_size_ = p.n_ctx_train;
    if (options.memory_limit_bytes > 0 && file_size + buffer_bytes(p, p.n_ctx_train, 0) > options.memory_limit_bytes) {
      return make_error(ErrorCode::payload_too_large, "the model needs about " +
                                                          std::to_string((file_size + buffer_bytes(p, p.n_ctx_train, 0)) >> 20) +
                                                          " MB, more than the memory limit");
    }
    engine->model_ = std::move(model);
    engine->model_->file().release_header_pages();
    release_free_heap();
    engine->embedding_ = std::make_unique<EmbeddingState>(*engine->model_, threads);
    return engine;
  }

  for (int32_t id = 0; id < vocab.n_tokens(); ++id) {
    if (vocab.is_control(id) && !vocab.token_text(id).empty()) engine->control_texts_.push_back(vocab.token_text(id));
  }
  ChatTemplateConfig chat_config;
  if (vocab.bos() != kNoToken) chat_config.bos_token = vocab.token_text(vocab.bos());
  if (vocab.eos() != kNoToken) chat_config.eos_token = vocab.token_text(vocab.eos());
  chat_config.strip_leading_bos = vocab.adds_bos();
  PARLEY_ASSIGN_OR_RETURN(const auto template_source, model->file().get_string_or("tokenizer.chat_template", ""));
  engine->chat_template_ = ChatTemplate::from_source(template_source, chat_config);

  // Context per sequence: as asked, within what the model was trained for, in whole cache blocks.
  int context = std::min(options.context_size, p.n_ctx_train);
  int cache_tokens = options.kv_cache_tokens > 0 ? options.kv_cache_tokens : context * options.max_sequences;
  const int batch = std::max(options.batch_tokens, options.max_sequences);
  const uint64_t block_bytes = KvCache::bytes_per_block(p.n_layer, p.kv_dim());
  const uint64_t fixed = file_size + buffer_bytes(p, batch, options.max_sequences + 8);
  if (options.memory_limit_bytes > 0) {
    const uint64_t one_context = static_cast<uint64_t>((context + kBlock - 1) / kBlock) * block_bytes;
    if (fixed + one_context > options.memory_limit_bytes) {
      return make_error(ErrorCode::payload_too_large,
                        "memory limit of " + std::to_string(options.memory_limit_bytes >> 20) + " MB cannot hold the " +
                            std::to_string(file_size >> 20) + " MB model, its buffers and one " +
                            std::to_string(context) + "-token context (" + std::to_string((fixed + one_context) >> 20) +
                            " MB)");
    }
    const uint64_t fits = (options.memory_limit_bytes - fixed) / block_bytes;
    cache_tokens = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(cache_tokens), fits * kBlock));
  }
  const int kv_blocks = std::max(1, cache_tokens / kBlock);
  context = std::min(context, kv_blocks * kBlock);
  engine->context_size_ = context;

  SchedulerConfig config;
  config.threads = threads;
  config.context_size = context;
  config.max_sequences = options.max_sequences;
  config.kv_blocks = kv_blocks;
  config.batch_tokens = batch;
  engine->model_ = std::move(model);
  engine->model_->file().release_header_pages();  // the vocabulary strings now live in the tokenizer
  release_free_heap();
  engine->scheduler_ = std::make_unique<Scheduler>(engine->model_, *engine->vocab_, config);
  return engine;
}

Engine::~Engine() = default;

const ModelParams& Engine::params() const { return model_->params(); }
const GgufFile& Engine::file() const { return model_->file(); }
bool Engine::is_embedding_model() const { return model_->params().is_encoder(); }

std::vector<int32_t> Engine::tokenize(std::string_view text, bool add_special, bool parse_special) const {
  return vocab_->tokenize(text, add_special, parse_special);
}

Result<std::string> Engine::render_chat(std::span<const ChatMessage> messages, bool add_generation_prompt) const {
  ChatRenderOptions render_options;
  render_options.add_generation_prompt = add_generation_prompt;
  std::vector<ChatMessage> defused(messages.begin(), messages.end());
  for (auto& message : defused) message.content = defuse_control_tokens(message.content, control_texts_);
  PARLEY_ASSIGN_OR_RETURN(auto rendered, chat_template_.render(defused, render_options));
  return std::move(rendered.text);
}

void report_done(const GenerationRequest& request, const Result<GenerationResult>& outcome) noexcept {
  if (!request.on_done) return;
  try {
    request.on_done(outcome);
  } catch (...) {
    // The caller's problem.
  }
}

std::future<Result<GenerationResult>> Engine::submit(GenerationRequest request) {
  auto failed = [&request](Error error) {
    report_done(request, error);
    std::promise<Result<GenerationResult>> promise;
    promise.set_value(std::move(error));
    return promise.get_future();
  };
  if (!scheduler_) return failed(make_error(ErrorCode::unprocessable, "an embedding model cannot generate text"));
  if (auto status = validate(request.sampling); !status.ok()) return failed(status.error());
  if (request.max_tokens < 0) return failed(make_error(ErrorCode::invalid_request, "max_tokens must be >= 0"));
  const int sources = (!request.prompt_tokens.empty() ? 1 : 0) + (!request.prompt.empty() ? 1 : 0) +
                      (!request.messages.empty() ? 1 : 0);
  if (sources != 1) {
    return failed(make_error(ErrorCode::invalid_request, "give exactly one of prompt_tokens, prompt or messages"));
  }
  PreparedRequest prepared;
  if (!request.prompt_tokens.empty()) {
    prepared.prompt = request.prompt_tokens;
  } else if (!request.prompt.empty()) {
    prepared.prompt = vocab_->tokenize(request.prompt, true, true);
  } else {
    auto text = render_chat(request.messages, true);
    if (!text.ok()) return failed(text.error());
    prepared.prompt = vocab_->tokenize(*text, true, true);
  }
  if (prepared.prompt.empty()) return failed(make_error(ErrorCode::invalid_request, "the prompt is empty"));
  for (const int32_t token : prepared.prompt) {
    if (token < 0 || token >= model_->params().n_vocab) {
      return failed(make_error(ErrorCode::invalid_request, "prompt token " + std::to_string(token) + " is out of range"));
    }
  }
  const int n_prompt = static_cast<int>(prepared.prompt.size());
  if (n_prompt >= context_size_) {
    return failed(make_error(ErrorCode::payload_too_large, "the prompt has " + std::to_string(n_prompt) +
                                                               " tokens; the context holds " +
                                                               std::to_string(context_size_)));
  }
  prepared.max_new_tokens = std::min(request.max_tokens, context_size_ - n_prompt);
  prepared.request = std::move(request);
  auto inner = scheduler_->submit(std::move(prepared));
  return std::async(std::launch::deferred, [inner = std::move(inner)]() mutable -> Result<GenerationResult> {
    auto result = inner.get();
    if (!result.ok()) return result.error();
    return std::move(result->generation);
  });
}

Result<GenerationResult> Engine::generate(GenerationRequest request) { return submit(std::move(request)).get(); }

Result<std::vector<float>> Engine::evaluate(std::span<const int32_t> tokens) {
  if (!scheduler_) return make_error(ErrorCode::unprocessable, "an embedding model has no logits");
  if (tokens.empty()) return make_error(ErrorCode::invalid_request, "no tokens to evaluate");
  if (static_cast<int>(tokens.size()) > context_size_) {
    return make_error(ErrorCode::payload_too_large, std::to_string(tokens.size()) + " tokens exceed the context of " +
                                                        std::to_string(context_size_));
  }
  for (const int32_t token : tokens) {
    if (token < 0 || token >= model_->params().n_vocab) {
      return make_error(ErrorCode::invalid_request, "token " + std::to_string(token) + " is out of range");
    }
  }
  PreparedRequest prepared;
  prepared.prompt.assign(tokens.begin(), tokens.end());
  prepared.want_all_logits = true;
  PARLEY_ASSIGN_OR_RETURN(auto result, scheduler_->submit(std::move(prepared)).get());
  return std::move(result.logits);
}

Result<std::vector<float>> Engine::embed(std::string_view text, bool normalize) {
  if (!embedding_) return make_error(ErrorCode::unprocessable, "this model does not compute embeddings");
  const auto tokens = vocab_->tokenize(text, true, false);
  return embed_tokens(tokens, normalize);
}

Result<std::vector<float>> Engine::embed_tokens(std::span<const int32_t> tokens, bool normalize) {
  if (!embedding_) return make_error(ErrorCode::unprocessable, "this model does not compute embeddings");
  auto& state = *embedding_;
  {
    std::unique_lock lock(state.mutex);
    state.waiting_queries.fetch_add(1);
    state.changed.wait(lock, [&] { return state.paused_lanes == state.running_lanes; });
  }
  Result<std::vector<float>> result = make_error(ErrorCode::internal, "not computed");
  {
    std::lock_guard driver(state.query_driver);
    result = state.query.embed(tokens, normalize);
  }
  {
    std::lock_guard lock(state.mutex);
    state.waiting_queries.fetch_sub(1);
  }
  state.changed.notify_all();
  return result;
}

std::vector<int32_t> Engine::embedding_tokens(std::string_view text) const {
  auto tokens = vocab_->tokenize(text, true, false);
  const auto limit = static_cast<std::size_t>(context_size_);
  if (tokens.size() > limit && limit >= 2) {
    const int32_t last = tokens.back();  // [SEP]
    tokens.resize(limit);
    tokens.back() = last;
  }
  return tokens;
}

Result<std::vector<std::vector<float>>> Engine::embed_batch(std::span<const std::vector<int32_t>> sequences,
                                                            bool normalize) {
  if (!embedding_) return make_error(ErrorCode::unprocessable, "this model does not compute embeddings");
  auto& state = *embedding_;
  std::lock_guard one_batch(state.batches);
  EmbeddingState::Batch batch;
  batch.sequences = sequences;
  batch.normalize = normalize;
  batch.out.resize(sequences.size());
  for (std::size_t next = 0; next < sequences.size();) {
    const std::size_t first = next;
    std::size_t tokens = 0;
    while (next < sequences.size() && (next == first || tokens + sequences[next].size() <= kEmbedBatchTokens)) {
      tokens += sequences[next++].size();
    }
    batch.passes.emplace_back(first, next);
  }
  {
    std::unique_lock lock(state.mutex);
    batch.lanes_left = state.lanes.size();
    state.current = &batch;
    ++state.generation;
    state.changed.notify_all();
    state.changed.wait(lock, [&] { return batch.lanes_left == 0; });
    state.current = nullptr;
  }
  if (batch.failure) return *batch.failure;
  return std::move(batch.out);
}

EngineStats Engine::stats() const {
  if (!scheduler_) return {};
  return scheduler_->stats();
}

}  // namespace parley::engine
