// The model providers of parley.toml, built for `parley serve`: the built-in engine ("local") when [engine].model
// is set, and each [[providers]] entry, every one wrapped for resilience in the registry.
#pragma once

#include <memory>

#include "cli/config.h"
#include "engine/engine.h"
#include "llm/registry.h"

namespace parley::cli {

struct Providers {
  std::shared_ptr<llm::ProviderRegistry> registry;
  std::shared_ptr<engine::Engine> embedder;  // the [engine].embedding_model, when set
  EngineConfig engine;                       // what the engine was loaded with
};

// Errors: a model that does not load, a key variable that is not set. With `previous` (a configuration reload), an
// engine whose [engine] settings did not change is kept as it is (loaded, with its queue) instead of loaded again.
Result<Providers> build_providers(const Config& config, const Providers* previous = nullptr);

}  // namespace parley::cli
