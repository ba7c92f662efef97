// API keys: "pk_<8 id chars>_<32 secret chars>". Only the SHA-256 of the whole key is stored; the key is shown
// once when created. A presented key is found by its public prefix and compared in constant time.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "store/store.h"

namespace parley::auth {

struct Principal {
  std::string workspace_id;
  store::Role role = store::Role::viewer;
  std::string key_id;   // set when the request presented an API key
  std::string user_id = {};  // set when the request came from a signed-in user's session
};

// Roles from least to most powerful: viewer < agent < admin < owner. Each may do whatever the roles below it may.
bool has_role(const Principal& principal, store::Role least);

struct IssuedKey {
  std::string key;  // the secret: print or return once, never store
  store::ApiKey record;
};

// Creates a key in the transaction's workspace.
Result<IssuedKey> issue_api_key(store::WriteTx& tx, std::string_view workspace_id, std::string_view name,
                                store::Role role);

// The principal of a presented key, or `unauthorized` (unknown, malformed, revoked or wrong secret: one message,
// so a caller learns nothing about which).
Result<Principal> authenticate_api_key(store::Store& store, std::string_view presented);

// The key in an "Authorization: Bearer <key>" or "X-API-Key: <key>" header value; empty when absent.
std::string_view bearer_token(std::string_view authorization_header);

}  // namespace parley::auth
