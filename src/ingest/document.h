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
  double link_share = 0;  // share of the text that is link text (HTML): high in menus, indexes and tables of contents
};

struct QaPair {
  std::string question;
  std::string answer;
  nlohmann::json metadata = nlohmann::json::object();  // the other columns / fields of the row
};

// What an HTML page says about its place on the web, read in the same walk as its content; empty for other
// formats. The crawler resolves and filters the links.
struct PageLinks {
  std::vector<std::string> hrefs;  // <a href> / <area href> without rel="nofollow", as written
  std::string base_href;           // <base href>
  std::string canonical;           // <link rel="canonical" href>
  bool noindex = false;            // <meta name="robots" content="noindex">
  bool nofollow = false;           // <meta name="robots" content="nofollow">
  std::string language;            // <html lang>
};

struct ParsedDocument {
  std::string title;
  std::string content_type;  // the canonical type the loader read ("text/markdown", ...)
  std::vector<Block> blocks;
  std::vector<QaPair> qa_pairs;
  std::vector<std::string> warnings;  // recoverable problems (skipped rows, replaced bytes)
  PageLinks page;
};

}  // namespace parley::ingest
