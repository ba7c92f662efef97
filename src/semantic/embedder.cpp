#include "semantic/embedder.h"

#include <filesystem>

#include "guard/model_hash.h"

namespace parley::semantic {

Result<ModelId> identify_model(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return make_error(ErrorCode::not_found, "embedding model " + path + " does not exist");
  }
  PARLEY_ASSIGN_OR_RETURN(auto hash, guard::sha256_file(path));
  return ModelId{std::filesystem::path(path).stem().string(), std::move(hash)};
}

Result<std::shared_ptr<Embedder>> Embedder::load(const std::string& path, const EmbedderOptions& options) {
  PARLEY_ASSIGN_OR_RETURN(auto model, identify_model(path));
  if (!options.expected_sha256.empty()) PARLEY_TRY(guard::verify_model_file(path, options.expected_sha256));
  engine::EngineOptions engine_options;
  engine_options.threads = options.threads;
  auto loaded = engine::Engine::load(path, engine_options);
  if (!loaded.ok()) return make_error(loaded.error().code, "embedding model " + path + ": " + loaded.error().message);
  std::shared_ptr<engine::Engine> engine = std::move(*loaded);
  if (!engine->is_embedding_model()) {
    return make_error(ErrorCode::unprocessable, "embedding model " + path + " is a " + engine->params().arch_name +
                                                    " text generation model, not an embedding (BERT-family) model");
  }
  return std::shared_ptr<Embedder>(new Embedder(std::move(engine), std::move(model), options.query_cache_entries));
}

Embedder::Embedder(std::shared_ptr<engine::Engine> engine, ModelId model, std::size_t cache_entries)
    : engine_(std::move(engine)), model_(std::move(model)), dimensions_(engine_->params().n_embd),
      cache_entries_(cache_entries) {}

Result<std::vector<float>> Embedder::embed_query(std::string_view text) const {
  {
    std::lock_guard lock(cache_mutex_);
    const auto found = cache_.find(text);
    if (found != cache_.end()) {
      cache_order_.splice(cache_order_.begin(), cache_order_, found->second);
      ++stats_.hits;
      return found->second->second;
    }
    ++stats_.misses;
  }
  PARLEY_ASSIGN_OR_RETURN(auto vector, engine_->embed_tokens(engine_->embedding_tokens(text)));
  if (cache_entries_ == 0) return vector;
  std::lock_guard lock(cache_mutex_);
  if (cache_.find(text) == cache_.end()) {
    cache_order_.emplace_front(std::string(text), vector);
    cache_.emplace(cache_order_.front().first, cache_order_.begin());
    if (cache_order_.size() > cache_entries_) {
      cache_.erase(cache_order_.back().first);
      cache_order_.pop_back();
    }
  }
  return vector;
}

Result<std::vector<std::vector<float>>> Embedder::embed_passages(const std::vector<std::string>& texts) const {
  std::vector<std::vector<int32_t>> tokens;
  tokens.reserve(texts.size());
  for (const auto& text : texts) tokens.push_back(engine_->embedding_tokens(text));
  return engine_->embed_batch(tokens);
}

Embedder::CacheStats Embedder::cache_stats() const {
  std::lock_guard lock(cache_mutex_);
  return stats_;
}

std::string embedding_text(const store::Chunk& chunk) {
  std::string text;
  const auto add = [&text](std::string_view part) {
    if (part.empty()) return;
    if (!text.empty()) text += '\n';
    text += part;
  };
  add(chunk.title);  // the question of a Q&A pair, the document title of a passage
  if (chunk.kind == store::ChunkKind::passage) add(chunk.heading_path);
  add(chunk.text);
  return text;
}

}  // namespace parley::semantic
