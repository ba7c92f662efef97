#include "ingest/chunker.h"

#include <algorithm>
#include <cctype>

#include "store/chunk_metadata.h"
#include "text/sentences.h"

namespace parley::ingest {
namespace {

std::string render_block(const Block& block) {
  switch (block.kind) {
    case BlockKind::list_item: return std::string(static_cast<std::size_t>(std::max(0, block.level - 1)) * 2, ' ') + "- " + block.text;
    case BlockKind::quote: return "> " + block.text;
    default: return block.text;
  }
}

// Splits an over-long block at sentence boundaries into pieces of about `target` characters.
std::vector<std::string> split_long(const std::string& text, std::size_t target) {
  std::vector<std::string> pieces;
  std::string piece;
  for (const auto& span : text::split_sentences(text)) {
    std::string_view sentence = span.of(text);
    // A single sentence longer than the limit (a run-on or a table dump) is cut at a space.
    while (sentence.size() > target * 2) {
      std::size_t cut = sentence.rfind(' ', target);
      if (cut == std::string_view::npos || cut == 0) cut = target;
      while (cut < sentence.size() && (static_cast<unsigned char>(sentence[cut]) & 0xC0) == 0x80) ++cut;
      if (!piece.empty()) pieces.push_back(std::move(piece));
      piece.clear();
      pieces.emplace_back(sentence.substr(0, cut));
      sentence.remove_prefix(cut);
      while (!sentence.empty() && sentence.front() == ' ') sentence.remove_prefix(1);
    }
    if (!piece.empty() && piece.size() + sentence.size() + 1 > target) {
      pieces.push_back(std::move(piece));
      piece.clear();
    }
    if (!piece.empty()) piece += ' ';
    piece += sentence;
  }
  if (!piece.empty()) pieces.push_back(std::move(piece));
  return pieces;
}

std::string metadata_category(const nlohmann::json& metadata) {
  for (auto it = metadata.begin(); it != metadata.end(); ++it) {
    std::string key = it.key();
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if ((key == "category" || key == "section" || key == "topic") && it.value().is_string()) {
      return it.value().get<std::string>();
    }
  }
  return {};
}

class ChunkBuilder {
 public:
  ChunkBuilder(const ParsedDocument& doc, const ChunkingOptions& options, std::vector<DraftChunk>& out)
      : doc_(doc), options_(options), out_(out) {}

  void heading(const Block& block) {
    flush();
    while (!headings_.empty() && headings_.back().first >= block.level) headings_.pop_back();
    headings_.emplace_back(block.level, block.text);
  }

  // A unit is one block, or a whole run of list items or table rows: kept in one chunk when it fits.
  void unit(const std::vector<const Block*>& blocks) {
    std::vector<std::string> lines;
    std::vector<double> link_shares;
    std::size_t size = 0;
    for (const Block* block : blocks) {
      lines.push_back(render_block(*block));
      link_shares.push_back(block->link_share);
      size += lines.back().size() + 1;
    }
    if (lines.size() == 1 || size > options_.max_chars) {
      // A long run is split between its items.
      for (std::size_t i = 0; i < lines.size(); ++i) line_unit(std::move(lines[i]), link_shares[i]);
      return;
    }
    if (!parts_.empty() && size_ + size > options_.target_chars) flush();
    for (std::size_t i = 0; i < lines.size(); ++i) append(std::move(lines[i]), link_shares[i]);
  }

  void flush() {
    if (parts_.empty()) return;
    DraftChunk chunk;
    chunk.title = doc_.title;
    chunk.heading_path = heading_path();
    for (const auto& part : parts_) {
      if (!chunk.text.empty()) chunk.text += '\n';
      chunk.text += part;
    }
    // Mostly link text in several lines: a menu, an index or a table of contents, which names many topics and
    // answers none.
    if (parts_.size() >= kMinNavigationLines && link_bytes_ >= kNavigationLinkShare * static_cast<double>(size_)) {
      chunk.metadata[store::kNavigationKey] = true;
    }
    out_.push_back(std::move(chunk));
    parts_.clear();
    size_ = 0;
    link_bytes_ = 0;
  }

 private:
  static constexpr std::size_t kMinNavigationLines = 3;
  static constexpr double kNavigationLinkShare = 0.5;

  void append(std::string line, double link_share) {
    size_ += line.size() + 1;
    link_bytes_ += link_share * static_cast<double>(line.size());
    parts_.push_back(std::move(line));
  }

  void line_unit(std::string line, double link_share) {
    if (line.size() > options_.max_chars) {  // one huge block: its own chunks, split at sentences
      flush();
      for (auto& piece : split_long(line, options_.target_chars)) {
        append(std::move(piece), link_share);
        flush();
      }
      return;
    }
    if (!parts_.empty() && size_ + line.size() + 1 > options_.target_chars) flush();
    append(std::move(line), link_share);
  }

  std::string heading_path() const {
    std::string path;
    for (const auto& [level, text] : headings_) {
      if (path.empty() && text == doc_.title) continue;  // the title is already the chunk's title
      if (!path.empty()) path += " > ";
      path += text;
    }
    return path;
  }

  const ParsedDocument& doc_;
  const ChunkingOptions& options_;
  std::vector<DraftChunk>& out_;
  std::vector<std::pair<int, std::string>> headings_;
  std::vector<std::string> parts_;
  std::size_t size_ = 0;
  double link_bytes_ = 0;  // of parts_
};

}  // namespace

std::vector<DraftChunk> chunk_document(const ParsedDocument& document, const ChunkingOptions& options) {
  std::vector<DraftChunk> chunks;
  ChunkBuilder builder(document, options, chunks);
  const auto& blocks = document.blocks;
  for (std::size_t i = 0; i < blocks.size();) {
    if (blocks[i].kind == BlockKind::heading) {
      builder.heading(blocks[i++]);
      continue;
    }
    std::vector<const Block*> run{&blocks[i]};
    const bool groups = blocks[i].kind == BlockKind::list_item || blocks[i].kind == BlockKind::table_row;
    for (++i; groups && i < blocks.size() && blocks[i].kind == run.front()->kind; ++i) run.push_back(&blocks[i]);
    builder.unit(run);
  }
  builder.flush();
  for (const auto& pair : document.qa_pairs) {
    DraftChunk chunk;
    chunk.kind = store::ChunkKind::qa;
    chunk.title = pair.question;
    chunk.heading_path = metadata_category(pair.metadata);
    chunk.text = pair.answer;
    chunk.metadata = pair.metadata;
    chunks.push_back(std::move(chunk));
  }
  return chunks;
}

}  // namespace parley::ingest
