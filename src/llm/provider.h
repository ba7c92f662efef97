// A source of generations: the built-in engine, an OpenAI-compatible server, or Anthropic. Asynchronous and
// streaming; every provider honours cancellation and its timeouts and reports failures as Result errors — a
// provider never throws into its caller.
#pragma once

#include <memory>
#include <string>

#include "llm/types.h"

namespace parley::llm {

class Provider {
 public:
  virtual ~Provider() = default;
  virtual const std::string& name() const = 0;
  virtual bool is_local() const = 0;  // local: the text never leaves this machine
  // Starts a generation; `sink.on_done` is called exactly once, possibly before this returns.
  virtual void generate(const GenerationRequest& request, GenerationSink sink,
                        std::shared_ptr<const Cancellation> cancellation) = 0;
};

// Runs one generation to completion on the calling thread (CLI, tests): deltas go to `on_delta` if given.
Result<GenerationResult> generate_blocking(Provider& provider, const GenerationRequest& request,
                                           const std::function<void(std::string_view)>& on_delta = {},
                                           std::shared_ptr<const Cancellation> cancellation = nullptr);

}  // namespace parley::llm
