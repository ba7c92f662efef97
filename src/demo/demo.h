// The demo workspace: a bot for the fictional bike shop Northwind Bikes, loaded with its help centre (a few dozen
// pages and two FAQ files written for Parley), and the page that chats with it.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "store/store.h"

namespace parley::demo {

struct EmbeddedFile {
  std::string_view name;
  std::string_view bytes;
};

// Every embedded file: the knowledge base and demo-page.html.
std::span<const EmbeddedFile> embedded_files();

// The knowledge-base files only.
std::vector<EmbeddedFile> knowledge_files();

// The demo chat page, with the bot id filled in.
std::string demo_page(std::string_view bot_id);

struct DemoBot {
  std::string bot_id;
  std::size_t documents = 0;
  std::size_t chunks = 0;
};

// Creates the demo bot in `workspace_id` and ingests the knowledge base.
Result<DemoBot> create_demo_bot(store::Store& store, const std::string& workspace_id);

}  // namespace parley::demo
