#include "semantic/vector_index.h"

#include <algorithm>
#include <mutex>
#include <shared_mutex>

// hnswlib defines non-inline functions in its header: this is the only file that includes it.
#include <hnswlib/hnswlib.h>

#include "engine/kernels/kernels.h"

namespace parley::semantic {
namespace {

constexpr std::size_t kMovedPerLock = 8;  // vectors moved into the graph per exclusive hold (a few milliseconds)
constexpr std::size_t kMovedPerCall = 64;

// The k best of (similarity, id), most similar first (ties: lower id first).
void keep_best(std::vector<VectorHit>& hits, std::size_t k) {
  const auto better = [](const VectorHit& a, const VectorHit& b) {
    return a.similarity != b.similarity ? a.similarity > b.similarity : a.id < b.id;
  };
  if (hits.size() > k) {
    std::nth_element(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(k), hits.end(), better);
    hits.resize(k);
  }
  std::sort(hits.begin(), hits.end(), better);
}

}  // namespace

struct VectorIndex::Graph {
  Graph(int dimensions, std::size_t capacity, const VectorIndexOptions& options)
      : space(static_cast<std::size_t>(dimensions)),
        hnsw(&space, capacity, options.hnsw_m, options.hnsw_ef_construction) {
    hnsw.setEf(options.hnsw_ef_search);
  }
  void add(std::int64_t id, const float* vector) {
    if (hnsw.cur_element_count >= hnsw.max_elements_) hnsw.resizeIndex(hnsw.max_elements_ + hnsw.max_elements_ / 2 + 1024);
    hnsw.addPoint(vector, static_cast<hnswlib::labeltype>(id));
  }
  hnswlib::InnerProductSpace space;  // distance 1 - dot
  hnswlib::HierarchicalNSW<float> hnsw;
};

void VectorIndex::Exact::upsert(std::int64_t id, std::span<const float> vector, int dimensions) {
  const auto d = static_cast<std::size_t>(dimensions);
  const auto found = row_of.find(id);
  if (found != row_of.end()) {
    std::copy(vector.begin(), vector.end(), matrix.begin() + static_cast<std::ptrdiff_t>(found->second * d));
    return;
  }
  row_of.emplace(id, ids.size());
  ids.push_back(id);
  matrix.insert(matrix.end(), vector.begin(), vector.end());
}

bool VectorIndex::Exact::remove(std::int64_t id, int dimensions) {
  const auto found = row_of.find(id);
  if (found == row_of.end()) return false;
  const auto d = static_cast<std::size_t>(dimensions);
  const std::size_t row = found->second, last = ids.size() - 1;
  if (row != last) {
    std::copy_n(matrix.begin() + static_cast<std::ptrdiff_t>(last * d), d, matrix.begin() + static_cast<std::ptrdiff_t>(row * d));
    ids[row] = ids[last];
    row_of[ids[row]] = row;
  }
  ids.pop_back();
  matrix.resize(last * d);
  row_of.erase(found);
  return true;
}

WriterFirstMutex::WriterFirstMutex() {
  pthread_rwlockattr_t attributes;
  pthread_rwlockattr_init(&attributes);
  pthread_rwlockattr_setkind_np(&attributes, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&lock_, &attributes);
  pthread_rwlockattr_destroy(&attributes);
}
WriterFirstMutex::~WriterFirstMutex() { pthread_rwlock_destroy(&lock_); }
void WriterFirstMutex::lock() { pthread_rwlock_wrlock(&lock_); }
void WriterFirstMutex::unlock() { pthread_rwlock_unlock(&lock_); }
void WriterFirstMutex::lock_shared() { pthread_rwlock_rdlock(&lock_); }
void WriterFirstMutex::unlock_shared() { pthread_rwlock_unlock(&lock_); }

VectorIndex::VectorIndex(int dimensions, VectorIndexOptions options) : dimensions_(dimensions), options_(options) {}
VectorIndex::~VectorIndex() = default;

std::size_t VectorIndex::size() const {
  std::shared_lock lock(mutex_);
  return exact_.ids.size() + in_graph_.size();
}

bool VectorIndex::approximate() const {
  std::shared_lock lock(mutex_);
  return graph_ != nullptr;
}

void VectorIndex::upsert(std::int64_t id, std::span<const float> vector) {
  std::unique_lock lock(mutex_);
  if (in_graph_.erase(id) > 0) graph_->hnsw.markDelete(static_cast<hnswlib::labeltype>(id));
  exact_.upsert(id, vector, dimensions_);
  if (building_) touched_.insert(id);
}

void VectorIndex::remove(std::int64_t id) {
  std::unique_lock lock(mutex_);
  if (!exact_.remove(id, dimensions_) && in_graph_.erase(id) > 0) graph_->hnsw.markDelete(static_cast<hnswlib::labeltype>(id));
  if (building_) touched_.insert(id);
}

std::vector<std::int64_t> VectorIndex::ids() const {
  std::shared_lock lock(mutex_);
  std::vector<std::int64_t> out(exact_.ids);
  out.insert(out.end(), in_graph_.begin(), in_graph_.end());
  return out;
}

std::vector<VectorHit> VectorIndex::search(std::span<const float> query, std::size_t k) const {
  std::vector<VectorHit> hits;
  if (k == 0 || static_cast<int>(query.size()) != dimensions_) return hits;
  std::shared_lock lock(mutex_);
  const std::size_t rows = exact_.ids.size();
  if (rows > 0) {
    // One SIMD dot product per row: the f32 "matrix product" of the rows with the query as one activation row.
    thread_local std::vector<float> scores;
    scores.resize(rows);
    const auto& kernels = engine::kernels::active_kernels();
    const std::size_t row_bytes = static_cast<std::size_t>(dimensions_) * sizeof(float);
    kernels.gemm[static_cast<int>(engine::TensorType::f32)](
        dimensions_, reinterpret_cast<const uint8_t*>(exact_.matrix.data()), row_bytes, static_cast<int64_t>(rows),
        reinterpret_cast<const uint8_t*>(query.data()), row_bytes, 1, scores.data(), rows);
    hits.reserve(rows);
    for (std::size_t r = 0; r < rows; ++r) hits.push_back({exact_.ids[r], scores[r]});
    keep_best(hits, k);
  }
  if (graph_ && !in_graph_.empty()) {
    auto found = graph_->hnsw.searchKnn(query.data(), std::min(k, in_graph_.size()));
    while (!found.empty()) {
      hits.push_back({static_cast<std::int64_t>(found.top().second), 1.0f - found.top().first});
      found.pop();
    }
    keep_best(hits, k);
  }
  return hits;
}

void VectorIndex::snapshot(std::vector<std::int64_t>& ids, std::vector<float>& vectors) const {
  ids = exact_.ids;
  vectors = exact_.matrix;
  for (const std::int64_t id : in_graph_) {
    ids.push_back(id);
    const auto values = graph_->hnsw.getDataByLabel<float>(static_cast<hnswlib::labeltype>(id));
    vectors.insert(vectors.end(), values.begin(), values.end());
  }
}

std::unique_ptr<VectorIndex::Graph> VectorIndex::build_graph(const std::vector<std::int64_t>& ids,
                                                             const std::vector<float>& vectors) const {
  auto graph = std::make_unique<Graph>(dimensions_, ids.size() + ids.size() / 4 + 1024, options_);
  const auto d = static_cast<std::size_t>(dimensions_);
  for (std::size_t i = 0; i < ids.size(); ++i) graph->add(ids[i], vectors.data() + i * d);
  return graph;
}

void VectorIndex::install(std::unique_ptr<Graph> graph, const std::vector<std::int64_t>& snapshot_ids) {
  // Every snapshot id now lives in the new graph unless it changed meanwhile: then the exact matrix has its
  // current vector (or it is gone) and the graph's copy is deleted.
  Exact rest;
  std::unordered_set<std::int64_t> in_graph;
  const std::unordered_set<std::int64_t> snapshot(snapshot_ids.begin(), snapshot_ids.end());
  for (const std::int64_t id : snapshot_ids) {
    if (touched_.contains(id)) {
      graph->hnsw.markDelete(static_cast<hnswlib::labeltype>(id));
    } else {
      in_graph.insert(id);
    }
  }
  const auto d = static_cast<std::size_t>(dimensions_);
  for (std::size_t r = 0; r < exact_.ids.size(); ++r) {
    const std::int64_t id = exact_.ids[r];
    if (snapshot.contains(id) && !touched_.contains(id)) continue;  // in the graph now
    rest.upsert(id, {exact_.matrix.data() + r * d, d}, dimensions_);
  }
  exact_ = std::move(rest);
  graph_ = std::move(graph);
  in_graph_ = std::move(in_graph);
  building_ = false;
  touched_.clear();
}

bool VectorIndex::maintain() {
  std::size_t live = 0, pending = 0, deleted = 0;
  bool has_graph = false;
  {
    std::shared_lock lock(mutex_);
    live = exact_.ids.size() + in_graph_.size();
    pending = exact_.ids.size();
    deleted = graph_ ? graph_->hnsw.num_deleted_ : 0;
    has_graph = graph_ != nullptr;
  }
  // Drop the graph when the vectors shrank well below the limit; exact search is then cheap again.
  if (has_graph && live < options_.exact_limit / 2) {
    std::unique_lock lock(mutex_);
    std::vector<std::int64_t> ids;
    std::vector<float> vectors;
    snapshot(ids, vectors);
    Exact all;
    const auto d = static_cast<std::size_t>(dimensions_);
    for (std::size_t i = 0; i < ids.size(); ++i) all.upsert(ids[i], {vectors.data() + i * d, d}, dimensions_);
    exact_ = std::move(all);
    graph_.reset();
    in_graph_.clear();
    return false;
  }
  // (Re)build from a snapshot, outside the lock: the first time past the limit, or when a quarter is deleted.
  const bool build = (!has_graph && live > options_.exact_limit) || (has_graph && deleted > (live + deleted) / 4);
  if (build) {
    std::vector<std::int64_t> ids;
    std::vector<float> vectors;
    {
      std::unique_lock lock(mutex_);
      building_ = true;
      touched_.clear();
    }
    {
      std::shared_lock lock(mutex_);
      snapshot(ids, vectors);
    }
    auto graph = build_graph(ids, vectors);
    std::unique_lock lock(mutex_);
    install(std::move(graph), ids);
    return !exact_.ids.empty();
  }
  if (!has_graph || pending == 0) return false;
  // Recently written vectors into the graph, a few per exclusive hold so that searches are never held up long.
  for (std::size_t moved = 0; moved < kMovedPerCall;) {
    std::unique_lock lock(mutex_);
    if (exact_.ids.empty()) return false;
    for (std::size_t i = 0; i < kMovedPerLock && !exact_.ids.empty(); ++i, ++moved) {
      const std::int64_t id = exact_.ids.back();
      const auto d = static_cast<std::size_t>(dimensions_);
      // Adding a label the graph had marked deleted revives that node with the new vector.
      graph_->add(id, exact_.matrix.data() + (exact_.ids.size() - 1) * d);
      exact_.remove(id, dimensions_);
      in_graph_.insert(id);
    }
  }
  std::shared_lock lock(mutex_);
  return !exact_.ids.empty();
}

}  // namespace parley::semantic
