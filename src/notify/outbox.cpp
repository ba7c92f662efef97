#include "notify/outbox.h"

#include <algorithm>

#include "common/clock.h"
#include "common/logging.h"
#include "notify/email.h"
#include "notify/slack.h"

namespace parley::notify {
namespace {

bool subscribes(const store::Webhook& webhook, std::string_view workspace_id, std::string_view bot_id,
                std::string_view type) {
  return webhook.active && webhook.workspace_id == workspace_id && (webhook.bot_id.empty() || webhook.bot_id == bot_id) &&
         std::find(webhook.events.begin(), webhook.events.end(), type) != webhook.events.end();
}

bool subscribes(const store::Webhook& webhook, const Event& event) {
  return subscribes(webhook, event.workspace_id, event.bot_id, event.type);
}

store::Delivery delivery_of(const Event& event, std::string channel) {
  store::Delivery delivery;
  delivery.workspace_id = event.workspace_id;
  delivery.bot_id = event.bot_id;
  delivery.channel = std::move(channel);
  delivery.event_id = event.id;
  delivery.event_type = event.type;
  delivery.request_id = std::string(current_request_id());  // set while a request (or its recorder) makes the event
  delivery.next_attempt_at = unix_millis();
  delivery.expires_at = event.created_at + std::chrono::duration_cast<std::chrono::milliseconds>(kDeliveryWindow).count();
  return delivery;
}

}  // namespace

Result<std::vector<store::Webhook>> subscribers(store::WriteTx& tx, std::string_view type, const store::Bot& bot) {
  PARLEY_ASSIGN_OR_RETURN(auto webhooks, tx.webhooks());
  std::erase_if(webhooks, [&](const store::Webhook& webhook) {
    return !subscribes(webhook, bot.workspace_id, bot.id, type);
  });
  return webhooks;
}

Result<int> enqueue(store::WriteTx& tx, const Event& event, const std::vector<std::string>& email_to) {
  PARLEY_ASSIGN_OR_RETURN(const auto webhooks, tx.webhooks());
  return enqueue_to(tx, event, webhooks, email_to);
}

Result<int> enqueue_to(store::WriteTx& tx, const Event& event, const std::vector<store::Webhook>& webhooks,
                       const std::vector<std::string>& email_to) {
  int added = 0;
  std::string json_body;  // rendered once, shared by every JSON webhook
  for (const auto& webhook : webhooks) {
    if (!subscribes(webhook, event)) continue;
    store::Delivery delivery = delivery_of(event, "webhook");
    delivery.webhook_id = webhook.id;
    delivery.target = webhook.url;
    delivery.format = webhook.format;
    if (webhook.format == "slack") {
      delivery.payload = slack_message(event).dump();
    } else {
      if (json_body.empty()) json_body = event_json(event).dump();
      delivery.payload = json_body;
    }
    PARLEY_TRY(tx.add_delivery(delivery));
    ++added;
  }
  if (!email_to.empty()) {
    if (const auto content = email_for_event(event)) {
      store::Delivery delivery = delivery_of(event, "email");
      for (const auto& address : email_to) delivery.target += (delivery.target.empty() ? "" : ",") + address;
      delivery.format = "email";
      delivery.payload = Json{{"subject", content->subject}, {"text", content->text}}.dump();
      PARLEY_TRY(tx.add_delivery(delivery));
      ++added;
    }
  }
  return added;
}

Status validate_webhook_url(std::string_view url) {
  const auto invalid = [&](std::string_view why) {
    return make_error(ErrorCode::invalid_request, "the webhook URL " + std::string(why));
  };
  if (url.size() > 2048) return invalid("is longer than 2048 bytes");
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return invalid("must start with https:// or http://");
  std::string scheme(url.substr(0, scheme_end));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "https" && scheme != "http") return invalid("must start with https:// or http://");
  const std::string_view rest = url.substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) return invalid("has no host");
  if (authority.find('@') != std::string_view::npos) return invalid("must not contain a user name or password");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return invalid("must not contain spaces or control characters");
  }
  return {};
}

}  // namespace parley::notify
