// The in-memory vector index: exact search against a plain loop, the HNSW graph past the limit (recall against exact
// search, changes made while a graph is being built, vectors moved in by upkeep, the graph dropped when the index
// shrinks), and searches running while upkeep changes it.
#include "semantic/vector_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <set>
#include <thread>

namespace parley::semantic {
namespace {

std::vector<float> unit_vector(std::mt19937& rng, int dimensions) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(dimensions));
  double norm = 0;
  for (auto& x : v) {
    x = normal(rng);
    norm += double(x) * x;
  }
  for (auto& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

// Vectors around a few centres, as embeddings of related texts are.
std::vector<std::vector<float>> clustered(std::mt19937& rng, int count, int dimensions, int clusters) {
  std::vector<std::vector<float>> centres;
  for (int c = 0; c < clusters; ++c) centres.push_back(unit_vector(rng, dimensions));
  std::vector<std::vector<float>> out;
  for (int i = 0; i < count; ++i) {
    auto v = unit_vector(rng, dimensions);
    const auto& centre = centres[static_cast<std::size_t>(i % clusters)];
    double norm = 0;
    for (std::size_t d = 0; d < v.size(); ++d) {
      v[d] = 0.8f * centre[d] + 0.6f * v[d];
      norm += double(v[d]) * v[d];
    }
    for (auto& x : v) x = static_cast<float>(x / std::sqrt(norm));
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<VectorHit> brute_force(const std::map<std::int64_t, std::vector<float>>& vectors, const std::vector<float>& q,
                                   std::size_t k) {
  std::vector<VectorHit> hits;
  for (const auto& [id, v] : vectors) {
    double dot = 0;
    for (std::size_t d = 0; d < v.size(); ++d) dot += double(v[d]) * q[d];
    hits.push_back({id, static_cast<float>(dot)});
  }
  std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.similarity > b.similarity; });
  hits.resize(std::min(k, hits.size()));
  return hits;
}

TEST(VectorIndex, ExactSearchFindsTheMostSimilarInOrder) {
  std::mt19937 rng(1);
  for (int dimensions : {3, 17, 384}) {
    VectorIndex index(dimensions);
    std::map<std::int64_t, std::vector<float>> stored;
    for (std::int64_t id = 1; id <= 301; ++id) {
      stored[id * 7] = unit_vector(rng, dimensions);
      index.upsert(id * 7, stored[id * 7]);
    }
    EXPECT_EQ(index.size(), 301u);
    EXPECT_FALSE(index.approximate());
    for (int trial = 0; trial < 20; ++trial) {
      const auto q = unit_vector(rng, dimensions);
      const auto got = index.search(q, 10);
      const auto expected = brute_force(stored, q, 10);
      ASSERT_EQ(got.size(), expected.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].id, expected[i].id) << dimensions << " rank " << i;
        EXPECT_NEAR(got[i].similarity, expected[i].similarity, 1e-5);
      }
    }
    // A stored vector is its own best match, with similarity 1.
    const auto self = index.search(stored[49], 1);
    ASSERT_EQ(self.size(), 1u);
    EXPECT_EQ(self[0].id, 49);
    EXPECT_NEAR(self[0].similarity, 1.0f, 1e-5);
  }
}

TEST(VectorIndex, ReplacesAndRemovesVectors) {
  VectorIndex index(2);
  index.upsert(1, std::vector<float>{1, 0});
  index.upsert(2, std::vector<float>{0, 1});
  index.upsert(3, std::vector<float>{-1, 0});
  EXPECT_EQ(index.search(std::vector<float>{1, 0}, 1)[0].id, 1);
  index.upsert(3, std::vector<float>{1, 0});  // replaced, not added
  index.remove(1);
  index.remove(99);  // unknown: nothing happens
  EXPECT_EQ(index.size(), 2u);
  const auto hits = index.search(std::vector<float>{1, 0}, 5);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].id, 3);
  EXPECT_EQ(hits[1].id, 2);
  EXPECT_TRUE(index.search(std::vector<float>{1, 0, 0}, 5).empty());  // wrong width: nothing
  std::vector<std::int64_t> ids = index.ids();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::int64_t>{2, 3}));
}

