// Vector search latency of semantic::VectorIndex: exact search (one pass of SIMD dot products) against the HNSW
// graph (hnswlib), at growing numbers of vectors, for choosing the size above which a bot gets a graph
// (VectorIndexOptions::exact_limit) and for the 100,000-chunk target. Prints, per size: exact p50/p99, graph build
// time, graph p50/p99 and its recall of the exact top 10.
//
// Usage: bench_vector_search [MAX_VECTORS] [QUERIES] [DIMENSIONS]   (defaults 100000, 1000, 384)
//
// Vectors are unit length and clustered (each around one of 200 random centres, as embeddings of related passages
// are); questions are drawn the same way. Latency is wall time of one search on one thread (the machine is shared:
// run under `chrt -f 50`) and, next to it, that thread's CPU time.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <vector>

#include "semantic/vector_index.h"

namespace {

using parley::semantic::VectorIndex;
using parley::semantic::VectorIndexOptions;

double thread_cpu_micros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

class Vectors {
 public:
  Vectors(int dimensions, int clusters, std::uint32_t seed) : dimensions_(dimensions), random_(seed) {
    for (int c = 0; c < clusters; ++c) centres_.push_back(unit());
  }
  std::vector<float> next() {
    auto v = unit();
    const auto& centre = centres_[std::uniform_int_distribution<std::size_t>(0, centres_.size() - 1)(random_)];
    double norm = 0;
    for (std::size_t d = 0; d < v.size(); ++d) {
      v[d] = 0.7f * centre[d] + 0.7f * v[d];
      norm += double(v[d]) * v[d];
    }
    for (auto& x : v) x = static_cast<float>(x / std::sqrt(norm));
    return v;
  }

 private:
  std::vector<float> unit() {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> v(static_cast<std::size_t>(dimensions_));
    double norm = 0;
    for (auto& x : v) {
      x = normal(random_);
      norm += double(x) * x;
    }
    for (auto& x : v) x = static_cast<float>(x / std::sqrt(norm));
    return v;
  }
  int dimensions_;
  std::mt19937 random_;
  std::vector<std::vector<float>> centres_;
};

struct Latency {
  double p50 = 0, p99 = 0, cpu_p50 = 0, cpu_p99 = 0;
};

Latency measure(const VectorIndex& index, const std::vector<std::vector<float>>& queries,
                std::vector<std::vector<std::int64_t>>* top) {
  std::vector<double> wall, cpu;
  for (const auto& q : queries) {
    const auto started = std::chrono::steady_clock::now();
    const double cpu_started = thread_cpu_micros();
    const auto hits = index.search(q, 10);
    cpu.push_back(thread_cpu_micros() - cpu_started);
    wall.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count());
    if (top != nullptr) {
      std::vector<std::int64_t> ids;
      for (const auto& hit : hits) ids.push_back(hit.id);
      top->push_back(std::move(ids));
    }
  }
  const auto at = [](std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))] / 1000.0;
  };
  return {at(wall, 0.5), at(wall, 0.99), at(cpu, 0.5), at(cpu, 0.99)};
}

}  // namespace

int main(int argc, char** argv) {
  const int max_vectors = argc > 1 ? std::atoi(argv[1]) : 100'000;
  const int query_count = argc > 2 ? std::atoi(argv[2]) : 1'000;
  const int dimensions = argc > 3 ? std::atoi(argv[3]) : 384;
  Vectors generator(dimensions, 200, 7);
  std::vector<std::vector<float>> queries;
  for (int i = 0; i < query_count; ++i) queries.push_back(generator.next());
  std::printf("%d queries, %d dimensions, top 10; times in ms (wall / thread CPU)\n", query_count, dimensions);
  std::printf("%9s | %17s %17s | %8s | %17s %17s | %7s\n", "vectors", "exact p50", "exact p99", "build s", "graph p50",
              "graph p99", "recall");
  std::vector<std::vector<float>> all;
  for (int size : {1'000, 5'000, 10'000, 20'000, 50'000, 100'000, 200'000}) {
    if (size > max_vectors) break;
    while (static_cast<int>(all.size()) < size) all.push_back(generator.next());
    VectorIndexOptions exact_only;
    exact_only.exact_limit = static_cast<std::size_t>(size) + 1;
    VectorIndex exact(dimensions, exact_only);
    for (int i = 0; i < size; ++i) exact.upsert(i, all[static_cast<std::size_t>(i)]);
    std::vector<std::vector<std::int64_t>> truth;
    const auto exact_latency = measure(exact, queries, &truth);

    VectorIndexOptions graph_options;
    graph_options.exact_limit = 0;
    VectorIndex graph(dimensions, graph_options);
    for (int i = 0; i < size; ++i) graph.upsert(i, all[static_cast<std::size_t>(i)]);
    const auto build_started = std::chrono::steady_clock::now();
    while (graph.maintain()) {
    }
    const double build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - build_started).count();
    std::vector<std::vector<std::int64_t>> found;
    const auto graph_latency = measure(graph, queries, &found);
    std::size_t hits = 0, total = 0;
    for (std::size_t q = 0; q < truth.size(); ++q) {
      const std::set<std::int64_t> got(found[q].begin(), found[q].end());
      for (const auto id : truth[q]) hits += got.contains(id) ? 1 : 0;
      total += truth[q].size();
    }
    std::printf("%9d | %7.3f / %7.3f %7.3f / %7.3f | %8.1f | %7.3f / %7.3f %7.3f / %7.3f | %7.3f\n", size,
                exact_latency.p50, exact_latency.cpu_p50, exact_latency.p99, exact_latency.cpu_p99, build_seconds,
                graph_latency.p50, graph_latency.cpu_p50, graph_latency.p99, graph_latency.cpu_p99,
                static_cast<double>(hits) / static_cast<double>(total));
    std::fflush(stdout);
  }
  return 0;
}
