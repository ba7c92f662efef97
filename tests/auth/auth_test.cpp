// Passwords, sign-in sessions and visitor tokens against a real SQLite store.
#include <gtest/gtest.h>

#include "auth/passwords.h"
#include "auth/sessions.h"
#include "auth/visitor_tokens.h"
#include "common/ids.h"
#include "support/temp_dir.h"

namespace parley::auth {
namespace {

TEST(Passwords, HashesWithArgon2idAndVerifies) {
  const auto hash = hash_password("correct horse battery");
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hash->starts_with("$argon2id$"));
  EXPECT_EQ(hash->find("correct horse"), std::string::npos);
  EXPECT_TRUE(verify_password("correct horse battery", *hash));
  EXPECT_FALSE(verify_password("correct horse batterY", *hash));
  EXPECT_FALSE(verify_password("correct horse battery", ""));
  EXPECT_FALSE(verify_password("correct horse battery", "not a hash"));
  // Salted: the same password hashes differently each time.
  EXPECT_NE(*hash, hash_password("correct horse battery").value());
}

TEST(Passwords, RefusesShortAndHugePasswords) {
  EXPECT_EQ(hash_password("short").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(hash_password(std::string(kMaxPasswordBytes + 1, 'x')).error().code, ErrorCode::invalid_request);
  EXPECT_EQ(generate_password().size(), 24u);
  EXPECT_NE(generate_password(), generate_password());
}

TEST(Cookies, FindsTheNamedCookie) {
  EXPECT_EQ(cookie_value("a=1; parley_session=abc; b=2", "parley_session"), "abc");
  EXPECT_EQ(cookie_value("parley_session=xyz", "parley_session"), "xyz");
  EXPECT_EQ(cookie_value("not_parley_session=1", "parley_session"), "");
  EXPECT_EQ(cookie_value("", "parley_session"), "");
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_store({dir_.file("parley.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("A"));
      store::User user;
      user.workspace_id = workspace.id;
      user.email = "Owner@Example.com";
      user.role = store::Role::owner;
      PARLEY_ASSIGN_OR_RETURN(user.password_hash, hash_password("a long enough password"));
      PARLEY_ASSIGN_OR_RETURN(user_, tx.create_user(user));
      return {};
    }).ok());
  }
  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  store::User user_;
};

TEST_F(SessionTest, SignInOpensASessionThatSignOutCloses) {
  EXPECT_EQ(user_.email, "owner@example.com");
  EXPECT_EQ(sign_in(*store_, "owner@example.com", "wrong password!!").error().code, ErrorCode::unauthorized);
  EXPECT_EQ(sign_in(*store_, "nobody@example.com", "a long enough password").error().code, ErrorCode::unauthorized);
  const auto signed_in = sign_in(*store_, "OWNER@example.com", "a long enough password");
  ASSERT_TRUE(signed_in.ok()) << signed_in.error().message;
  // Only the token's hash is stored.
  EXPECT_NE(signed_in->session.id, signed_in->token);
  const auto resumed = resume_session(*store_, signed_in->token);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(session_principal(*resumed).workspace_id, user_.workspace_id);
  EXPECT_EQ(session_principal(*resumed).role, store::Role::owner);
  EXPECT_FALSE(resume_session(*store_, signed_in->session.id).ok());  // the stored hash is no token
  ASSERT_TRUE(sign_out(*store_, signed_in->token).ok());
  EXPECT_EQ(resume_session(*store_, signed_in->token).error().code, ErrorCode::unauthorized);
}

TEST_F(SessionTest, ExpiredSessionsAreRefused) {
  store::Session expired;
  expired.id = sha256_hex("old-token");
  expired.workspace_id = user_.workspace_id;
  expired.user_id = user_.id;
  expired.expires_at = 1;
  ASSERT_TRUE(store_->write(store::Scope::workspace(user_.workspace_id), [&](store::WriteTx& tx) -> Status {
    PARLEY_TRY(tx.create_session(expired));
    return {};
  }).ok());
  EXPECT_EQ(resume_session(*store_, "old-token").error().code, ErrorCode::unauthorized);
}

TEST_F(SessionTest, VisitorTokensBindBotAndConversation) {
  const auto tokens = VisitorTokens::load(*store_);
  ASSERT_TRUE(tokens.ok());
  const std::string token = tokens->issue("bot_a", "conv_1");
  EXPECT_EQ(tokens->verify("bot_a", token).value(), "conv_1");
  EXPECT_FALSE(tokens->verify("bot_b", token).ok());
  std::string tampered = token;
  tampered.replace(0, 6, "conv_2");
  EXPECT_FALSE(tokens->verify("bot_a", tampered).ok());
  EXPECT_FALSE(tokens->verify("bot_a", "conv_1").ok());
  EXPECT_FALSE(tokens->verify("bot_a", "").ok());
  // The key is the instance's: loading again (another process, a restart) accepts the same tokens.
  EXPECT_EQ(VisitorTokens::load(*store_)->verify("bot_a", token).value(), "conv_1");
}

}  // namespace
}  // namespace parley::auth
