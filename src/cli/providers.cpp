#include "cli/providers.h"

#include <algorithm>
#include <cctype>
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
  const bool reused = previous != nullptr && same_engine(previous->engine, config.engine);
  if (reused) {
    if (auto local = previous->registry->find("local")) out.registry->add(local, *previous->registry->info("local"));
    out.embedder = previous->embedder;
    out.embedding = previous->embedding;
  } else if (!config.engine.model.empty()) {
    PARLEY_ASSIGN_OR_RETURN(auto engine, load_engine(config.engine.model, config.engine.model_sha256, config.engine));
    const std::string model = std::filesystem::path(config.engine.model).stem().string();
    llm::ResilienceOptions resilience;
    resilience.max_concurrency = config.engine.max_concurrency;
    out.registry->add(std::make_shared<llm::EngineProvider>("local", std::move(engine), model),
                      {"local", "engine", model, true, 0, 0}, resilience);
    spdlog::info("engine: {} loaded as provider \"local\"", config.engine.model);
  }
  if (!config.engine.embedding_model.empty() && !reused) {
    out.embedding.path = config.engine.embedding_model;
    auto loaded = load_embedding_model(config);
    if (loaded.ok()) {
      out.embedder = std::move(*loaded);
      out.embedding.model = out.embedder->model();
      out.embedding.dimensions = out.embedder->dimensions();
      out.embedding.loaded = true;
      spdlog::info("embedding model {} ({} dimensions) in use for hybrid retrieval", out.embedder->model().name,
                   out.embedder->dimensions());
    } else {
      out.embedding.error = loaded.error().message;
      if (auto identity = semantic::identify_model(config.engine.embedding_model); identity.ok()) {
        out.embedding.model = std::move(*identity);
      }
      spdlog::warn("{}", out.embedding.warning());
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

Result<std::shared_ptr<semantic::Embedder>> load_embedding_model(const Config& config) {
  if (config.engine.embedding_model.empty()) {
    return make_error(ErrorCode::invalid_request, "no embedding model is configured (parley.toml [engine] embedding_model)");
  }
  semantic::EmbedderOptions options;
  options.threads = config.engine.threads;
  options.expected_sha256 = config.engine.embedding_model_sha256;
  return semantic::Embedder::load(config.engine.embedding_model, options);
}

semantic::ModelStatus embedding_model_status(const Config& config) {
  semantic::ModelStatus status;
  status.path = config.engine.embedding_model;
  if (!status.configured()) return status;
  auto identity = semantic::identify_model(status.path);
  if (!identity.ok()) {
    status.error = identity.error().message;
    return status;
  }
  const auto& expected = config.engine.embedding_model_sha256;
  const auto same_hex = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
  };
  if (!expected.empty() && !same_hex(expected, identity->hash)) {
    status.error = "its SHA-256 does not match engine.embedding_model_sha256";
  }
  status.model = std::move(*identity);
  return status;
}

}  // namespace parley::cli
