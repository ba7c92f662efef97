// The engine's public interface for the chat pipeline and the CLI: load a GGUF model, generate text (many requests
// at once are decoded together, continuous batching), stream it, cancel it, compute embeddings, tokenize.
//
// Thread safety: every method may be called from any thread. Generation requests are served by one scheduler
// thread that owns the model's compute threads; streaming callbacks run on that thread and must return quickly.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/chat-template.h"
#include "engine/model.h"
#include "engine/sampling.h"
#include "engine/vocab.h"

namespace parley::engine {

struct EngineOptions {
  int threads = 0;              // compute threads including the scheduler's; 0: one per core
  int context_size = 4096;      // most positions one sequence may use (prompt + generated); capped by the model's
  int max_sequences = 4;        // sequences decoded together; more requests wait in a queue
  int kv_cache_tokens = 0;      // positions in the shared KV cache; 0: context_size * max_sequences
  int batch_tokens = 128;       // most tokens per forward pass (prompts are processed in chunks of this size)
  uint64_t memory_limit_bytes = 0;  // model file + KV cache + buffers must fit; 0: no limit
};

enum class FinishReason {
  stop,       // end-of-generation token or a stop string
  length,     // max_tokens or the context size reached
  cancelled,  // the stop token was triggered or the streaming callback returned false
};
std::string_view finish_reason_name(FinishReason reason);

struct GenerationResult;

struct GenerationRequest {
  // The prompt: exactly one of these. Tokens are used as given; `prompt` is tokenized with the model's special
  // tokens added (BOS) and special-token text recognised; `messages` are rendered with the model's chat template.
  std::vector<int32_t> prompt_tokens;
  std::string prompt;
  std::vector<ChatMessage> messages;

  SamplingParams sampling;
  std::vector<std::string> stop;  // generation ends before the first occurrence of any of these
  int max_tokens = 256;
  bool ignore_eos = false;  // keep going past end-of-generation tokens (benchmarks)
  // Receives the text as it is generated, in complete UTF-8 characters, never part of a stop string. Returning
  // false cancels the request.
  std::function<bool(std::string_view piece)> on_text;
  // Called with every generated token as soon as it is sampled (before its text, which may be held back), on the
  // engine's thread: it must return quickly. For measurements such as the time between tokens. Exceptions are
  // swallowed.
  std::function<void(int32_t token)> on_token;
  std::stop_token cancel;  // request_stop() on its source cancels; the sequence's cache is freed at the next step
  // Called exactly once with the outcome just before the future is ready, for callers that cannot wait on a
  // future (the chat pipeline's provider). Runs on the engine's thread, or on the caller's when submit() fails
  // at once: it must not block. An exception it throws is swallowed.
  std::function<void(const Result<GenerationResult>& outcome)> on_done;
};

struct GenerationTimings {
  double queued_ms = 0;   // waiting for a sequence slot and cache space
  double prefill_ms = 0;  // from admission to the first generated token
  double decode_ms = 0;   // from the first generated token to the end
};

struct GenerationResult {
  std::string text;
  std::vector<int32_t> tokens;  // generated tokens
  int prompt_tokens = 0;
  int cached_prompt_tokens = 0;  // prompt positions reused from the prefix cache instead of computed
  int completion_tokens = 0;
  FinishReason finish_reason = FinishReason::stop;
  std::string stop_string;  // the stop string that ended generation, if any
  GenerationTimings timings;
};

// Calls `request.on_done`, when set, with the outcome. An exception the caller's callback throws is swallowed: it
// changes neither the outcome nor the engine thread and the other sequences.
void report_done(const GenerationRequest& request, const Result<GenerationResult>& outcome) noexcept;

struct EngineStats {
  int active_sequences = 0;
  int queued_requests = 0;
  int kv_blocks_total = 0;
  int kv_blocks_available = 0;  // free plus reusable cached blocks
  uint64_t kv_cache_bytes = 0;
  uint64_t prefix_cache_hit_tokens = 0;  // prompt positions served from the prefix cache since loading
};

class Scheduler;

class Engine {
 public:
  // Errors: not_found for a missing file, unprocessable for an invalid or unsupported model, payload_too_large when
  // the memory limit cannot hold the model with one full context.
  static Result<std::unique_ptr<Engine>> load(const std::string& path, const EngineOptions& options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const ModelParams& params() const;
  const GgufFile& file() const;
  const Vocab& vocab() const { return *vocab_; }
  const ChatTemplate& chat_template() const { return chat_template_; }
  const EngineOptions& options() const { return options_; }
  // Positions per sequence actually available (options.context_size capped by the model and the cache).
  int context_size() const { return context_size_; }
  bool is_embedding_model() const;

  std::vector<int32_t> tokenize(std::string_view text, bool add_special = true, bool parse_special = false) const;
  Result<std::string> render_chat(std::span<const ChatMessage> messages, bool add_generation_prompt = true) const;

  // Blocks until the request finishes. Errors: invalid_request (bad prompt or parameters), payload_too_large (the
  // prompt does not fit the context or the cache), unprocessable for embedding models.
  Result<GenerationResult> generate(GenerationRequest request);
  // The same, without blocking.
  std::future<Result<GenerationResult>> submit(GenerationRequest request);

  // Logits after every token of `tokens` ([tokens.size()][n_vocab]), decoder models only.
  Result<std::vector<float>> evaluate(std::span<const int32_t> tokens);

  // Sentence embedding (BERT-family models): the text is tokenized with [CLS]/[SEP], pooled as the model says and
  // L2-normalised unless normalize is false.
  Result<std::vector<float>> embed(std::string_view text, bool normalize = true);
  Result<std::vector<float>> embed_tokens(std::span<const int32_t> tokens, bool normalize = true);
  // The tokens embed() would use, cut to the model's context (the final [SEP] kept): for texts of any length.
  std::vector<int32_t> embedding_tokens(std::string_view text) const;
  // Embeddings of many sequences for an index, in forward passes of up to kEmbedBatchTokens tokens (several
  // sequences each, every weight read once per pass), one pass per thread at a time. Lower priority than
  // embed()/embed_tokens(): a query that arrives meanwhile gets the cores after the operation in progress (a few
  // milliseconds at most), and indexing resumes when no query is waiting.
  Result<std::vector<std::vector<float>>> embed_batch(std::span<const std::vector<int32_t>> sequences,
                                                      bool normalize = true);
  static constexpr std::size_t kEmbedBatchTokens = 512;

  EngineStats stats() const;

 private:
  Engine() = default;
  struct EmbeddingState;

  EngineOptions options_;
  std::shared_ptr<const Model> model_;
  std::optional<Vocab> vocab_;
  ChatTemplate chat_template_ = ChatTemplate::builtin(ChatFamily::unknown, {});
  std::vector<std::string> control_texts_;  // texts of the control tokens, defused in message content
  int context_size_ = 0;
  std::unique_ptr<Scheduler> scheduler_;          // decoder models
  std::unique_ptr<EmbeddingState> embedding_;     // encoder models
};

}  // namespace parley::engine
