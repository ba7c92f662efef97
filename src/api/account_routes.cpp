// The workspace's team and the signed-in person's own account (auth/accounts.h).
//
// Owners only (Role::owner):
//   GET    /api/v1/users                          the accounts (never a password hash)
//   POST   /api/v1/users                          {email, role, name?, invite: true|false}: an invitation (a one-time
//                                                 link, emailed when [smtp] is set, and returned to show) or an
//                                                 account with a generated password (returned once)
//   PATCH  /api/v1/users/{user_id}                {role?, name?}
//   DELETE /api/v1/users/{user_id}
//   POST   /api/v1/users/{user_id}/password       {link: true|false}: a reset link, or a generated password
//   GET    /api/v1/keys, POST /api/v1/keys {name, role} (the key returned once), DELETE /api/v1/keys/{key_id}
// A signed-in person (Role::viewer and up; the password needs a session, not an API key):
//   PATCH  /api/v1/auth/me {name}                 the name agents are shown by to visitors and in the inbox
//   POST   /api/v1/auth/password {current_password, new_password}
// Anyone holding a link (public; same-origin pages only):
//   POST   /api/v1/auth/link {token}              whose link it is: {email, name, purpose}
//   POST   /api/v1/auth/link/redeem {token, password, name?}   sets the password and signs in
// Refusals name the field they are about (`error.field`), so the admin app shows them next to it.
#include <algorithm>

#include "api/handlers.h"
#include "api/origins.h"
#include "audit/audit.h"
#include "auth/accounts.h"
#include "auth/passwords.h"
#include "auth/sessions.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/utf8.h"
#include "notify/email.h"
#include "notify/events.h"
#include "notify/outbox.h"

namespace parley::api {
namespace {

constexpr std::size_t kMaxNameBytes = 80;
constexpr std::size_t kMaxKeyNameBytes = 100;

Result<std::string> optional_text(const Json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return make_error(ErrorCode::invalid_request, "this must be text");
  return trim(it->get<std::string>());
}

Status check_name(const std::string& name) {
  if (name.size() > kMaxNameBytes) return make_error(ErrorCode::invalid_request, "the name is too long (80 characters at most)");
  if (!is_valid_utf8(name)) return make_error(ErrorCode::invalid_request, "the name has characters that cannot be read");
  return {};
}

Result<store::Role> role_field(const Json& body) {
  const auto it = body.find("role");
  if (it == body.end() || !it->is_string()) return make_error(ErrorCode::invalid_request, "choose a role");
  const auto role = store::parse_role(it->get<std::string>());
  if (!role) return make_error(ErrorCode::invalid_request, "choose owner, admin, agent or viewer");
  return *role;
}

// The admin app's address as the owner's browser sees it (the request is same-origin or carries a key): where the
// link of an invitation or reset points.
std::string app_address(const http::Request& request) {
  const std::string_view origin = request.header("Origin");
  if (!origin.empty()) return std::string(origin);
  const std::string scheme = request.header("X-Forwarded-Proto") == "https" ? "https" : "http";
  return scheme + "://" + std::string(request.header("Host"));
}

std::string link_address(const http::Request& request, const std::string& token) {
  return app_address(request) + "/admin#/account/link/" + token;
}

std::string display_name(const store::User& user) { return user.name.empty() ? user.email : user.name; }

// The link's email, queued in the same transaction when the server can send mail; returns whether it was.
Result<bool> email_link(ApiContext& context, store::WriteTx& tx, const store::User& user, const std::string& link,
                        auth::LinkPurpose purpose, const std::string& invited_by) {
  if (!context.options().email_configured) return false;
  notify::Event event;
  event.id = "evt_" + random_token(12);
  event.type = std::string(notify::event_type::account_link);
  event.workspace_id = user.workspace_id;
  event.created_at = unix_millis();
  event.data = {{"purpose", std::string(auth::link_purpose_name(purpose))},
                {"link", link},
                {"email", user.email},
                {"invited_by", invited_by}};
  PARLEY_ASSIGN_OR_RETURN(const int queued, notify::enqueue(tx, event, {user.email}));
  return queued > 0;
}

Result<store::User> principal_user(ApiContext& context, const auth::Principal& who) {
  if (who.user_id.empty()) return make_error(ErrorCode::invalid_request, "an API key has no account; sign in to the admin app");
  std::optional<store::User> user;
  PARLEY_TRY(context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(user, tx.user(who.user_id));
    return {};
  }));
  if (!user) return make_error(ErrorCode::not_found, "no such account");
  return *user;
}