// Past the limit, upkeep builds an HNSW graph: top-10 recall against exact search stays high on clustered vectors;
// vectors written afterwards are found at once (searched exactly until upkeep moves them in), replaced and removed
// ones never come back; shrinking well below the limit returns to exact search.
TEST(VectorIndex, GraphAboveTheLimitKeepsResultsRightThroughChanges) {
  constexpr int kDimensions = 64;
  std::mt19937 rng(2);
  VectorIndexOptions options;
  options.exact_limit = 500;
  VectorIndex index(kDimensions, options);
  std::map<std::int64_t, std::vector<float>> stored;
  auto vectors = clustered(rng, 1500, kDimensions, 20);
  for (std::int64_t id = 0; id < 1200; ++id) {
    stored[id] = vectors[static_cast<std::size_t>(id)];
    index.upsert(id, stored[id]);
  }
  EXPECT_FALSE(index.approximate());
  while (index.maintain()) {
  }
  EXPECT_TRUE(index.approximate());
  EXPECT_EQ(index.size(), 1200u);
  const auto recall = [&] {
    std::size_t found = 0, total = 0;
    for (int trial = 0; trial < 50; ++trial) {
      const auto q = clustered(rng, 1, kDimensions, 1)[0];
      const auto expected = brute_force(stored, q, 10);
      std::set<std::int64_t> got;
      for (const auto& hit : index.search(q, 10)) got.insert(hit.id);
      for (const auto& hit : expected) found += got.contains(hit.id) ? 1 : 0;
      total += expected.size();
    }
    return double(found) / double(total);
  };
  EXPECT_GE(recall(), 0.95);

  // New vectors: found before upkeep runs, and still after it moved them into the graph.
  for (std::int64_t id = 1200; id < 1500; ++id) {
    stored[id] = vectors[static_cast<std::size_t>(id)];
    index.upsert(id, stored[id]);
    if (id == 1200) {
      const auto hit = index.search(stored[id], 1);
      ASSERT_EQ(hit[0].id, 1200);
    }
  }
  while (index.maintain()) {
  }
  EXPECT_EQ(index.size(), 1500u);
  EXPECT_EQ(index.search(stored[1499], 1)[0].id, 1499);
  // A replaced vector is found by its new value only; a removed one not at all.
  const auto moved = unit_vector(rng, kDimensions);
  index.upsert(7, moved);
  stored[7] = moved;
  index.remove(8);
  stored.erase(8);
  for (const auto& hit : index.search(vectors[8], 20)) EXPECT_NE(hit.id, 8);
  EXPECT_EQ(index.search(moved, 1)[0].id, 7);
  while (index.maintain()) {
  }
  EXPECT_EQ(index.search(moved, 1)[0].id, 7);
  EXPECT_GE(recall(), 0.95);

  // Removing most vectors: the graph is rebuilt, then dropped below half the limit.
  for (std::int64_t id = 0; id < 1300; ++id) {
    if (stored.erase(id) > 0) index.remove(id);
  }
  while (index.maintain()) {
  }
  EXPECT_EQ(index.size(), stored.size());
  EXPECT_FALSE(index.approximate());
  EXPECT_EQ(index.search(stored.begin()->second, 1)[0].id, stored.begin()->first);
}

// Searches from several threads while vectors are written and upkeep builds and fills the graph: every search
// returns live ids only, and a vector written before a search began is found by it.
TEST(VectorIndex, SearchesRunWhileUpkeepChangesTheIndex) {
  constexpr int kDimensions = 32;
  std::mt19937 rng(3);
  VectorIndexOptions options;
  options.exact_limit = 300;
  VectorIndex index(kDimensions, options);
  auto vectors = clustered(rng, 2000, kDimensions, 10);
  std::atomic<std::int64_t> written{0};
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (std::int64_t id = 0; id < 2000; ++id) {
      index.upsert(id, vectors[static_cast<std::size_t>(id)]);
      written = id + 1;
      if (id % 100 == 0) index.maintain();
    }
    while (index.maintain()) {
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        const std::int64_t known = written.load();
        if (known == 0) continue;
        const std::int64_t id = known - 1;
        const auto hits = index.search(vectors[static_cast<std::size_t>(id)], 5);
        if (hits.empty() || hits[0].id < 0 || hits[0].id >= 2000) ++failures;
        // The exact match of a vector written before this search began ranks first (similarity 1).
        if (!hits.empty() && hits[0].similarity < 0.999f) ++failures;
      }
    });
  }
  writer.join();
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(index.size(), 2000u);
  EXPECT_TRUE(index.approximate());
}

}  // namespace
}  // namespace parley::semantic
