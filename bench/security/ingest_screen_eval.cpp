// Ingest-time prompt-injection screening on real help content, through the real loaders and chunker
// (ingest::prepare_document): how many chunks of ordinary documents the screen flags (each is a false flag, left
// out of answers under the default policy), which ones, and what screening costs next to the rest of ingestion.
//
//   ingest_screen_eval [--html-sections FILE.json]... [--squad-papers FILE.json]... [--file FILE]...
//     --html-sections: a JSON object of sections, each {"title", "html": [strings]} (the S10 manual corpus); each
//                      section is ingested as one HTML page
//     --squad-papers:  a SQuAD-style JSON file whose paragraphs are whole documents (covidqa-papers), each ingested
//                      as one plain-text document
//     --file:          a document of any supported format (a CSV of questions and answers, a PDF, ...)
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "guard/injection.h"
#include "ingest/ingest.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct Totals {
  long documents = 0;
  long chunks = 0;
  long flagged = 0;
  double prepare_seconds = 0;  // the whole of prepare_document, screening included
  double screen_seconds = 0;   // check_injection alone over the same chunks
};

void ingest(const std::string& name, const std::string& content_type, const std::string& bytes, Totals& totals) {
  using namespace parley;
  const auto started = Clock::now();
  auto prepared = ingest::prepare_document({name, content_type, bytes}, "en", {});
  totals.prepare_seconds += std::chrono::duration<double>(Clock::now() - started).count();
  if (!prepared.ok()) {
    std::cerr << name << ": " << prepared.error().message << "\n";
    return;
  }
  ++totals.documents;
  for (const auto& chunk : prepared->chunks) {
    ++totals.chunks;
    const std::string text = chunk.chunk.title + "\n" + chunk.chunk.heading_path + "\n" + chunk.chunk.text;
    const auto screened = Clock::now();
    (void)guard::check_injection(text, guard::ScreenedText::content);
    totals.screen_seconds += std::chrono::duration<double>(Clock::now() - screened).count();
    if (store::flagged_as_injection(chunk.chunk)) {
      ++totals.flagged;
      const auto& verdict = chunk.chunk.metadata[store::kInjectionVerdictKey];
      std::printf("  flagged in %s (score %.2f, %s): %.160s\n", name.c_str(), verdict.value("score", 0.0),
                  verdict["reasons"].dump().c_str(), chunk.chunk.text.c_str());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Totals totals;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string path = argv[i + 1];
    if (flag == "--html-sections") {
      const auto sections = nlohmann::json::parse(read_file(path));
      for (auto it = sections.begin(); it != sections.end(); ++it) {
        std::string html = "<html><head><title>" + it.value().value("title", it.key()) + "</title></head><body>";
        for (const auto& part : it.value()["html"]) html += part.get<std::string>();
        ingest(it.key() + ".html", "text/html", html + "</body></html>", totals);
      }
    } else if (flag == "--squad-papers") {
      const auto squad = nlohmann::json::parse(read_file(path));
      int paper = 0;
      for (const auto& article : squad["data"]) {
        for (const auto& paragraph : article["paragraphs"]) {
          ingest("paper-" + std::to_string(++paper) + ".txt", "text/plain", paragraph["context"].get<std::string>(), totals);
        }
      }
    } else if (flag == "--file") {
      ingest(path.substr(path.find_last_of('/') + 1), "", read_file(path), totals);
    } else {
      std::cerr << "unknown option " << flag << "\n";
      return 2;
    }
  }
  std::printf("%ld documents, %ld chunks: %ld flagged (%.2f%%)\n", totals.documents, totals.chunks, totals.flagged,
              totals.chunks == 0 ? 0.0 : 100.0 * static_cast<double>(totals.flagged) / static_cast<double>(totals.chunks));
  std::printf("prepare_document %.3f s in all (screening included); screening alone %.3f s (%.1f%%), %.1f us per chunk\n",
              totals.prepare_seconds, totals.screen_seconds,
              totals.prepare_seconds == 0 ? 0.0 : 100.0 * totals.screen_seconds / totals.prepare_seconds,
              totals.chunks == 0 ? 0.0 : 1e6 * totals.screen_seconds / static_cast<double>(totals.chunks));
  return 0;
}