// Owners may not leave the workspace without one: the last owner cannot be removed or given another role.
Status keep_an_owner(store::ReadTx& tx, const store::User& target) {
  if (target.role != store::Role::owner || target.password_hash.empty()) return {};  // an invited owner is not one yet
  PARLEY_ASSIGN_OR_RETURN(const auto everyone, tx.users());
  const auto owners = std::count_if(everyone.begin(), everyone.end(), [](const store::User& user) {
    return user.role == store::Role::owner && !user.password_hash.empty();
  });
  if (owners <= 1) return make_error(ErrorCode::conflict, "the workspace needs an owner: make someone else an owner first");
  return {};
}

Json with_name(Json view, const store::User& user) {
  view["display_name"] = display_name(user);
  return view;
}

void register_team_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/users", admin(context, store::Role::owner, [&context](http::Request&, const auth::Principal& who) {
    Json users = Json::array();
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto rows, tx.users());
      for (const auto& user : rows) users.push_back(with_name(user_view(user), user));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"users", users}, {"email_configured", context.options().email_configured}});
  }));

  router.add("POST", "/api/v1/users", admin(context, store::Role::owner, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    const auto email_field = body.find("email");
    if (email_field == body.end() || !email_field->is_string() || trim(email_field->get<std::string>()).empty()) {
      return field_error("email", ErrorCode::invalid_request, "enter the person's email address");
    }
    const auto email = notify::normalize_email(email_field->get<std::string>());
    if (!email.ok()) return field_error("email", email.error());
    const auto role = role_field(body);
    if (!role.ok()) return field_error("role", role.error());
    const auto name = optional_text(body, "name");
    if (!name.ok()) return field_error("name", name.error());
    if (const auto valid = check_name(*name); !valid.ok()) return field_error("name", valid.error());
    const bool invite = body.value("invite", true);

    store::User record;
    record.workspace_id = who.workspace_id;
    record.email = *email;
    record.name = *name;
    record.role = *role;
    std::string password;
    if (!invite) {
      password = auth::generate_password();
      PARLEY_RESPOND_ON_ERROR(record.password_hash, auth::hash_password(password));
    }
    // Emails are unique across the instance (a sign-in finds its workspace by the email alone).
    std::optional<store::User> existing;
    const auto looked = context.store().read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(existing, tx.user_by_email(record.email));
      return {};
    });
    if (!looked.ok()) return http::error_response(looked.error());
    if (existing) return field_error("email", ErrorCode::conflict, "someone with this email address already has an account");
    std::optional<store::User> created;
    std::string link;
    bool emailed = false;
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(created, tx.create_user(record));
      if (invite) {
        PARLEY_ASSIGN_OR_RETURN(const std::string token, auth::issue_account_link(tx, *created, auth::LinkPurpose::invite));
        link = link_address(request, token);
        std::string inviter = "The owner";
        if (!who.user_id.empty()) {
          PARLEY_ASSIGN_OR_RETURN(const auto me, tx.user(who.user_id));
          if (me) inviter = display_name(*me);
        }
        PARLEY_ASSIGN_OR_RETURN(emailed, email_link(context, tx, *created, link, auth::LinkPurpose::invite, inviter));
      }
      return audit::record(tx, who.workspace_id,
                           {actor_of(who), invite ? "user.invite" : "user.create", created->id, nullptr, user_view(*created)});
    });
    if (!status.ok()) return http::error_response(status.error());
    if (emailed) context.notification_queued();
    Json out = {{"user", with_name(user_view(*created), *created)}};
    if (invite) {
      out["link"] = link;
      out["emailed"] = emailed;
    } else {
      out["password"] = password;
    }
    http::Response response = http::json_response(201, out);
    response.headers["Cache-Control"] = "no-store";
    return response;
  }));

  router.add("PATCH", "/api/v1/users/{user_id}", admin(context, store::Role::owner, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    std::optional<store::Role> role;
    if (body.contains("role")) {
      const auto parsed = role_field(body);
      if (!parsed.ok()) return field_error("role", parsed.error());
      role = *parsed;
    }
    std::optional<std::string> name;
    if (body.contains("name")) {
      const auto parsed = optional_text(body, "name");
      if (!parsed.ok()) return field_error("name", parsed.error());
      if (const auto valid = check_name(*parsed); !valid.ok()) return field_error("name", valid.error());
      name = *parsed;
    }
    std::optional<store::User> updated;
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto user, tx.user(request.params["user_id"]));
      if (!user) return make_error(ErrorCode::not_found, "no such account");
      const Json before = user_view(*user);
      if (role && *role != user->role) {
        if (*role != store::Role::owner) PARLEY_TRY(keep_an_owner(tx, *user));
        PARLEY_TRY(tx.set_user_role(user->id, *role));
        user->role = *role;
      }
      if (name) {
        PARLEY_TRY(tx.set_user_name(user->id, *name));
        user->name = *name;
      }
      updated = user;
      return audit::record(tx, who.workspace_id, {actor_of(who), "user.update", user->id, before, user_view(*user)});
    });
    if (!status.ok()) return status.error().code == ErrorCode::conflict ? field_error("role", status.error()) : http::error_response(status.error());
    return http::json_response(200, with_name(user_view(*updated), *updated));
  }));

  router.add("DELETE", "/api/v1/users/{user_id}", admin(context, store::Role::owner, [&context](http::Request& request, const auth::Principal& who) {
    if (request.params["user_id"] == who.user_id) {
      return http::error_response(ErrorCode::conflict, "you cannot remove your own account; another owner can");
    }
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto user, tx.user(request.params["user_id"]));
      if (!user) return make_error(ErrorCode::not_found, "no such account");
      PARLEY_TRY(keep_an_owner(tx, *user));
      PARLEY_TRY(tx.delete_user(user->id));
      return audit::record(tx, who.workspace_id, {actor_of(who), "user.delete", user->id, user_view(*user), nullptr});
    });
    if (!status.ok()) return http::error_response(status.error());
    http::Response response;
    response.status = 204;
    return response;
  }));

  router.add("POST", "/api/v1/users/{user_id}/password", admin(context, store::Role::owner, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    const bool by_link = body.value("link", false);
    Json out;
    bool emailed = false;
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto user, tx.user(request.params["user_id"]));
      if (!user) return make_error(ErrorCode::not_found, "no such account");
      if (by_link) {
        const auto purpose = user->password_hash.empty() ? auth::LinkPurpose::invite : auth::LinkPurpose::reset;
        PARLEY_ASSIGN_OR_RETURN(const std::string token, auth::issue_account_link(tx, *user, purpose));
        const std::string link = link_address(request, token);
        PARLEY_ASSIGN_OR_RETURN(emailed, email_link(context, tx, *user, link, purpose, "The owner"));
        out["link"] = link;
        out["emailed"] = emailed;
      } else {
        // Audited by replace_password as user.password_reset.
        PARLEY_ASSIGN_OR_RETURN(const std::string password, auth::reset_to_generated_password(tx, *user, actor_of(who)));
        out["password"] = password;
      }
      out["user"] = with_name(user_view(*user), *user);
      if (!by_link) return Status{};
      return audit::record(tx, who.workspace_id, {actor_of(who), "user.reset_link", user->id, nullptr, {{"email", user->email}}});
    });
    if (!status.ok()) return http::error_response(status.error());
    if (emailed) context.notification_queued();
    http::Response response = http::json_response(200, out);
    response.headers["Cache-Control"] = "no-store";
    return response;
  }));
}

