#include <gtest/gtest.h>

#include <sqlite3.h>

#include "audit/audit.h"
#include "support/temp_dir.h"

namespace parley::audit {
namespace {

class AuditLog : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto a, tx.create_workspace("A"));
      PARLEY_ASSIGN_OR_RETURN(auto b, tx.create_workspace("B"));
      a_ = a.id;
      b_ = b.id;
      return {};
    }).ok());
  }
  void add(const std::string& workspace, const std::string& action, store::Json after) {
    ASSERT_TRUE(store_->write(store::Scope::workspace(workspace), [&](store::WriteTx& tx) {
      return record(tx, workspace, {"key:k1", action, "bot_1", nullptr, std::move(after)});
    }).ok());
  }
  std::vector<store::AuditEntry> entries(const std::string& workspace) {
    std::vector<store::AuditEntry> out;
    EXPECT_TRUE(store_->read(store::Scope::workspace(workspace), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(out, tx.audit_entries(0, 1000));
      return {};
    }).ok());
    return out;
  }
  int exec(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(dir_.file("parley.db").c_str(), &db);
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return rc;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::string a_, b_;
};

TEST_F(AuditLog, ChainsEntriesPerWorkspace) {
  add(a_, "bot.create", {{"name", "one"}});
  add(a_, "bot.update", {{"name", "two"}});
  add(b_, "bot.create", {{"name", "theirs"}});
  const auto a = entries(a_);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].seq, 1);
  EXPECT_EQ(a[0].prev_hash, "");
  EXPECT_EQ(a[1].prev_hash, a[0].hash);
  EXPECT_EQ(a[1].after["name"], "two");
  EXPECT_EQ(a[1].actor, "key:k1");
  EXPECT_TRUE(verify(a).valid);
  EXPECT_EQ(verify(a).checked, 2);
  // Workspace B's log is its own: its own seq 1, nothing of A's.
  const auto b = entries(b_);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].seq, 1);
  EXPECT_EQ(b[0].after["name"], "theirs");
  ASSERT_TRUE(store_->read(store::Scope::workspace(a_), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto check, verify_log(tx));
    EXPECT_TRUE(check.valid);
    EXPECT_EQ(check.checked, 2);
    return {};
  }).ok());
}

TEST_F(AuditLog, DetectsChangedRemovedOrReorderedEntries) {
  for (int i = 0; i < 4; ++i) add(a_, "bot.update", {{"n", i}});
  const auto original = entries(a_);
  auto changed = original;
  changed[1].after["n"] = 99;
  EXPECT_FALSE(verify(changed).valid);
  EXPECT_EQ(verify(changed).first_bad_seq, 2);
  auto removed = original;
  removed.erase(removed.begin() + 2);
  EXPECT_FALSE(verify(removed).valid);
  auto reordered = original;
  std::swap(reordered[1], reordered[2]);
  EXPECT_FALSE(verify(reordered).valid);
  // Re-hashing a changed entry does not help: the next entry's prev_hash no longer matches.
  auto rehashed = original;
  rehashed[1].actor = "key:someone-else";
  rehashed[1].hash = entry_hash(rehashed[1]);
  EXPECT_FALSE(verify(rehashed).valid);
  EXPECT_EQ(verify(rehashed).first_bad_seq, 3);
}

TEST_F(AuditLog, TheTableRefusesUpdatesAndDeletes) {
  add(a_, "bot.create", {{"name", "one"}});
  store_.reset();
  EXPECT_NE(exec("UPDATE audit_log SET actor = 'nobody'"), SQLITE_OK);
  EXPECT_NE(exec("DELETE FROM audit_log"), SQLITE_OK);
  store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
  EXPECT_EQ(entries(a_).at(0).actor, "key:k1");
}

TEST_F(AuditLog, OnlyTheTransactionsWorkspaceMayAppend) {
  const auto status = store_->write(store::Scope::workspace(a_), [&](store::WriteTx& tx) {
    return record(tx, b_, {"key:k1", "bot.create", "bot_x", nullptr, nullptr});
  });
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(entries(b_).empty());
}

}  // namespace
}  // namespace parley::audit
