#include "notify/events.h"

#include <algorithm>

#include "common/clock.h"
#include "common/ids.h"

namespace parley::notify {

bool is_event_type(std::string_view name) {
  return std::find(kEventTypes.begin(), kEventTypes.end(), name) != kEventTypes.end();
}

Event new_event(std::string_view type, const store::Bot& bot, Json data) {
  return Event{new_id("evt"), std::string(type), bot.workspace_id, bot.id, bot.name, unix_millis(), std::move(data)};
}

Json event_json(const Event& event) {
  return {{"id", event.id},
          {"type", event.type},
          {"created_at", format_rfc3339(event.created_at)},
          {"workspace_id", event.workspace_id},
          {"bot_id", event.bot_id},
          {"bot_name", event.bot_name},
          {"data", event.data}};
}

}  // namespace parley::notify
