#include "llm/engine_provider.h"

#include <chrono>

namespace parley::llm {
namespace {

using Clock = std::chrono::steady_clock;

double millis_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

void EngineProvider::generate(const GenerationRequest& request, GenerationSink sink,
                              std::shared_ptr<const Cancellation> cancellation) {
  engine::GenerationRequest job;
  for (const auto& message : request.messages) job.messages.push_back({message.role, message.content});
  job.max_tokens = request.max_tokens;
  job.stop = request.stop;
  job.sampling.temperature = static_cast<float>(request.temperature);
  job.sampling.seed = request.seed;

  // Shared by the two callbacks, which run on the engine's thread one after the other.
  struct State {
    GenerationSink sink;
    std::shared_ptr<const Cancellation> cancellation;
    Clock::time_point started = Clock::now();
    double first_token_ms = 0;
    std::string provider;
    std::string model;
  };
  auto state = std::make_shared<State>();
  state->sink = std::move(sink);
  state->cancellation = std::move(cancellation);
  state->provider = name_;
  state->model = model_name_;

  job.on_text = [state](std::string_view piece) {
    if (state->cancellation && state->cancellation->cancelled()) return false;
    if (state->first_token_ms == 0) state->first_token_ms = millis_since(state->started);
    if (state->sink.on_delta) state->sink.on_delta(piece);
    return true;
  };
  job.on_done = [state](const Result<engine::GenerationResult>& outcome) {
    GenerationOutcome out;
    out.result.provider = state->provider;
    out.result.model = state->model;
    out.result.first_token_ms = state->first_token_ms;
    out.result.total_ms = millis_since(state->started);
    if (!outcome.ok()) {
      out.result.finish_reason = "error";
      out.error = outcome.error();
    } else {
      out.result.text = outcome->text;
      out.result.finish_reason = std::string(engine::finish_reason_name(outcome->finish_reason));
      out.result.usage.prompt_tokens = outcome->prompt_tokens;
      out.result.usage.completion_tokens = outcome->completion_tokens;
      if (outcome->finish_reason == engine::FinishReason::cancelled) {
        out.error = make_error(ErrorCode::unavailable, "the generation was cancelled");
      }
    }
    state->sink.on_done(std::move(out));
  };
  // The outcome arrives through on_done; the future is not needed.
  (void)engine_->submit(std::move(job));
}

}  // namespace parley::llm
