// What a loader makes of one file or page: its title and a flat sequence of structural blocks, or Q&A pairs.
// Chunking works on this structure, whatever the original format was.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace parley::ingest {

enum class BlockKind { heading, paragraph, list_item, table_row, code, quote };

struct Block {
  BlockKind kind = BlockKind::paragraph;
  int level = 0;  // heading level 1..6; list nesting depth (1 = top) for list items
  std::string text;
};

struct QaPair {
  std::string question;
  std::string answer;
  nlohmann::json metadata = nlohmann::json::object();  // the other columns / fields of the row
};

struct ParsedDocument {
  std::string title;
  std::string content_type;  // the canonical type the loader read ("text/markdown", ...)
  std::vector<Block> blocks;
  std::vector<QaPair> qa_pairs;
  std::vector<std::string> warnings;  // recoverable problems (skipped rows, replaced bytes)
};

}  // namespace parley::ingest
