// The embedding model of hybrid retrieval ([engine] embedding_model): a BERT-family GGUF run by the built-in engine,
// identified by its file name and SHA-256, which are recorded with every vector it computes (a different file is
// a different model, and the chunks are embedded again). Questions are embedded at high priority and their vectors
// cached; passages are embedded in batches behind them (engine::Engine::embed_batch).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "store/types.h"

namespace parley::semantic {

struct ModelId {
  std::string name;  // the file name without its extension ("bge-small-en-v1.5-f16")
  std::string hash;  // SHA-256 of the file, hex
};

// The identity of a model file without loading it (hashes the file). Errors: not_found, internal (unreadable).
Result<ModelId> identify_model(const std::string& path);

struct EmbedderOptions {
  int threads = 0;                            // compute threads; 0: one per core
  std::string expected_sha256{};              // when set, a file with another SHA-256 is refused
  std::size_t query_cache_entries = 4096;     // question vectors kept (about 1.5 KB each at 384 dimensions)
};

class Embedder {
 public:
  // Loads the model for retrieval. Errors: not_found (no file), unprocessable (not a GGUF the engine can run, or
  // not an embedding model), and the hash check's error.
  static Result<std::shared_ptr<Embedder>> load(const std::string& path, const EmbedderOptions& options = {});

  const ModelId& model() const { return model_; }
  int dimensions() const { return dimensions_; }
  // The engine, shared with POST /v1/embeddings.
  const std::shared_ptr<engine::Engine>& engine() const { return engine_; }

  // A question's vector (unit length), from the cache when the same text was asked before. Thread-safe.
  Result<std::vector<float>> embed_query(std::string_view text) const;
  // Vectors of passages for the index, computed in batches behind any question (thread-safe, one batch at a time).
  Result<std::vector<std::vector<float>>> embed_passages(const std::vector<std::string>& texts) const;

  struct CacheStats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
  };
  CacheStats cache_stats() const;

 private:
  Embedder(std::shared_ptr<engine::Engine> engine, ModelId model, std::size_t cache_entries);

  std::shared_ptr<engine::Engine> engine_;
  ModelId model_;
  int dimensions_ = 0;

  // Least recently used question vectors.
  std::size_t cache_entries_;
  mutable std::mutex cache_mutex_;
  mutable std::list<std::pair<std::string, std::vector<float>>> cache_order_;  // most recent first
  mutable std::unordered_map<std::string_view, decltype(cache_order_)::iterator> cache_;
  mutable CacheStats stats_;
};

// The text a chunk is embedded from: a passage with its document title and section headings (they say what it is
// about), a Q&A pair as question and answer.
std::string embedding_text(const store::Chunk& chunk);

}  // namespace parley::semantic
