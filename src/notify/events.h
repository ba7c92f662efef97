// The events Parley tells other systems about: their names, and the envelope every one travels in.
//
//   {"id": "evt_...", "type": "lead.created", "created_at": "2026-01-31T09:30:00.123Z",
//    "workspace_id": "ws_...", "bot_id": "bot_...", "bot_name": "Support", "data": {...}}
//
// The id is the same in every delivery of one event (to several webhooks, and in retries), so a receiver can drop
// the duplicates that at-least-once delivery may bring.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/types.h"

namespace parley::notify {

using Json = store::Json;

namespace event_type {
constexpr std::string_view lead_created = "lead.created";
constexpr std::string_view handoff_requested = "conversation.handoff_requested";
constexpr std::string_view conversation_closed = "conversation.closed";
constexpr std::string_view message_created = "message.created";
constexpr std::string_view feedback_created = "feedback.created";
// Not for webhooks (not in kEventTypes): an invitation or password-reset link, emailed to its account only.
constexpr std::string_view account_link = "account.link";
// Not for subscriptions either: "Send test event" of one webhook.
constexpr std::string_view webhook_test = "webhook.test";
}  // namespace event_type

constexpr std::array<std::string_view, 5> kEventTypes = {
    event_type::lead_created, event_type::handoff_requested, event_type::conversation_closed,
    event_type::message_created, event_type::feedback_created};

bool is_event_type(std::string_view name);

struct Event {
  std::string id;  // "evt_...": new_event() makes one
  std::string type;
  std::string workspace_id;
  std::string bot_id;
  std::string bot_name;
  std::int64_t created_at = 0;
  Json data = Json::object();
};

// An event of `type` about a bot, stamped now with a fresh id.
Event new_event(std::string_view type, const store::Bot& bot, Json data);

// The envelope above.
Json event_json(const Event& event);

}  // namespace parley::notify
