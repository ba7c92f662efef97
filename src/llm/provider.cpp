#include "llm/provider.h"

#include <future>

namespace parley::llm {

Result<GenerationResult> generate_blocking(Provider& provider, const GenerationRequest& request,
                                           const std::function<void(std::string_view)>& on_delta,
                                           std::shared_ptr<const Cancellation> cancellation) {
  auto done = std::make_shared<std::promise<GenerationOutcome>>();
  auto future = done->get_future();
  GenerationSink sink;
  sink.on_delta = [on_delta](std::string_view text) {
    if (on_delta) on_delta(text);
  };
  sink.on_done = [done](GenerationOutcome outcome) { done->set_value(std::move(outcome)); };
  provider.generate(request, std::move(sink), cancellation ? cancellation : std::make_shared<Cancellation>());
  GenerationOutcome outcome = future.get();
  if (outcome.error) return *outcome.error;
  return std::move(outcome.result);
}

}  // namespace parley::llm
