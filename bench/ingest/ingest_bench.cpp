// Ingestion throughput: Markdown and HTML pages (the demo help centre, varied so that every page is new content)
// through the real pipeline — decode, parse, chunk, analyse, index — into a SQLite store in a temporary folder.
// Prints MB/s per format and overall, and the peak resident memory (the corpus is generated batch by batch, so
// the peak is the pipeline's own). Usage: ingest_bench [megabytes per format, default 20] [md|html: that format only,
// for profiling or timing one path]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "demo/demo.h"
#include "ingest/ingest.h"

namespace {

using parley::demo::EmbeddedFile;

// A variant of a page: every word of 6+ letters gets a numbered suffix now and then, so that the vocabulary grows
// like a real site's instead of repeating one page.
std::string vary(std::string_view page, unsigned seed) {
  std::mt19937 random(seed);
  std::string out;
  out.reserve(page.size() + page.size() / 16);
  std::size_t word = 0;
  bool in_tag = false;  // HTML markup stays intact
  for (char c : page) {
    out += c;
    if (c == '<') in_tag = true;
    if (c == '>') in_tag = false;
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    word = letter && !in_tag ? word + 1 : 0;
    if (word == 6 && random() % 8 == 0) out += std::to_string(random() % 5000);
  }
  return out;
}

struct Measurement {
  std::size_t bytes = 0;
  std::size_t files = 0;
  std::size_t chunks = 0;
  double seconds = 0;
};

Measurement ingest_format(parley::store::Store& store, const std::string& workspace, const std::string& bot,
                          const std::vector<EmbeddedFile>& pages, std::string_view extension, std::size_t target_bytes) {
  Measurement m;
  const auto scope = parley::store::Scope::workspace(workspace);
  const auto started = std::chrono::steady_clock::now();
  // Uploads in the batches `parley source add` sends (a multi-file upload through the API may hold more or fewer).
  constexpr std::size_t kBatch = parley::ingest::kUploadBatchFiles;
  std::vector<std::string> names, contents;
  const auto flush = [&] {
    std::vector<parley::ingest::FileUpload> uploads;
    for (std::size_t i = 0; i < names.size(); ++i) uploads.push_back({bot, names[i], "", contents[i]});
    auto outcomes = parley::ingest::add_files(store, scope, uploads);
    if (!outcomes.ok()) {
      std::fprintf(stderr, "ingest failed: %s\n", outcomes.error().message.c_str());
      std::exit(1);
    }
    for (const auto& outcome : *outcomes) {
      if (!outcome.ok()) {
        std::fprintf(stderr, "ingest failed: %s\n", outcome.error().message.c_str());
        std::exit(1);
      }
      m.chunks += outcome->chunk_count;
    }
    names.clear();
    contents.clear();
  };
  for (unsigned round = 0; m.bytes < target_bytes; ++round) {
    for (const auto& page : pages) {
      if (!std::string_view(page.name).ends_with(extension)) continue;
      contents.push_back(vary(page.bytes, round * 7919 + static_cast<unsigned>(m.files)));
      names.push_back(std::to_string(round) + "-" + std::string(page.name));
      m.bytes += contents.back().size();
      ++m.files;
      if (names.size() == kBatch) flush();
    }
  }
  flush();
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t megabytes = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20;
  const auto folder = std::filesystem::temp_directory_path() / ("parley-ingest-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  // PARLEY_STORE_URL=postgresql://...: the PostgreSQL store (bench/store/with_postgres.sh starts a server).
  parley::store::StoreOptions options;
  options.path = (folder / "bench.db").string();
  if (const char* url = std::getenv("PARLEY_STORE_URL")) options.url = url;
  options.index_dir = (folder / "index").string();
  auto opened = parley::store::open_store(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "error: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto store = std::move(opened).value();
  std::printf("store: %s\n", options.url.empty() ? "SQLite" : "PostgreSQL");
  std::string workspace, bot;
  (void)store->write(parley::store::Scope::system(), [&](parley::store::WriteTx& tx) -> parley::Status {
    PARLEY_ASSIGN_OR_RETURN(auto ws, tx.create_workspace("bench"));
    workspace = ws.id;
    return {};
  });
  (void)store->write(parley::store::Scope::workspace(workspace), [&](parley::store::WriteTx& tx) -> parley::Status {
    PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_bot("bench", {{"language", "en"}}));
    bot = created.id;
    return {};
  });
  const auto pages = parley::demo::knowledge_files();
  Measurement total;
  const std::string only = argc > 2 ? "." + std::string(argv[2]) : "";
  for (std::string_view extension : {".md", ".html"}) {
    if (!only.empty() && extension != only) continue;
    const auto m = ingest_format(*store, workspace, bot, pages, extension, megabytes << 20);
    std::printf("%-5s %7.1f MB in %6.2f s = %6.1f MB/s  (%zu files, %zu chunks)\n", std::string(extension).c_str(),
                static_cast<double>(m.bytes) / (1 << 20), m.seconds, static_cast<double>(m.bytes) / (1 << 20) / m.seconds,
                m.files, m.chunks);
    total.bytes += m.bytes;
    total.seconds += m.seconds;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("RESULT ingest_mb_per_s=%.1f corpus_mb=%.0f peak_rss_mb=%.0f\n",
              static_cast<double>(total.bytes) / (1 << 20) / total.seconds, static_cast<double>(total.bytes) / (1 << 20),
              static_cast<double>(usage.ru_maxrss) / 1024);
  store.reset();
  std::filesystem::remove_all(folder);
  return 0;
}
