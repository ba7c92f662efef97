// parley user add --email E [--role R] [--json] | parley user reset-password --email E [--json]
// parley user set-role --email E --role R | parley user remove --email E
// Admin-app accounts of the default workspace. The password is generated, printed once, and stored only as its
// argon2id hash; resetting gives a new one (for a lost password, or a data folder made before the admin app).
// Every change is recorded in the account's workspace audit log (actor `cli`).
#include <iostream>

#include <nlohmann/json.hpp>

#include "audit/audit.h"
#include "auth/accounts.h"
#include "auth/passwords.h"
#include "cli/commands.h"

namespace parley::cli {
namespace {

struct Account {
  std::string email;
  std::string password;
};

void print(const Account& account, bool json) {
  if (json) {
    std::cout << nlohmann::json{{"email", account.email}, {"password", account.password}}.dump() << "\n";
  } else {
    std::cout << "Admin sign-in: " << account.email << " / " << account.password << "\n"
              << "               (shown only now; only its argon2id hash is stored)\n";
  }
}

// What the audit log keeps of an account (never its password hash).
nlohmann::json account_view(const store::User& user) {
  return {{"id", user.id}, {"email", user.email}, {"role", std::string(store::role_name(user.role))}};
}

// Emails are unique across workspaces, so an account is found by email alone; the change is then made (and
// audited) in the account's own workspace.
Result<store::User> find_account(store::Store& store, const std::string& email) {
  std::optional<store::User> found;
  PARLEY_TRY(store.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(found, tx.user_by_email(email));
    return {};
  }));
  if (!found) return make_error(ErrorCode::not_found, "no account with this email");
  return *found;
}

}  // namespace

void add_user_commands(CLI::App& app, Globals& globals) {
  auto* user = app.add_subcommand("user", "Manage who signs in to the admin app");
  user->require_subcommand(1);
  struct Options {
    std::string email;
    std::string role = "admin";
    bool json = false;
  };

  auto* add = user->add_subcommand("add", "Add an account with a generated password (printed once)");
  auto add_options = std::make_shared<Options>();
  add->add_option("--email", add_options->email, "The email to sign in with")->required();
  add->add_option("--role", add_options->role, "owner, admin, agent or viewer")->capture_default_str();
  add->add_flag("--json", add_options->json, "Print JSON");
  add->callback(command_action(globals, [&globals, add_options]() -> Status {
    const auto role = store::parse_role(add_options->role);
    if (!role) return make_error(ErrorCode::invalid_request, "unknown role: " + add_options->role);
    PARLEY_ASSIGN_OR_RETURN(const Config config, load_config(globals.data_dir));
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(const std::string workspace, default_workspace(*store, config));
    Account account{add_options->email, auth::generate_password()};
    store::User record;
    record.workspace_id = workspace;
    record.email = add_options->email;
    record.role = *role;
    PARLEY_ASSIGN_OR_RETURN(record.password_hash, auth::hash_password(account.password));
    PARLEY_TRY(store->write(store::Scope::workspace(workspace), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto existing, tx.user_by_email(record.email));
      if (existing) return make_error(ErrorCode::conflict, "an account with this email exists; use `parley user reset-password`");
      PARLEY_ASSIGN_OR_RETURN(const auto stored, tx.create_user(record));
      account.email = stored.email;
      return audit::record(tx, workspace, {"cli", "user.create", stored.id, nullptr, account_view(stored)});
    }));
    print(account, add_options->json);
    return {};
  }));

  auto* reset = user->add_subcommand("reset-password", "Give an account a new generated password (printed once)");
  auto reset_options = std::make_shared<Options>();
  reset->add_option("--email", reset_options->email, "The account's email")->required();
  reset->add_flag("--json", reset_options->json, "Print JSON");
  reset->callback(command_action(globals, [&globals, reset_options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(const auto found, find_account(*store, reset_options->email));
    Account account{found.email, ""};
    // Every session of the account ends with its old password; its reset links stop working.
    PARLEY_TRY(store->write(store::Scope::workspace(found.workspace_id), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(account.password, auth::reset_to_generated_password(tx, found, "cli"));
      return {};
    }));
    print(account, reset_options->json);
    return {};
  }));

  auto* set_role = user->add_subcommand("set-role", "Change an account's role (takes effect on its next request)");
  auto role_options = std::make_shared<Options>();
  set_role->add_option("--email", role_options->email, "The account's email")->required();
  set_role->add_option("--role", role_options->role, "owner, admin, agent or viewer")->required();
  set_role->callback(command_action(globals, [&globals, role_options]() -> Status {
    const auto role = store::parse_role(role_options->role);
    if (!role) return make_error(ErrorCode::invalid_request, "unknown role: " + role_options->role);
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(const auto found, find_account(*store, role_options->email));
    store::User changed = found;
    changed.role = *role;
    return store->write(store::Scope::workspace(found.workspace_id), [&](store::WriteTx& tx) -> Status {
      PARLEY_TRY(tx.set_user_role(found.id, *role));
      return audit::record(tx, found.workspace_id,
                           {"cli", "user.role", found.id, account_view(found), account_view(changed)});
    });
  }));

  auto* remove = user->add_subcommand("remove", "Delete an account and end its sessions");
  auto remove_options = std::make_shared<Options>();
  remove->add_option("--email", remove_options->email, "The account's email")->required();
  remove->callback(command_action(globals, [&globals, remove_options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(const auto found, find_account(*store, remove_options->email));
    return store->write(store::Scope::workspace(found.workspace_id), [&](store::WriteTx& tx) -> Status {
      PARLEY_TRY(tx.delete_user(found.id));
      return audit::record(tx, found.workspace_id, {"cli", "user.delete", found.id, account_view(found), nullptr});
    });
  }));
}

}  // namespace parley::cli
