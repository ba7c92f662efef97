// Webhooks and their delivery log (notify/outbox.h, notify/dispatcher.h); owners and admins only.
//   GET    /api/v1/webhooks                               the workspace's webhooks (secrets masked)
//   POST   /api/v1/webhooks                               {url, events, bot_id?, format: json|slack, description?,
//                                                         active?} → 201, with the signing secret (shown once)
//   GET    /api/v1/webhooks/{webhook_id}, PATCH (the same fields; "rotate_secret": true), DELETE
//   GET    /api/v1/webhooks/{webhook_id}/deliveries      state=pending|delivered|failed, limit, offset (newest first)
//   GET    /api/v1/deliveries/{delivery_id}              with every attempt
//   POST   /api/v1/deliveries/{delivery_id}/replay       due again now, with a fresh 24-hour retry window
#include <charconv>

#include "api/handlers.h"
#include "common/clock.h"
#include "common/utf8.h"
#include "crawl/url.h"
#include "notify/dispatcher.h"
#include "notify/events.h"
#include "notify/outbox.h"
#include "notify/signature.h"

namespace parley::api {
namespace {

std::string mask(const std::string& secret) {
  return secret.size() > 10 ? secret.substr(0, 6) + "…" + secret.substr(secret.size() - 4) : "…";
}

Json webhook_view(const store::Webhook& webhook, bool show_secret) {
  return {{"id", webhook.id},
          {"bot_id", webhook.bot_id.empty() ? Json(nullptr) : Json(webhook.bot_id)},
          {"url", webhook.url},
          {"events", webhook.events},
          {"format", webhook.format},
          {"secret", show_secret ? webhook.secret : mask(webhook.secret)},
          {"description", webhook.description},
          {"active", webhook.active},
          {"created_at", format_rfc3339(webhook.created_at)},
          {"updated_at", format_rfc3339(webhook.updated_at)}};
}

Json delivery_view(const store::Delivery& d) {
  Json payload = Json::parse(d.payload, nullptr, false);
  return {{"id", d.id},
          {"channel", d.channel},
          {"webhook_id", d.webhook_id.empty() ? Json(nullptr) : Json(d.webhook_id)},
          {"target", d.channel == "email" ? Json(d.target) : Json(nullptr)},
          {"event_id", d.event_id},
          {"event_type", d.event_type},
          {"state", d.state},
          {"attempts", d.attempts},
          {"next_attempt_at", d.state == "pending" ? Json(format_rfc3339(d.next_attempt_at)) : Json(nullptr)},
          {"expires_at", format_rfc3339(d.expires_at)},
          {"last_status", d.last_status},
          {"last_error", d.last_error},
          {"created_at", format_rfc3339(d.created_at)},
          {"delivered_at", d.delivered_at ? Json(format_rfc3339(*d.delivered_at)) : Json(nullptr)},
          {"payload", payload.is_discarded() ? Json(d.payload) : payload}};
}

// A receiver on a private network is refused when it is chosen, not only when a delivery fails: the person adding
// it learns at once (parley.toml [network] allow_private_addresses lets the operator allow it).
Status check_reachable(const ApiContext& context, const std::string& url) {
  if (context.options().allow_private_addresses) return {};
  const auto parsed = crawl::parse_url(url);
  if (!parsed.ok()) return {};
  if (const auto address = crawl::private_address_of(parsed->host)) {
    return make_error(ErrorCode::invalid_request,
                      parsed->host + " is on a private network (" + *address +
                          "), which this server does not send to: use the receiver's public internet address. (The "
                          "server's operator can allow private networks in parley.toml: [network] "
                          "allow_private_addresses = true.)");
  }
  return {};
}

// Applies the fields of `body` to `webhook`; `creating` requires url and events. A refusal names its field in
// `field`.
Status apply_fields(store::Webhook& webhook, const Json& body, bool creating, std::string& field) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& key = it.key();
    field = key;
    if (key == "url") {
      if (!it->is_string()) return make_error(ErrorCode::invalid_request, "enter the receiver's address");
      PARLEY_TRY(notify::validate_webhook_url(it->get<std::string>()));
      webhook.url = it->get<std::string>();
    } else if (key == "events") {
      if (!it->is_array() || it->empty()) return make_error(ErrorCode::invalid_request, "choose at least one event");
      webhook.events.clear();
      for (const auto& event : *it) {
        if (!event.is_string() || !notify::is_event_type(event.get<std::string>())) {
          return make_error(ErrorCode::invalid_request,
                            "`events` may name lead.created, conversation.handoff_requested, conversation.closed, "
                            "message.created and feedback.created");
        }
        if (std::find(webhook.events.begin(), webhook.events.end(), event.get<std::string>()) == webhook.events.end()) {
          webhook.events.push_back(event.get<std::string>());
        }
      }
    } else if (key == "format") {
      if (!it->is_string() || (*it != "json" && *it != "slack")) {
        return make_error(ErrorCode::invalid_request, "`format` must be json or slack");
      }
      webhook.format = it->get<std::string>();
    } else if (key == "description") {
      if (!it->is_string() || it->get_ref<const std::string&>().size() > 500 || !is_valid_utf8(it->get<std::string>())) {
        return make_error(ErrorCode::invalid_request, "`description` must be text of up to 500 bytes");
      }
      webhook.description = it->get<std::string>();
    } else if (key == "active") {
      if (!it->is_boolean()) return make_error(ErrorCode::invalid_request, "`active` must be true or false");
      webhook.active = it->get<bool>();
    } else if (key == "bot_id") {
      if (!creating) return make_error(ErrorCode::invalid_request, "`bot_id` cannot change; create another webhook");
      if (!it->is_null() && !it->is_string()) return make_error(ErrorCode::invalid_request, "`bot_id` must be a string");
      webhook.bot_id = it->is_null() ? "" : it->get<std::string>();
    } else if (key == "rotate_secret") {
      if (creating || !it->is_boolean()) return make_error(ErrorCode::invalid_request, "`rotate_secret` must be true on an update");
      if (it->get<bool>()) webhook.secret = notify::new_webhook_secret();
    } else {
      return make_error(ErrorCode::invalid_request, "`" + key + "` is not a webhook field");
    }
  }
  if (creating && webhook.url.empty()) {
    field = "url";
    return make_error(ErrorCode::invalid_request, "enter the receiver's address");
  }
  if (creating && webhook.events.empty()) {
    field = "events";
    return make_error(ErrorCode::invalid_request, "choose at least one event");
  }
  return {};
}

