// The model providers of parley.toml, built for `parley serve`: the built-in engine ("local") when [engine].model
// is set, and each [[providers]] entry, every one wrapped for resilience in the registry; and the embedding model of
// hybrid retrieval.
#pragma once

#include <memory>

#include "cli/config.h"
#include "engine/engine.h"
#include "llm/registry.h"
#include "semantic/embedder.h"
#include "semantic/status.h"

namespace parley::cli {

struct Providers {
  std::shared_ptr<llm::ProviderRegistry> registry;
  std::shared_ptr<semantic::Embedder> embedder;  // the [engine].embedding_model, when set and usable
  semantic::ModelStatus embedding;               // and what became of it
  EngineConfig engine;                           // what the engines were loaded with
};

// Errors: a chat model that does not load, a key variable that is not set. An embedding model that cannot be used
// is no error: the server answers lexically, and `embedding` says why (a warning in the log, /readyz and the admin
// app). With `previous` (a configuration reload), engines whose [engine] settings did not change are kept as they
// are (loaded, with their queues) instead of loaded again.
Result<Providers> build_providers(const Config& config, const Providers* previous = nullptr);

// The embedding model of parley.toml as the CLI sees it without loading it (the report): its identity, or why it
// cannot be read.
semantic::ModelStatus embedding_model_status(const Config& config);

// Loads the embedding model of parley.toml (an error when none is configured or it cannot be used).
Result<std::shared_ptr<semantic::Embedder>> load_embedding_model(const Config& config);

}  // namespace parley::cli
