// A store in a fresh temporary folder, removed at exit: SQLite by default, the PostgreSQL server named by
// PARLEY_STORE_URL when set (bench/store/with_postgres.sh starts one and sets it).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <system_error>

#include "common/result.h"
#include "store/store.h"

namespace parley::bench {

// Prints the error; the benchmark's exit status.
inline int fail(const Error& error) {
  std::fprintf(stderr, "error: %s\n", error.message.c_str());
  return 1;
}

class BenchStore {
 public:
  // `name` tells the benchmarks' folders apart in the temporary directory.
  explicit BenchStore(const std::string& name)
      : folder_(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(std::random_device()()))) {
    std::filesystem::create_directories(folder_);
  }
  ~BenchStore() {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(folder_, ignored);
  }
  BenchStore(const BenchStore&) = delete;
  BenchStore& operator=(const BenchStore&) = delete;

  Status open() {
    store::StoreOptions options;
    options.path = (folder_ / "bench.db").string();
    if (const char* url = std::getenv("PARLEY_STORE_URL")) options.url = url;
    options.index_dir = (folder_ / "index").string();
    auto opened = store::open_store(options);
    if (!opened.ok()) return opened.error();
    store_ = std::move(opened).value();
    return {};
  }
  store::Store& store() { return *store_; }
  // "SQLite" or "PostgreSQL", for the benchmark's report.
  static const char* backend() { return std::getenv("PARLEY_STORE_URL") != nullptr ? "PostgreSQL" : "SQLite"; }

 private:
  std::filesystem::path folder_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace parley::bench
