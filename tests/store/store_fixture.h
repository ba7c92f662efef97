// The store test fixture: two workspaces and a bot, on the backend the binary is built for (support/test_store.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/store.h"
#include "support/temp_dir.h"
#include "support/test_store.h"

namespace parley::store {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = parley::testing::test_store_options(dir_);
    store_ = parley::testing::open_test_store(options_);
    ASSERT_TRUE(store_->write(Scope::system(), [&](WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto a, tx.create_workspace("A"));
      PARLEY_ASSIGN_OR_RETURN(auto b, tx.create_workspace("B"));
      workspace_a_ = a.id;
      workspace_b_ = b.id;
      return {};
    }).ok());
    bot_ = create_bot(workspace_a_, "Support");
  }

  std::string create_bot(const std::string& workspace, const std::string& name) {
    std::string id;
    EXPECT_TRUE(store_->write(Scope::workspace(workspace), [&](WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot(name, Json{{"language", "en"}}));
      id = bot.id;
      return {};
    }).ok());
    return id;
  }

  static NewChunk chunk(int ordinal, const std::string& title, const std::string& body, ChunkKind kind = ChunkKind::passage) {
    NewChunk c;
    c.chunk.ordinal = ordinal;
    c.chunk.kind = kind;
    c.chunk.title = title;
    c.chunk.text = body;
    c.terms = {title, "", body};  // already "analysed" for these tests: lower-case words
    return c;
  }

  // Adds a source with one document; returns {source id, document id}.
  std::pair<std::string, std::string> add_document(const std::string& bot, const std::string& name,
                                                   const std::vector<NewChunk>& chunks) {
    std::pair<std::string, std::string> ids;
    const auto status = store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto existing, tx.source_by_name(bot, name));
      std::string source_id;
      if (existing) {
        source_id = existing->id;
      } else {
        PARLEY_ASSIGN_OR_RETURN(auto source, tx.create_source(bot, SourceKind::file, name));
        source_id = source.id;
      }
      Document doc;
      doc.bot_id = bot;
      doc.source_id = source_id;
      doc.uri = name;
      doc.title = name;
      PARLEY_ASSIGN_OR_RETURN(auto stored, tx.put_document(doc, chunks));
      ids = {source_id, stored.id};
      return {};
    });
    EXPECT_TRUE(status.ok()) << status.error().message;
    return ids;
  }

  std::vector<std::int64_t> search(const std::string& workspace, const std::string& bot,
                                   std::vector<std::string> terms, ChunkQuery query = {}) {
    query.terms = std::move(terms);
    std::vector<std::int64_t> ids;
    EXPECT_TRUE(store_->read(Scope::workspace(workspace), [&](ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto hits, tx.search_chunks(bot, query));
      for (const auto& hit : hits.hits) ids.push_back(hit.chunk_id);
      return {};
    }).ok());
    return ids;
  }

  std::vector<std::string> titles(const std::string& bot, const std::vector<std::int64_t>& ids) {
    std::vector<std::string> out;
    EXPECT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto chunks, tx.chunks(bot, ids));
      for (const auto& c : chunks) out.push_back(c.title);
      return {};
    }).ok());
    return out;
  }

  // A conversation of `bot` in workspace A with `turns` questions and answers; returns its id.
  std::string add_conversation(const std::string& bot, int turns, const std::string& question = "Where is my order?") {
    std::string id;
    const auto status = store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto conversation, tx.create_conversation(bot));
      id = conversation.id;
      Message message;
      message.conversation_id = id;
      for (int i = 0; i < turns; ++i) {
        message.role = "user";
        message.text = question;
        PARLEY_TRY(tx.append_message(message));
        message.role = "assistant";
        message.text = "It ships today.";
        PARLEY_TRY(tx.append_message(message));
      }
      return {};
    });
    EXPECT_TRUE(status.ok()) << status.error().message;
    return id;
  }

  // A lead of `bot` in workspace A left in `conversation` (may be empty); returns its id.
  std::string add_lead(const std::string& bot, const std::string& email, const std::string& conversation = "") {
    std::string id;
    const auto status = store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
      Lead lead;
      lead.bot_id = bot;
      lead.name = "Jo";
      lead.email = email;
      lead.conversation_id = conversation;
      PARLEY_ASSIGN_OR_RETURN(const auto stored, tx.create_lead(lead));
      id = stored.id;
      if (conversation.empty()) return {};
      PARLEY_ASSIGN_OR_RETURN(auto tied, tx.conversation(bot, conversation));
      tied->lead_id = id;
      return tx.update_conversation_support(*tied);
    });
    EXPECT_TRUE(status.ok()) << status.error().message;
    return id;
  }

  parley::testing::TempDir dir_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
  std::string workspace_a_, workspace_b_, bot_;
};

}  // namespace parley::store
