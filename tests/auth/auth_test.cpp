// Passwords, sign-in sessions and visitor tokens against a real SQLite store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

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

// A password change ends the account's other sessions (the one that made it stays signed in); a reset ends them
// all. Both audited with the number of sessions ended.
TEST_F(SessionTest, ChangingThePasswordEndsTheOtherSessions) {
  const auto laptop = sign_in(*store_, "owner@example.com", "a long enough password");
  const auto phone = sign_in(*store_, "owner@example.com", "a long enough password");
  const auto stolen = sign_in(*store_, "owner@example.com", "a long enough password");
  ASSERT_TRUE(laptop.ok() && phone.ok() && stolen.ok());
  const auto at_laptop = resume_session(*store_, laptop->token);
  ASSERT_TRUE(at_laptop.ok());
  EXPECT_EQ(change_password(*store_, *at_laptop, "not the password!", "a brand new password").error().code,
            ErrorCode::unauthorized);
  EXPECT_TRUE(resume_session(*store_, phone->token).ok());  // a wrong current password changes nothing

  ASSERT_TRUE(change_password(*store_, *at_laptop, "a long enough password", "a brand new password").ok());
  EXPECT_TRUE(resume_session(*store_, laptop->token).ok());
  EXPECT_EQ(resume_session(*store_, phone->token).error().code, ErrorCode::unauthorized);
  EXPECT_EQ(resume_session(*store_, stolen->token).error().code, ErrorCode::unauthorized);
  EXPECT_FALSE(sign_in(*store_, "owner@example.com", "a long enough password").ok());
  const auto again = sign_in(*store_, "owner@example.com", "a brand new password");
  ASSERT_TRUE(again.ok());

  // A reset (by an owner or the command line) ends every session, the changer's too.
  ASSERT_TRUE(store_->write(store::Scope::workspace(user_.workspace_id), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto hash, hash_password("a password set by the owner"));
    return replace_password(tx, user_, hash, {"cli", {}});
  }).ok());
  EXPECT_EQ(resume_session(*store_, laptop->token).error().code, ErrorCode::unauthorized);
  EXPECT_EQ(resume_session(*store_, again->token).error().code, ErrorCode::unauthorized);

  std::vector<store::AuditEntry> entries;
  ASSERT_TRUE(store_->read(store::Scope::workspace(user_.workspace_id), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(entries, tx.audit_entries(0, 100));
    return {};
  }).ok());
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].action, "user.password_change");
  EXPECT_EQ(entries[0].actor, "user:" + user_.id);
  EXPECT_EQ(entries[0].after["sessions_ended"], 2);
  EXPECT_EQ(entries[1].action, "user.password_reset");
  EXPECT_EQ(entries[1].actor, "cli");
  EXPECT_EQ(entries[1].after["sessions_ended"], 2);
  EXPECT_EQ(entries[1].after.dump().find("$argon2"), std::string::npos);
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

TEST_F(SessionTest, VisitorTokensExpireUnlessRenewed) {
  const auto tokens = VisitorTokens::load(*store_, std::chrono::hours(24));
  ASSERT_TRUE(tokens.ok());
  const auto now = VisitorTokens::Clock::now();
  const std::string token = tokens->issue("bot_a", "conv_1", now);
  EXPECT_EQ(tokens->verify("bot_a", token, now + std::chrono::hours(23)).value(), "conv_1");
  // A day later it has expired: still genuine (check() says whose it was), no longer accepted.
  const auto later = now + std::chrono::hours(25);
  const auto expired = tokens->verify("bot_a", token, later);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::unauthorized);
  EXPECT_THAT(expired.error().message, ::testing::HasSubstr("expired"));
  const auto grant = tokens->check("bot_a", token, later);
  ASSERT_TRUE(grant.ok());
  EXPECT_TRUE(grant->expired);
  EXPECT_EQ(grant->conversation_id, "conv_1");
  // Renewed with each answer: a token issued later lives a day from then.
  const std::string renewed = tokens->issue("bot_a", "conv_1", now + std::chrono::hours(20));
  EXPECT_EQ(tokens->verify("bot_a", renewed, later).value(), "conv_1");
  // The expiry is signed: pushing it forward breaks the token.
  const std::size_t first_dot = token.find('.');
  const std::size_t second_dot = token.find('.', first_dot + 1);
  const std::string pushed = token.substr(0, first_dot + 1) + "99999999999" + token.substr(second_dot);
  EXPECT_FALSE(tokens->check("bot_a", pushed, now).ok());
  // Tokens from before expiries existed ("<conversation>.<MAC>", signed the old way under the same key) are genuine
  // and expired; a forged one is not genuine.
  std::string hex_key;
  ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(hex_key, tx.instance_secret("visitor_token_key", "unused"));
    return {};
  }).ok());
  unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
  ASSERT_EQ(sodium_hex2bin(key, sizeof key, hex_key.data(), hex_key.size(), nullptr, nullptr, nullptr), 0);
  const std::string message = "parley-visitor-v1\nbot_a\nconv_1";
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(message.data()), message.size(), key);
  char encoded[sodium_base64_ENCODED_LEN(sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  const auto legacy = tokens->check("bot_a", std::string("conv_1.") + encoded, now);
  ASSERT_TRUE(legacy.ok());
  EXPECT_TRUE(legacy->expired);
  EXPECT_EQ(legacy->conversation_id, "conv_1");
  EXPECT_FALSE(tokens->check("bot_a", "conv_1.not-a-mac", now).ok());
}

}  // namespace
}  // namespace parley::auth