void register_key_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/keys", admin(context, store::Role::owner, [&context](http::Request&, const auth::Principal& who) {
    Json keys = Json::array();
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto rows, tx.api_keys());
      for (const auto& key : rows) keys.push_back(key_view(key));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"keys", keys}});
  }));

  router.add("POST", "/api/v1/keys", admin(context, store::Role::owner, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    const auto name = optional_text(body, "name");
    if (!name.ok()) return field_error("name", name.error());
    if (name->empty()) return field_error("name", ErrorCode::invalid_request, "name the key after what uses it, e.g. \"CRM sync\"");
    if (name->size() > kMaxKeyNameBytes || !is_valid_utf8(*name)) {
      return field_error("name", ErrorCode::invalid_request, "the name is too long (100 characters at most)");
    }
    const auto role = role_field(body);
    if (!role.ok()) return field_error("role", role.error());
    std::optional<auth::IssuedKey> issued;
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(issued, auth::issue_api_key(tx, who.workspace_id, *name, *role));
      return audit::record(tx, who.workspace_id,
                           {actor_of(who), "key.create", issued->record.id, nullptr, key_view(issued->record)});
    });
    if (!status.ok()) return http::error_response(status.error());
    http::Response response = http::json_response(201, {{"key", key_view(issued->record)}, {"secret", issued->key}});
    response.headers["Cache-Control"] = "no-store";
    return response;
  }));

  router.add("DELETE", "/api/v1/keys/{key_id}", admin(context, store::Role::owner, [&context](http::Request& request, const auth::Principal& who) {
    if (request.params["key_id"] == who.key_id) {
      return http::error_response(ErrorCode::conflict, "a key cannot revoke itself; use another key or the admin app");
    }
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto keys, tx.api_keys());
      const auto key = std::find_if(keys.begin(), keys.end(), [&](const store::ApiKey& k) { return k.id == request.params["key_id"]; });
      if (key == keys.end()) return make_error(ErrorCode::not_found, "no such key");
      PARLEY_TRY(tx.revoke_api_key(key->id));
      return audit::record(tx, who.workspace_id, {actor_of(who), "key.revoke", key->id, nullptr, Json{{"revoked", true}}});
    });
    if (!status.ok()) return http::error_response(status.error());
    http::Response response;
    response.status = 204;
    return response;
  }));
}

