// The admin app's accounts from the command line, running the real `parley` binary on a real data folder:
// `init` prints the owner's sign-in once, `user add` and `user reset-password` print generated passwords, and only
// what they print signs in.
#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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
  EXPECT_TRUE(signs_in("agent@example.com", first));
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
  EXPECT_EQ(parley({"user", "reset-password", "--email", "nobody@example.com"}).exit_code, 1);
}

}  // namespace
}  // namespace parley
