// Memory read bandwidth of this machine with the engine's thread pool: the denominator of the decode roofline in
// docs/ENGINE.md (a decode step reads every weight once). `bench_engine_membw [threads] [MB] [repetitions]` streams
// a buffer of random bytes (so nothing below the program can share or compress its pages) backed by 2 MB pages
// where the kernel gives them, like the engine's weights, and prints the best and median GB/s of the repetitions.
// It reads with 64-byte loads, as the engine's AVX-512 kernels do, when the CPU has AVX-512 (narrower loads reached
// far less with two threads on the reference machine: about 40 against 66 GB/s).
#include <immintrin.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "engine/kernels/kernels.h"
#include "engine/thread-pool.h"

namespace {

// Four independent sums, so the adds keep up with the loads.
uint64_t sum_words(const uint64_t* begin, const uint64_t* end) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (const uint64_t* p = begin; p < end; p += 4) {
    s0 += p[0];
    s1 += p[1];
    s2 += p[2];
    s3 += p[3];
  }
  return s0 ^ s1 ^ s2 ^ s3;
}

__attribute__((target("avx512f"))) uint64_t sum_words_avx512(const uint64_t* begin, const uint64_t* end) {
  __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
  for (const uint64_t* p = begin; p < end; p += 32) {
    s0 = _mm512_add_epi64(s0, _mm512_load_si512(p));
    s1 = _mm512_add_epi64(s1, _mm512_load_si512(p + 8));
    s2 = _mm512_add_epi64(s2, _mm512_load_si512(p + 16));
    s3 = _mm512_add_epi64(s3, _mm512_load_si512(p + 24));
  }
  alignas(64) uint64_t lanes[8];
  _mm512_store_si512(lanes, _mm512_add_epi64(_mm512_add_epi64(s0, s1), _mm512_add_epi64(s2, s3)));
  uint64_t sum = 0;
  for (const uint64_t lane : lanes) sum += lane;
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const std::size_t megabytes = argc > 2 ? static_cast<std::size_t>(std::atol(argv[2])) : 1024;
  const int repetitions = argc > 3 ? std::atoi(argv[3]) : 9;
  constexpr std::size_t kHugePage = 2u << 20;
  const std::size_t bytes = std::max<std::size_t>(1, megabytes) << 20;
  void* raw = mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return std::fprintf(stderr, "cannot map %zu MB\n", megabytes), 1;
  auto* data = reinterpret_cast<uint64_t*>((reinterpret_cast<uintptr_t>(raw) + kHugePage - 1) / kHugePage * kHugePage);
  madvise(data, bytes, MADV_HUGEPAGE);
  const std::size_t words = bytes / sizeof(uint64_t);
  std::mt19937_64 rng(7);
  for (std::size_t i = 0; i < words; ++i) data[i] = rng();

  parley::engine::ThreadPool pool(threads);
  // Contiguous shares of 1 MB chunks, a few per thread, like the matrix products' row ranges.
  const int64_t chunk_words = (1 << 20) / sizeof(uint64_t);
  const int64_t n_chunks = static_cast<int64_t>(words) / chunk_words;
  std::vector<uint64_t> sums(static_cast<std::size_t>(threads) * 8);
  std::vector<double> rates;
  const bool wide = parley::engine::kernels::isa_supported(parley::engine::kernels::Isa::avx512);
  for (int rep = 0; rep <= repetitions; ++rep) {  // the first run is a warm-up
    const auto start = std::chrono::steady_clock::now();
    pool.parallel_for(n_chunks, std::max<int64_t>(1, n_chunks / (4 * threads)), [&](int64_t begin, int64_t end, int t) {
      const uint64_t* first = data + begin * chunk_words;
      const uint64_t* last = data + end * chunk_words;
      sums[static_cast<std::size_t>(t) * 8] += wide ? sum_words_avx512(first, last) : sum_words(first, last);
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (rep > 0) rates.push_back(static_cast<double>(n_chunks * chunk_words * sizeof(uint64_t)) / seconds / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  uint64_t checksum = 0;
  for (const auto s : sums) checksum ^= s;
  std::printf("threads=%d buffer=%zu MB, %s loads: best %.1f GB/s, median %.1f GB/s (checksum %llx)\n", threads, megabytes,
              wide ? "64-byte" : "8-byte", rates.back(), rates[rates.size() / 2], static_cast<unsigned long long>(checksum));
  munmap(raw, bytes + kHugePage);
  return 0;
}
