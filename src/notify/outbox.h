// The durable outbox: an event's deliveries are written in the very transaction that made the event (a lead, a
// handoff request, a message), so an event exists exactly when its change does, and survives any restart. A
// Dispatcher (dispatcher.h) sends them.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "notify/events.h"
#include "store/store.h"

namespace parley::notify {

// How long an event is retried before its delivery is given up (a replay gives it as long again).
constexpr std::chrono::hours kDeliveryWindow{24};

// Tells this process's dispatcher that deliveries were committed (it finds them at its next poll anyway).
using WakeDispatcher = std::function<void()>;

// Adds the deliveries of `event` to the transaction: one per active webhook of the event's workspace that
// subscribes to its type (and to its bot, or to every bot), in the webhook's format; and, for the event types that
// are emailed (email_for_event), one email to `email_to` when that is not empty. Returns how many were added.
Result<int> enqueue(store::WriteTx& tx, const Event& event, const std::vector<std::string>& email_to = {});
// The same with the webhooks already read (e.g. `subscribers`, for several events of one transaction); those that
// do not subscribe to the event are skipped.
Result<int> enqueue_to(store::WriteTx& tx, const Event& event, const std::vector<store::Webhook>& webhooks,
                       const std::vector<std::string>& email_to = {});

// The webhooks that would receive an event of `type` about `bot`: read once for a chat turn's two message.created
// events, and an empty list lets the turn skip building events no webhook receives.
Result<std::vector<store::Webhook>> subscribers(store::WriteTx& tx, std::string_view type, const store::Bot& bot);

// A webhook URL as it may be stored: absolute http(s), a host, no user name or password, at most 2048 bytes.
Status validate_webhook_url(std::string_view url);

}  // namespace parley::notify
