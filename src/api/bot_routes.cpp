// Bots: list, create, read, update (name and settings, merged), delete.
#include "api/handlers.h"
#include "audit/audit.h"
#include "chat/bot_settings.h"
#include "common/utf8.h"
#include "leads/handoff.h"
#include "leads/lead_form.h"
#include "notify/email.h"

namespace parley::api {
namespace {

constexpr std::size_t kMaxBotNameBytes = 200;

Result<std::string> bot_name(const Json& body) {
  const auto it = body.find("name");
  if (it == body.end() || !it->is_string()) return make_error(ErrorCode::invalid_request, "`name` must be a string");
  std::string name = it->get<std::string>();
  if (name.find_first_not_of(" \t") == std::string::npos) return make_error(ErrorCode::invalid_request, "`name` is empty");
  if (name.size() > kMaxBotNameBytes) return make_error(ErrorCode::invalid_request, "`name` is too long");
  return name;
}

// Applies a settings patch: keys with null are removed, others replaced.
Json merge_settings(Json settings, const Json& patch) {
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it->is_null()) {
      settings.erase(it.key());
    } else {
      settings[it.key()] = *it;
    }
  }
  return settings;
}

// The settings of leads/ and notify/ (the lead form, handoff, email recipients), beside chat's own checks.
Status validate_settings(const Json& settings) {
  PARLEY_TRY(chat::validate_bot_settings(settings));
  if (!settings.is_object()) return {};
  if (const auto it = settings.find("leads"); it != settings.end()) PARLEY_TRY(leads::validate_lead_settings(*it));
  if (const auto it = settings.find("handoff"); it != settings.end()) PARLEY_TRY(leads::validate_handoff_settings(*it));
  if (const auto it = settings.find("notifications"); it != settings.end()) {
    PARLEY_TRY(notify::validate_notification_settings(*it));
  }
  return {};
}

}  // namespace

void register_bot_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/bots", admin(context, store::Role::viewer, [&context](http::Request&, const auth::Principal& who) {
    Json bots = Json::array();
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto rows, tx.bots());
      for (const auto& bot : rows) bots.push_back(bot_view(bot));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"bots", bots}});
  }));

  router.add("POST", "/api/v1/bots", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    PARLEY_RESPOND_ON_ERROR(const std::string name, bot_name(body));
    Json settings = body.value("settings", Json::object());
    if (const auto normalized = chat::normalize_allowed_domains(settings); !normalized.ok()) {
      return http::error_response(normalized.error());
    }
    if (const auto valid = validate_settings(settings); !valid.ok()) return http::error_response(valid.error());
    settings = leads::with_handoff_default(std::move(settings));
    std::optional<store::Bot> created;
    const std::int64_t max_bots = context.options().limits.max_bots_per_workspace;
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      if (max_bots > 0) {
        auto within = tx.create_bot_within_quota(name, settings, max_bots);
        if (!within.ok() && within.error().code == ErrorCode::forbidden) {
          return make_error(ErrorCode::forbidden, within.error().message + " ([limits] max_bots_per_workspace)");
        }
        PARLEY_ASSIGN_OR_RETURN(created, std::move(within));
      } else {
        PARLEY_ASSIGN_OR_RETURN(created, tx.create_bot(name, settings));
      }
      return audit::record(tx, who.workspace_id, {actor_of(who), "bot.create", created->id, nullptr, bot_view(*created)});
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(201, bot_view(*created));
  }));

  router.add("GET", "/api/v1/bots/{bot_id}", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    std::optional<store::Bot> bot;
    Json sources = Json::array();
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(bot, tx.bot(request.params["bot_id"]));
      if (!bot) return make_error(ErrorCode::not_found, "no such bot");
      PARLEY_ASSIGN_OR_RETURN(auto rows, tx.sources(bot->id));
      for (const auto& source : rows) sources.push_back(source_view(source));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    Json view = bot_view(*bot);
    view["sources"] = sources;
    return http::json_response(200, view);
  }));

  router.add("PATCH", "/api/v1/bots/{bot_id}", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    std::optional<store::Bot> updated;
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(request.params["bot_id"]));
      if (!bot) return make_error(ErrorCode::not_found, "no such bot");
      const Json before = bot_view(*bot);
      if (body.contains("name")) {
        PARLEY_ASSIGN_OR_RETURN(bot->name, bot_name(body));
      }
      if (body.contains("settings")) {
        if (!body["settings"].is_object()) return make_error(ErrorCode::invalid_request, "`settings` must be an object");
        Json merged = merge_settings(bot->settings, body["settings"]);
        PARLEY_TRY(chat::normalize_allowed_domains(merged));
        PARLEY_TRY(validate_settings(merged));
        bot->settings = std::move(merged);
      }
      PARLEY_ASSIGN_OR_RETURN(updated, tx.update_bot(*bot));
      return audit::record(tx, who.workspace_id, {actor_of(who), "bot.update", updated->id, before, bot_view(*updated)});
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, bot_view(*updated));
  }));

  router.add("DELETE", "/api/v1/bots/{bot_id}", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto bot, tx.bot(request.params["bot_id"]));
      PARLEY_TRY(tx.delete_bot(request.params["bot_id"]));
      return audit::record(tx, who.workspace_id,
                           {actor_of(who), "bot.delete", request.params["bot_id"], bot ? bot_view(*bot) : Json(nullptr), nullptr});
    });
    if (!status.ok()) return http::error_response(status.error());
    http::Response response;
    response.status = 204;
    return response;
  }));
}

}  // namespace parley::api