void register_own_account_routes(http::Router& router, ApiContext& context) {
  router.add("PATCH", "/api/v1/auth/me", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    PARLEY_RESPOND_ON_ERROR(store::User user, principal_user(context, who));
    const auto name = optional_text(body, "name");
    if (!name.ok()) return field_error("name", name.error());
    if (name->empty()) return field_error("name", ErrorCode::invalid_request, "enter the name visitors and your team see");
    if (const auto valid = check_name(*name); !valid.ok()) return field_error("name", valid.error());
    const Json before = user_view(user);
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_TRY(tx.set_user_name(user.id, *name));
      user.name = *name;
      return audit::record(tx, who.workspace_id, {actor_of(who), "user.update", user.id, before, user_view(user)});
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"user", with_name(user_view(user), user)}});
  }));

  // The session that asks stays signed in; every other session of the account ends (auth::change_password).
  router.add("POST", "/api/v1/auth/password", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal&) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    const auto signed_in = auth::resume_session(context.store(), auth::cookie_value(request.header("Cookie"), auth::kSessionCookie));
    if (!signed_in.ok()) return http::error_response(ErrorCode::invalid_request, "an API key has no password; sign in to the admin app");
    const auto current = body.find("current_password");
    const auto next = body.find("new_password");
    if (current == body.end() || !current->is_string() || current->get_ref<const std::string&>().empty()) {
      return field_error("current_password", ErrorCode::invalid_request, "enter your current password");
    }
    if (next == body.end() || !next->is_string() || next->get_ref<const std::string&>().empty()) {
      return field_error("new_password", ErrorCode::invalid_request, "enter a new password");
    }
    if (*current == *next) {
      return field_error("new_password", ErrorCode::invalid_request, "the new password is the same as the current one");
    }
    const auto changed = auth::change_password(context.store(), *signed_in, current->get<std::string>(), next->get<std::string>());
    if (!changed.ok()) {
      if (changed.error().code == ErrorCode::unauthorized) {
        // Not a 401: the admin app would take it for a lost session.
        return field_error("current_password", ErrorCode::invalid_request, "the current password is not right");
      }
      return field_error("new_password", changed.error());
    }
    http::Response response;
    response.status = 204;
    return response;
  }));
  router.set_body_limit("POST", "/api/v1/auth/password", 8192);

  router.add("POST", "/api/v1/auth/link", anyone([&context](http::Request& request) {
    if (!is_same_origin_request(request)) return http::error_response(ErrorCode::forbidden, "open the link in this server's admin app");
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    const std::string token = body.value("token", std::string());
    PARLEY_RESPOND_ON_ERROR(const auth::AccountLink link, auth::find_account_link(context.store(), token));
    http::Response response = http::json_response(
        200, {{"email", link.user.email}, {"name", link.user.name}, {"purpose", link.token.purpose}});
    response.headers["Cache-Control"] = "no-store";
    return response;
  }));
  router.set_body_limit("POST", "/api/v1/auth/link", 4096);

  router.add("POST", "/api/v1/auth/link/redeem", anyone([&context](http::Request& request) {
    if (!is_same_origin_request(request)) return http::error_response(ErrorCode::forbidden, "open the link in this server's admin app");
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    const std::string token = body.value("token", std::string());
    const auto password = body.find("password");
    if (password == body.end() || !password->is_string() || password->get_ref<const std::string&>().empty()) {
      return field_error("password", ErrorCode::invalid_request, "choose a password");
    }
    const auto name = optional_text(body, "name");
    if (!name.ok()) return field_error("name", name.error());
    if (const auto valid = check_name(*name); !valid.ok()) return field_error("name", valid.error());
    if (password->get_ref<const std::string&>().size() < auth::kMinPasswordChars) {
      return field_error("password", ErrorCode::invalid_request,
                         "the password must have at least " + std::to_string(auth::kMinPasswordChars) + " characters");
    }
    PARLEY_RESPOND_ON_ERROR(const store::User user,
                            auth::redeem_account_link(context.store(), token, password->get<std::string>(), *name));
    return sign_in_response(context, request, user.email, password->get<std::string>());
  }));
  router.set_body_limit("POST", "/api/v1/auth/link/redeem", 8192);
}

}  // namespace

void register_account_routes(http::Router& router, ApiContext& context) {
  register_team_routes(router, context);
  register_key_routes(router, context);
  register_own_account_routes(router, context);
}

}  // namespace parley::api
