#include "auth/api_keys.h"

#include "common/ids.h"

namespace parley::auth {
namespace {

constexpr std::string_view kKeyPrefix = "pk_";
constexpr std::size_t kIdChars = 8;
constexpr std::size_t kSecretChars = 32;
constexpr std::size_t kKeyLength = kKeyPrefix.size() + kIdChars + 1 + kSecretChars;

Error unauthorized() { return make_error(ErrorCode::unauthorized, "a valid API key is required"); }

}  // namespace

Result<IssuedKey> issue_api_key(store::WriteTx& tx, std::string_view workspace_id, std::string_view name,
                                store::Role role) {
  IssuedKey issued;
  const std::string id = random_token(5).substr(0, kIdChars);
  const std::string secret = random_token(20).substr(0, kSecretChars);
  issued.key = std::string(kKeyPrefix) + id + "_" + secret;
  store::ApiKey record;
  record.workspace_id = std::string(workspace_id);
  record.name = std::string(name);
  record.prefix = std::string(kKeyPrefix) + id;
  record.secret_hash = sha256_hex(issued.key);
  record.role = role;
  PARLEY_ASSIGN_OR_RETURN(issued.record, tx.create_api_key(record));
  return issued;
}

Result<Principal> authenticate_api_key(store::Store& store, std::string_view presented) {
  if (presented.size() != kKeyLength || !presented.starts_with(kKeyPrefix) ||
      presented[kKeyPrefix.size() + kIdChars] != '_') {
    return unauthorized();
  }
  const std::string_view prefix = presented.substr(0, kKeyPrefix.size() + kIdChars);
  std::optional<store::ApiKey> key;
  PARLEY_TRY(store.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(key, tx.api_key_by_prefix(prefix));
    return {};
  }));
  if (!key || key->revoked_at || !constant_time_equal(key->secret_hash, sha256_hex(presented))) return unauthorized();
  return Principal{key->workspace_id, key->role, key->id};
}

std::string_view bearer_token(std::string_view header) {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() > kBearer.size() && (header.starts_with(kBearer) || header.starts_with("bearer "))) {
    header.remove_prefix(kBearer.size());
  }
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  return header;
}

namespace {

int rank(store::Role role) {
  switch (role) {
    case store::Role::viewer: return 0;
    case store::Role::agent: return 1;
    case store::Role::admin: return 2;
    case store::Role::owner: return 3;
  }
  return 0;
}

}  // namespace

bool has_role(const Principal& principal, store::Role least) { return rank(principal.role) >= rank(least); }

}  // namespace parley::auth
