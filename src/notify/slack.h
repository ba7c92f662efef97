// The Slack-compatible incoming-webhook format: {"text": "..."} in Slack's mrkdwn, for a webhook whose format is
// "slack" (Slack, Mattermost, Rocket.Chat and Microsoft Teams' Slack-compatible endpoints accept it).
#pragma once

#include <string>
#include <string_view>

#include "notify/events.h"

namespace parley::notify {

// Text from visitors as Slack shows it literally: &, < and > escaped, so "<!channel>" or a link cannot be smuggled in.
std::string slack_escape(std::string_view text);

// The message for one event.
Json slack_message(const Event& event);

}  // namespace parley::notify
