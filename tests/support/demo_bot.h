// A test fixture holding the demo bot (src/demo) in a fresh store (SQLite, or PostgreSQL in a test binary built
// for it: support/test_store.h), with the real retrieval and answer pipeline: for tests of what a visitor of the
// demo would get.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "chat/chat_service.h"
#include "demo/demo.h"
#include "support/temp_dir.h"
#include "support/test_store.h"

namespace parley::testing {

class DemoBot : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open_test_store(test_store_options(dir_));
    ASSERT_TRUE(db_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto created, tx.create_workspace("Demo"));
      workspace_ = created.id;
      return {};
    }).ok());
    auto demo_bot = demo::create_demo_bot(*db_, workspace_);
    ASSERT_TRUE(demo_bot.ok()) << demo_bot.error().message;
    bot_ = demo_bot->bot_id;
    chunks_ = demo_bot->chunks;
    chat_ = std::make_unique<chat::ChatService>(*db_, retriever_);
  }

  store::Scope scope() const { return store::Scope::workspace(workspace_); }

  chat::ComposedAnswer ask(std::string_view question) {
    auto answer = chat_->answer(scope(), bot_, question);
    EXPECT_TRUE(answer.ok()) << answer.error().message;
    return answer.ok() ? *answer : chat::ComposedAnswer{};
  }

  TempDir dir_;
  std::unique_ptr<store::Store> db_;
  std::string workspace_, bot_;
  std::size_t chunks_ = 0;
  search::Retriever retriever_;
  std::unique_ptr<chat::ChatService> chat_;
};

}  // namespace parley::testing
