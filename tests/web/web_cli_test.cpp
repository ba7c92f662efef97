// The admin app's accounts from the command line, running the real `parley` binary on a real data folder:
// `init` prints the owner's sign-in once, `user add` and `user reset-password` print generated passwords, and only
// what they print signs in; `user set-role`, `user remove`, `key create` and `key revoke` change what they say, and
// every one of these changes is in the workspace's audit log.
#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "audit/audit.h"
#include "auth/sessions.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace parley {
namespace {

using ::testing::HasSubstr;

class WebCliTest : public ::testing::Test {
 protected:
  testing::ProcessResult parley(std::vector<std::string> args) {
    args.insert(args.begin(), {PARLEY_BINARY, "--data", dir_.file("data")});
    return testing::run_process(args);
  }
  bool signs_in(const std::string& email, const std::string& password) {
    auto store = std::move(store::open_store({dir_.file("data/parley.db")})).value();
    return auth::sign_in(*store, email, password).ok();
  }
  // The token of a new session, or "" when the password is wrong.
  std::string session_of(const std::string& email, const std::string& password) {
    auto store = std::move(store::open_store({dir_.file("data/parley.db")})).value();
    const auto signed_in = auth::sign_in(*store, email, password);
    return signed_in.ok() ? signed_in->token : "";
  }
  bool session_alive(const std::string& token) {
    auto store = std::move(store::open_store({dir_.file("data/parley.db")})).value();
    return auth::resume_session(*store, token).ok();
  }
  // The default workspace's audit log, checked as a chain.
  std::vector<store::AuditEntry> audit_log() {
    auto store = std::move(store::open_store({dir_.file("data/parley.db")})).value();
    std::vector<store::Workspace> workspaces;
    EXPECT_TRUE(store->read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(workspaces, tx.workspaces());
      return {};
    }).ok());
    std::vector<store::AuditEntry> entries;
    if (workspaces.size() != 1) {
      ADD_FAILURE() << workspaces.size() << " workspaces";
      return entries;
    }
    EXPECT_TRUE(store->read(store::Scope::workspace(workspaces[0].id), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(entries, tx.audit_entries(0, 1000));
      PARLEY_ASSIGN_OR_RETURN(const auto chain, audit::verify_log(tx));
      EXPECT_TRUE(chain.valid) << chain.problem;
      return {};
    }).ok());
    return entries;
  }
  testing::TempDir dir_;
};

TEST_F(WebCliTest, InitPrintsTheOwnersSignInOnce) {
  const auto init = parley({"init", "--admin-email", "Boss@Example.com"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  // Today's lines stay, and the sign-in follows them.
  EXPECT_THAT(init.out, HasSubstr("Admin API key: pk_"));
  std::smatch match;
  ASSERT_TRUE(std::regex_search(init.out, match, std::regex("Admin sign-in: (\\S+) / (\\S+)"))) << init.out;
  EXPECT_EQ(match[1], "Boss@Example.com");
  EXPECT_TRUE(signs_in("boss@example.com", match[2]));
  EXPECT_FALSE(signs_in("boss@example.com", "not the password"));
}

TEST_F(WebCliTest, UsersAreAddedAndTheirPasswordsReset) {
  ASSERT_EQ(parley({"init"}).exit_code, 0);
  const auto added = parley({"user", "add", "--email", "agent@example.com", "--role", "agent", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string first = nlohmann::json::parse(added.out)["password"];
  const std::string session = session_of("agent@example.com", first);
  ASSERT_FALSE(session.empty());
  ASSERT_TRUE(session_alive(session));
  const auto again = parley({"user", "add", "--email", "AGENT@example.com"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("exists"));
  EXPECT_EQ(parley({"user", "add", "--email", "x@example.com", "--role", "emperor"}).exit_code, 1);

  const auto reset = parley({"user", "reset-password", "--email", "agent@example.com", "--json"});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  const std::string second = nlohmann::json::parse(reset.out)["password"];
  EXPECT_NE(second, first);
  EXPECT_FALSE(signs_in("agent@example.com", first));
  EXPECT_TRUE(signs_in("agent@example.com", second));
  // The session opened with the old password ended with it.
  EXPECT_FALSE(session_alive(session));
  EXPECT_EQ(parley({"user", "reset-password", "--email", "nobody@example.com"}).exit_code, 1);
}

TEST_F(WebCliTest, AccountAndKeyChangesAreAudited) {
  ASSERT_EQ(parley({"init"}).exit_code, 0);
  const auto added = parley({"user", "add", "--email", "agent@example.com", "--role", "agent", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string password = nlohmann::json::parse(added.out)["password"];
  const auto promoted = parley({"user", "set-role", "--email", "Agent@Example.com", "--role", "admin"});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.err;
  EXPECT_EQ(parley({"user", "set-role", "--email", "agent@example.com", "--role", "emperor"}).exit_code, 1);
  EXPECT_EQ(parley({"user", "set-role", "--email", "nobody@example.com", "--role", "viewer"}).exit_code, 1);
  {
    auto store = std::move(store::open_store({dir_.file("data/parley.db")})).value();
    const auto signed_in = auth::sign_in(*store, "agent@example.com", password);
    ASSERT_TRUE(signed_in.ok());
    EXPECT_EQ(signed_in->user.role, store::Role::admin);
  }
  ASSERT_EQ(parley({"user", "reset-password", "--email", "agent@example.com"}).exit_code, 0);
  const auto key = parley({"key", "create", "--name", "deploy", "--role", "viewer", "--json"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  const std::string key_id = nlohmann::json::parse(key.out)["id"];
  ASSERT_EQ(parley({"key", "revoke", key_id}).exit_code, 0);
  const auto removed = parley({"user", "remove", "--email", "agent@example.com"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(parley({"user", "remove", "--email", "agent@example.com"}).exit_code, 1);
  EXPECT_FALSE(signs_in("agent@example.com", password));

  const auto entries = audit_log();
  std::vector<std::string> actions;
  for (const auto& entry : entries) actions.push_back(entry.action);
  EXPECT_THAT(actions, ::testing::ElementsAre("user.create", "user.role", "user.password_reset", "key.create",
                                              "key.revoke", "user.delete"));
  ASSERT_EQ(entries.size(), 6u);
  for (const auto& entry : entries) EXPECT_EQ(entry.actor, "cli");
  EXPECT_EQ(entries[0].after["role"], "agent");
  EXPECT_EQ(entries[1].before["role"], "agent");
  EXPECT_EQ(entries[1].after["role"], "admin");
  EXPECT_EQ(entries[3].target, key_id);
  EXPECT_EQ(entries[5].before["email"], "agent@example.com");
  EXPECT_TRUE(entries[5].after.is_null());
  for (const auto& entry : entries) {
    EXPECT_THAT(entry.after.dump() + entry.before.dump(), ::testing::Not(HasSubstr(password)));
    EXPECT_THAT(entry.after.dump() + entry.before.dump(), ::testing::Not(HasSubstr("argon2")));
  }
}

}  // namespace
}  // namespace parley