Result<std::int64_t> delivery_id(const http::Request& request) {
  const std::string& text = request.params.at("delivery_id");
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) return make_error(ErrorCode::not_found, "no such delivery");
  return id;
}

}  // namespace

void register_webhook_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/webhooks", admin(context, store::Role::admin, [&context](http::Request&, const auth::Principal& who) {
    Json rows = Json::array();
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto found, tx.webhooks());
      for (const auto& webhook : found) rows.push_back(webhook_view(webhook, false));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"webhooks", rows}});
  }));

  router.add("POST", "/api/v1/webhooks", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    store::Webhook webhook;
    webhook.secret = notify::new_webhook_secret();
    std::string field;
    if (const auto applied = apply_fields(webhook, body, true, field); !applied.ok()) return field_error(field, applied.error());
    if (const auto reachable = check_reachable(context, webhook.url); !reachable.ok()) return field_error("url", reachable.error());
    std::optional<store::Webhook> created;
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(created, tx.create_webhook(webhook));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(201, webhook_view(*created, true));
  }));

  router.add("GET", "/api/v1/webhooks/{webhook_id}", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    std::optional<store::Webhook> webhook;
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(webhook, tx.webhook(request.params["webhook_id"]));
      if (!webhook) return make_error(ErrorCode::not_found, "no such webhook");
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, webhook_view(*webhook, false));
  }));

  router.add("PATCH", "/api/v1/webhooks/{webhook_id}", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    if (const auto url = body.find("url"); url != body.end() && url->is_string()) {
      if (const auto reachable = check_reachable(context, url->get<std::string>()); !reachable.ok()) {
        return field_error("url", reachable.error());
      }
    }
    std::optional<store::Webhook> webhook;
    std::string field;
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(webhook, tx.webhook(request.params["webhook_id"]));
      if (!webhook) return make_error(ErrorCode::not_found, "no such webhook");
      PARLEY_TRY(apply_fields(*webhook, body, false, field));
      return tx.update_webhook(*webhook);
    });
    if (!status.ok()) {
      return status.error().code == ErrorCode::invalid_request ? field_error(field, status.error()) : http::error_response(status.error());
    }
    const bool rotated = body.value("rotate_secret", false);
    return http::json_response(200, webhook_view(*webhook, rotated));
  }));

  // "Send test event": one signed webhook.test event to the receiver now; the answer is returned, nothing is logged.
  router.add("POST", "/api/v1/webhooks/{webhook_id}/test", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    std::optional<store::Webhook> webhook;
    std::string workspace_name;
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(webhook, tx.webhook(request.params["webhook_id"]));
      if (!webhook) return make_error(ErrorCode::not_found, "no such webhook");
      PARLEY_ASSIGN_OR_RETURN(const auto workspace, tx.workspace(who.workspace_id));
      if (workspace) workspace_name = workspace->name;
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    notify::DispatcherOptions options;
    options.allow_private_addresses = context.options().allow_private_addresses;
    const notify::TestDelivery sent = notify::send_test_event(*webhook, workspace_name, options);
    return http::json_response(200, {{"delivered", sent.delivered},
                                     {"status", sent.status},
                                     {"error", sent.error},
                                     {"response", sent.response},
                                     {"duration_ms", sent.duration_ms}});
  }));

  router.add("DELETE", "/api/v1/webhooks/{webhook_id}", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) {
      return tx.delete_webhook(request.params["webhook_id"]);
    });
    if (!status.ok()) return http::error_response(status.error());
    http::Response response;
    response.status = 204;
    return response;
  }));

  router.add("GET", "/api/v1/webhooks/{webhook_id}/deliveries",
             admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
               store::DeliveryFilter filter;
               filter.webhook_id = request.params["webhook_id"];
               PARLEY_RESPOND_ON_ERROR(filter.limit, int_param(request, "limit", 50, 1, 500));
               PARLEY_RESPOND_ON_ERROR(filter.offset, int_param(request, "offset", 0, 0, 1'000'000'000));
               if (const auto state = request.query.find("state"); state != request.query.end()) {
                 if (state->second != "pending" && state->second != "delivered" && state->second != "failed") {
                   return http::error_response(ErrorCode::invalid_request, "`state` must be pending, delivered or failed");
                 }
                 filter.state = state->second;
               }
               Json rows = Json::array();
               const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(const auto webhook, tx.webhook(filter.webhook_id));
                 if (!webhook) return make_error(ErrorCode::not_found, "no such webhook");
                 PARLEY_ASSIGN_OR_RETURN(const auto found, tx.deliveries(filter));
                 for (const auto& delivery : found) rows.push_back(delivery_view(delivery));
                 return {};
               });
               if (!status.ok()) return http::error_response(status.error());
               return http::json_response(200, {{"deliveries", rows}, {"limit", filter.limit}, {"offset", filter.offset}});
             }));

  router.add("GET", "/api/v1/deliveries/{delivery_id}", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const std::int64_t id, delivery_id(request));
    Json view;
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto delivery, tx.delivery(id));
      if (!delivery) return make_error(ErrorCode::not_found, "no such delivery");
      view = delivery_view(*delivery);
      PARLEY_ASSIGN_OR_RETURN(const auto attempts, tx.delivery_attempts(id));
      view["attempts_log"] = Json::array();
      for (const auto& attempt : attempts) {
        view["attempts_log"].push_back({{"at", format_rfc3339(attempt.attempted_at)},
                                        {"status", attempt.status},
                                        {"error", attempt.error},
                                        {"duration_ms", attempt.duration_ms},
                                        {"response", attempt.response}});
      }
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, view);
  }));

  router.add("POST", "/api/v1/deliveries/{delivery_id}/replay",
             admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
               PARLEY_RESPOND_ON_ERROR(const std::int64_t id, delivery_id(request));
               Json view;
               const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(auto delivery, tx.delivery(id));
                 if (!delivery) return make_error(ErrorCode::not_found, "no such delivery");
                 // An erasure (governance/erasure.h) blanked it: there is nothing left to send.
                 if (delivery->payload.empty()) {
                   return make_error(ErrorCode::conflict, "this delivery's payload was erased; it cannot be sent again");
                 }
                 const std::int64_t now = unix_millis();
                 delivery->state = "pending";
                 delivery->next_attempt_at = now;
                 delivery->expires_at = now + std::chrono::duration_cast<std::chrono::milliseconds>(notify::kDeliveryWindow).count();
                 delivery->lease_owner.clear();
                 delivery->lease_expires_at = 0;
                 delivery->delivered_at.reset();
                 PARLEY_TRY(tx.update_delivery(*delivery));
                 view = delivery_view(*delivery);
                 return {};
               });
               if (!status.ok()) return http::error_response(status.error());
               context.notification_queued();
               return http::json_response(202, view);
             }));
}

}  // namespace parley::api
