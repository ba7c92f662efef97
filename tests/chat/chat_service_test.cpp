// ChatService with a real model: the built-in engine running a tiny GGUF model from ../shared/models.
#include "chat/chat_service.h"

#include <gtest/gtest.h>

#include <atomic>

#include "ingest/ingest.h"
#include "support/engine_registry.h"
#include "support/temp_dir.h"

namespace parley::chat {
namespace {

using parley::testing::engine_registry;

constexpr std::string_view kGuide =
    "# Returns policy\n\n## Time limit\n\nReturns are accepted within 30 days of delivery. Items must be unused and "
    "in their original packaging.\n";

// The model's threads end a generative turn; destroying the service while one runs must cancel it and wait until
// it has been recorded and reported, not leave the engine to call into a destroyed service.
TEST(ChatServiceLifetime, DestroyingTheServiceCancelsAndWaitsForRunningGenerativeTurns) {
  parley::testing::TempDir dir;
  auto store = std::move(store::open_store({dir.file("parley.db")})).value();
  std::string workspace, bot;
  ASSERT_TRUE(store->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_workspace("W"));
    workspace = created.id;
    return {};
  }).ok());
  const auto scope = store::Scope::workspace(workspace);
  ASSERT_TRUE(store->write(scope, [&](store::WriteTx& tx) -> Status {
    const store::Json settings = {{"language", "en"},
                                  {"routing", {{"mode", "local-only"}, {"local", "local"}, {"max_tokens", 900}}}};
    PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_bot("Shop", settings));
    bot = created.id;
    return {};
  }).ok());
  ASSERT_TRUE(ingest::add_file(*store, scope, {bot, "returns.md", "", kGuide}).ok());

  std::atomic<int> reported{0};
  {
    search::Retriever retriever;
    ChatService service(*store, retriever, engine_registry());
    ChatRequest request;
    request.bot_id = bot;
    request.message = "How long do I have to return an item?";
    ChatEvents events;
    events.on_delta = [](std::string_view) {};
    events.on_reset = [] {};
    events.on_done = [&](Result<ChatReply> reply) {
      EXPECT_TRUE(reply.ok()) << reply.error().message;
      ++reported;
    };
    // Returns as soon as the model has the turn; the service goes away while the model works on it.
    service.ask_stream(scope, request, std::move(events));
    EXPECT_EQ(reported.load(), 0);
  }
  EXPECT_EQ(reported.load(), 1);
  // The turn was recorded before the service went away.
  ASSERT_TRUE(store->read(scope, [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto conversations, tx.conversations(bot, {}));
    EXPECT_EQ(conversations.size(), 1u);
    return {};
  }).ok());
}

}  // namespace
}  // namespace parley::chat
