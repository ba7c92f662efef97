// Curated Q&A pairs: CSV with a header row naming `question` and `answer` columns (other columns kept as
// metadata), or JSON (an array of objects with question/answer keys, or an object holding such an array).
// Rows without a question or an answer are skipped with a warning; a file with no usable pair is refused.
#include <algorithm>
#include <cctype>
#include <optional>

#include "common/json_limits.h"
#include "ingest/csv.h"
#include "ingest/loader.h"
#include "ingest/text_util.h"

namespace parley::ingest {
namespace {

constexpr std::size_t kMaxJsonDepth = 64;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The index of the column named `wanted` (exactly, ignoring case and spaces), else of the only column whose name
// starts with it ("Question text").
std::optional<std::size_t> find_column(const std::vector<std::string>& header, std::string_view wanted,
                                       std::string_view short_name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string name = lower(collapse_whitespace(header[i]));
    if (name == wanted || name == short_name) return i;
  }
  std::optional<std::size_t> prefixed;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (lower(collapse_whitespace(header[i])).starts_with(wanted)) {
      if (prefixed) return std::nullopt;  // ambiguous
      prefixed = i;
    }
  }
  return prefixed;
}

std::string clean_answer(std::string_view text) {
  // Keep paragraph breaks of multi-line answers, collapse everything else.
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find("\n\n", start);
    if (end == std::string_view::npos) end = text.size();
    std::string paragraph = collapse_whitespace(text.substr(start, end - start));
    if (!paragraph.empty()) {
      if (!out.empty()) out += "\n\n";
      out += paragraph;
    }
    start = end + 2;
  }
  return out;
}

void finish(ParsedDocument& doc, const RawDocument& raw, std::size_t skipped) {
  doc.title = title_from_uri(raw.uri);
  if (skipped > 0) doc.warnings.push_back(std::to_string(skipped) + " entries without a question or an answer were skipped");
}

class CsvQaLoader final : public Loader {
 public:
  Result<ParsedDocument> load(std::string_view text, const RawDocument& raw) const override {
    PARLEY_ASSIGN_OR_RETURN(auto rows, parse_csv(text));
    if (rows.empty()) return make_error(ErrorCode::unprocessable, "the CSV file is empty");
    const auto& header = rows.front();
    const auto question = find_column(header, "question", "q");
    const auto answer = find_column(header, "answer", "a");
    if (!question || !answer || *question == *answer) {
      return make_error(ErrorCode::unprocessable,
                        "the CSV header must name a `question` and an `answer` column (found: " +
                            [&] {
                              std::string names;
                              for (const auto& h : header) names += (names.empty() ? "" : ", ") + h;
                              return names;
                            }() + ")");
    }
    ParsedDocument doc;
    std::size_t skipped = 0;
    for (std::size_t r = 1; r < rows.size(); ++r) {
      const auto& row = rows[r];
      QaPair pair;
      pair.question = *question < row.size() ? collapse_whitespace(row[*question]) : "";
      pair.answer = *answer < row.size() ? clean_answer(row[*answer]) : "";
      if (pair.question.empty() || pair.answer.empty()) {
        ++skipped;
        continue;
      }
      for (std::size_t c = 0; c < row.size() && c < header.size(); ++c) {
        if (c == *question || c == *answer || header[c].empty()) continue;
        pair.metadata[header[c]] = row[c];
      }
      doc.qa_pairs.push_back(std::move(pair));
    }
    finish(doc, raw, skipped);
    return doc;
  }
};

const nlohmann::json* find_key(const nlohmann::json& object, std::initializer_list<std::string_view> names) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string key = lower(it.key());
    for (auto name : names) {
      if (key == name) return &it.value();
    }
  }
  return nullptr;
}

std::string scalar_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  return {};
}

class JsonQaLoader final : public Loader {
 public:
  Result<ParsedDocument> load(std::string_view text, const RawDocument& raw) const override {
    if (json_nesting_exceeds(text, kMaxJsonDepth)) {
      return make_error(ErrorCode::unprocessable, "the JSON nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    const nlohmann::json root = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded()) return make_error(ErrorCode::unprocessable, "the file is not valid JSON");
    const nlohmann::json* items = &root;
    if (root.is_object()) {
      items = find_key(root, {"faqs", "faq", "items", "questions", "data", "entries", "qa"});
      if (items == nullptr) return make_error(ErrorCode::unprocessable, "the JSON object holds no array of Q&A pairs");
    }
    if (!items->is_array()) return make_error(ErrorCode::unprocessable, "expected a JSON array of Q&A pairs");
    ParsedDocument doc;
    std::size_t skipped = 0;
    for (const auto& item : *items) {
      if (!item.is_object()) {
        ++skipped;
        continue;
      }
      const auto* question = find_key(item, {"question", "q", "title"});
      const auto* answer = find_key(item, {"answer", "a", "response"});
      QaPair pair;
      pair.question = question ? collapse_whitespace(scalar_text(*question)) : "";
      pair.answer = answer ? clean_answer(scalar_text(*answer)) : "";
      if (pair.question.empty() || pair.answer.empty()) {
        ++skipped;
        continue;
      }
      for (auto it = item.begin(); it != item.end(); ++it) {
        if (&it.value() == question || &it.value() == answer) continue;
        pair.metadata[it.key()] = it.value();
      }
      doc.qa_pairs.push_back(std::move(pair));
    }
    finish(doc, raw, skipped);
    return doc;
  }
};

}  // namespace

const Loader& csv_qa_loader() {
  static const CsvQaLoader loader;
  return loader;
}

const Loader& json_qa_loader() {
  static const JsonQaLoader loader;
  return loader;
}

}  // namespace parley::ingest
