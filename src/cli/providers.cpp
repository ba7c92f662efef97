#include "cli/providers.h"

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "guard/model_hash.h"
#include "llm/engine_provider.h"

namespace parley::cli {
namespace {

Result<std::shared_ptr<engine::Engine>> load_engine(const std::string& path, const std::string& sha256,
                                                    const EngineConfig& config) {
  if (!sha256.empty()) PARLEY_TRY(guard::verify_model_file(path, sha256));
  engine::EngineOptions options;
  options.threads = config.threads;
  options.context_size = config.context;
  options.max_sequences = config.max_sequences;
  auto loaded = engine::Engine::load(path, options);
  if (!loaded.ok()) return make_error(loaded.error().code, path + ": " + loaded.error().message);
  return std::shared_ptr<engine::Engine>(std::move(*loaded));
}

bool same_engine(const EngineConfig& a, const EngineConfig& b) {
  return a.model == b.model && a.model_sha256 == b.model_sha256 && a.embedding_model == b.embedding_model &&
         a.embedding_model_sha256 == b.embedding_model_sha256 && a.threads == b.threads && a.context == b.context &&
         a.max_sequences == b.max_sequences && a.max_concurrency == b.max_concurrency;
}

}  // namespace

Result<Providers> build_providers(const Config& config, const Providers* previous) {
  Providers out;
  out.registry = std::make_shared<llm::ProviderRegistry>();
  out.engine = config.engine;
  if (previous != nullptr && same_engine(previous->engine, config.engine)) {
    if (auto local = previous->registry->find("local")) out.registry->add(local, *previous->registry->info("local"));
    out.embedder = previous->embedder;
  } else if (!config.engine.model.empty()) {
    PARLEY_ASSIGN_OR_RETURN(auto engine, load_engine(config.engine.model, config.engine.model_sha256, config.engine));
    const std::string model = std::filesystem::path(config.engine.model).stem().string();
    llm::ResilienceOptions resilience;
    resilience.max_concurrency = config.engine.max_concurrency;
    out.registry->add(std::make_shared<llm::EngineProvider>("local", std::move(engine), model),
                      {"local", "engine", model, true, 0, 0}, resilience);
    spdlog::info("engine: {} loaded as provider \"local\"", config.engine.model);
  }
  if (!config.engine.embedding_model.empty() && !out.embedder) {
    PARLEY_ASSIGN_OR_RETURN(out.embedder, load_engine(config.engine.embedding_model, config.engine.embedding_model_sha256, config.engine));
    if (!out.embedder->is_embedding_model()) {
      return make_error(ErrorCode::invalid_request, "parley.toml: engine.embedding_model is not an embedding model");
    }
  }
  for (const auto& provider : config.providers) {
    llm::RemoteProviderConfig remote;
    remote.name = provider.name;
    remote.format = provider.kind == "anthropic" ? llm::WireFormat::anthropic : llm::WireFormat::openai;
    remote.base_url = provider.base_url;
    remote.default_model = provider.model;
    remote.extra_headers = provider.headers;
    remote.local = provider.local;
    remote.input_price_per_mtok = provider.input_price_per_mtok;
    remote.output_price_per_mtok = provider.output_price_per_mtok;
    remote.timeouts.first_token = std::chrono::milliseconds(provider.first_token_timeout_ms);
    remote.timeouts.total = std::chrono::milliseconds(provider.total_timeout_ms);
    if (!provider.api_key_env.empty()) {
      const char* key = std::getenv(provider.api_key_env.c_str());
      if (key == nullptr || *key == '\0') {
        return make_error(ErrorCode::invalid_request, "provider " + provider.name + ": the environment variable " +
                                                          provider.api_key_env + " (its API key) is not set");
      }
      remote.api_key = key;
    }
    llm::ResilienceOptions resilience;
    resilience.max_concurrency = provider.max_concurrency;
    out.registry->add(std::make_shared<llm::RemoteProvider>(std::move(remote)),
                      {provider.name, provider.kind, provider.model, provider.local, provider.input_price_per_mtok,
                       provider.output_price_per_mtok},
                      resilience);
  }
  return out;
}

}  // namespace parley::cli
