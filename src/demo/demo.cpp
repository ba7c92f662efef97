#include "demo/demo.h"

#include "ingest/ingest.h"

namespace parley::demo {
namespace {

constexpr std::string_view kPageName = "demo-page.html";
constexpr std::string_view kBotIdPlaceholder = "{{BOT_ID}}";

}  // namespace

std::vector<EmbeddedFile> knowledge_files() {
  std::vector<EmbeddedFile> files;
  for (const auto& file : embedded_files()) {
    if (file.name != kPageName) files.push_back(file);
  }
  return files;
}

std::string demo_page(std::string_view bot_id) {
  for (const auto& file : embedded_files()) {
    if (file.name != kPageName) continue;
    std::string page(file.bytes);
    for (auto at = page.find(kBotIdPlaceholder); at != std::string::npos; at = page.find(kBotIdPlaceholder, at)) {
      page.replace(at, kBotIdPlaceholder.size(), bot_id);
    }
    return page;
  }
  return {};
}

Result<DemoBot> create_demo_bot(store::Store& store, const std::string& workspace_id) {
  const auto scope = store::Scope::workspace(workspace_id);
  DemoBot demo;
  PARLEY_TRY(store.write(scope, [&](store::WriteTx& tx) -> Status {
    const store::Json settings = {
        {"language", "en"},
        {"greeting", "Hi! I'm the Northwind Bikes assistant. Ask me about orders, shipping, returns, repairs or our e-bikes."},
        {"fallback_message",
         "I'm sorry, I couldn't find that in the Northwind Bikes help centre. Would you like me to connect you with "
         "someone from our support team? You can also call 1-800-555-0199."},
        {"handoff", {{"enabled", true}}},
        // Visitors ask "how long does delivery take?" of pages that say when orders "ship" and "arrive".
        {"synonyms", {{"delivery", "shipping", "arrive"}}},
    };
    PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot("Northwind Bikes", settings));
    demo.bot_id = bot.id;
    return {};
  }));
  std::vector<ingest::FileUpload> uploads;
  for (const auto& file : knowledge_files()) uploads.push_back({demo.bot_id, std::string(file.name), "", file.bytes});
  PARLEY_ASSIGN_OR_RETURN(auto outcomes, ingest::add_files(store, scope, uploads));
  for (auto& outcome : outcomes) {
    if (!outcome.ok()) return outcome.error();  // the demo content is ours: any failure is a bug
    ++demo.documents;
    demo.chunks += outcome->chunk_count;
  }
  return demo;
}

}  // namespace parley::demo
