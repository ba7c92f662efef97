// The vectors of one bot by one model, searched by inner product (the vectors are unit length: cosine similarity).
// Up to `exact_limit` vectors are searched exactly: one pass of SIMD dot products (the engine's f32 kernel) over a
// contiguous matrix. Above it (measured in docs/PERFORMANCE.md: the pass grows linearly, a graph search barely), an
// HNSW graph (hnswlib) holds them, built in the background while exact search goes on; vectors written after the
// graph was built wait in the exact matrix (searched exactly, so nothing is missed) until upkeep moves them in.
//
// Thread-safe: searches share a lock; changes hold it exclusively and briefly (a graph is built outside the lock).
#pragma once

#include <pthread.h>

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace parley::semantic {

struct VectorIndexOptions {
  std::size_t exact_limit = 20'000;  // at most this many vectors without a graph
  std::size_t hnsw_m = 16;           // graph degree (hnswlib's M)
  std::size_t hnsw_ef_construction = 100;
  std::size_t hnsw_ef_search = 96;   // candidates followed per search: recall against speed
};

// A readers-writer lock that lets a waiting writer in before new readers: with the default one (glibc's), a steady
// stream of searches starves the updates of an index.
class WriterFirstMutex {
 public:
  WriterFirstMutex();
  ~WriterFirstMutex();
  WriterFirstMutex(const WriterFirstMutex&) = delete;
  WriterFirstMutex& operator=(const WriterFirstMutex&) = delete;
  void lock();
  void unlock();
  void lock_shared();
  void unlock_shared();

 private:
  pthread_rwlock_t lock_;
};

struct VectorHit {
  std::int64_t id = 0;
  float similarity = 0;
};

class VectorIndex {
 public:
  VectorIndex(int dimensions, VectorIndexOptions options = {});
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  int dimensions() const { return dimensions_; }
  std::size_t size() const;  // live vectors
  bool approximate() const;  // whether a graph holds (most of) them

  // Adds or replaces the vector of `id` (dimensions() floats).
  void upsert(std::int64_t id, std::span<const float> vector);
  void remove(std::int64_t id);
  std::vector<std::int64_t> ids() const;  // every live id, in no particular order

  // The k most similar vectors, most similar first.
  std::vector<VectorHit> search(std::span<const float> query, std::size_t k) const;

  // Background upkeep, one caller at a time: builds the graph once the vectors outgrow exact search (and drops it
  // when they shrink well below), moves recently written vectors into it a few at a time, rebuilds it when a
  // quarter of its nodes are deleted. Returns whether work remains.
  bool maintain();

 private:
  struct Graph;
  // Vectors not in the graph (all of them without one): rows of a contiguous matrix.
  struct Exact {
    std::vector<float> matrix;
    std::vector<std::int64_t> ids;
    std::unordered_map<std::int64_t, std::size_t> row_of;
    void upsert(std::int64_t id, std::span<const float> vector, int dimensions);
    bool remove(std::int64_t id, int dimensions);
  };

  std::unique_ptr<Graph> build_graph(const std::vector<std::int64_t>& ids, const std::vector<float>& vectors) const;
  // Under the exclusive lock: installs a graph built from a snapshot, keeping changes made since then.
  void install(std::unique_ptr<Graph> graph, const std::vector<std::int64_t>& snapshot_ids);
  // Every live vector, ids and values in the same order (the caller holds the lock).
  void snapshot(std::vector<std::int64_t>& ids, std::vector<float>& vectors) const;

  const int dimensions_;
  const VectorIndexOptions options_;
  mutable WriterFirstMutex mutex_;
  Exact exact_;
  std::unique_ptr<Graph> graph_;
  std::unordered_set<std::int64_t> in_graph_;  // live ids held by the graph (the graph's other nodes are deleted)
  // Ids changed while a graph is being built from a snapshot; their snapshot vectors are stale.
  bool building_ = false;
  std::unordered_set<std::int64_t> touched_;
};

}  // namespace parley::semantic
