// Handing a conversation to a person, and back.
//
//   open ──request──▶ waiting_for_agent ──claim──▶ with_agent ──hand_back──▶ open
//     ▲                      │  └──────hand_back───────────────────────────────▲
//     └──────────────────────┴───────────────close──────────────▶ closed ◀──── (any)
//
// While a conversation waits for or is held by a person the bot does not answer: the visitor's messages are stored
// and shown to the agents live. An agent's replies are stored as messages of role "agent" and pushed to the
// visitor's open event stream (LiveHub), so they appear in the same widget. Outside the bot's business hours the
// visitor is told so at once and offered the lead form (the conversation stays with the bot); when nobody claims a
// waiting conversation within the claim timeout, sweep() tells the visitor the same, and the conversation keeps
// waiting, so an agent can still take it.
//
// settings.handoff of a bot:
//   {"enabled": true, "phrases": ["agent please"], "claim_timeout_seconds": 120, "time_zone": "Europe/Berlin",
//    "hours": {"mon": ["09:00", "17:00"], ..., "sun": []}}            (no "hours": always within hours)
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "notify/outbox.h"
#include "store/store.h"

namespace parley::leads {

using Json = store::Json;

struct DayHours {
  int open_minute = 0;   // minutes after midnight, local time
  int close_minute = 0;  // exclusive; open == close: closed all day
};

struct HandoffSettings {
  bool enabled = true;
  std::vector<std::string> phrases;  // the bot's own ways to ask for a person (besides the built-in ones)
  int claim_timeout_seconds = 120;
  std::string time_zone = "UTC";
  std::optional<std::array<DayHours, 7>> hours;  // Monday first; none: always within hours
};

Result<HandoffSettings> parse_handoff_settings(const Json& settings);  // settings.handoff of a bot; defaults when absent
// The settings a new bot is created with: `settings` plus the handoff default when it sets none, saved so that the
// builder shows exactly what visitors get and a later change of the default leaves set-up bots alone.
Json with_handoff_default(Json settings);
Status validate_handoff_settings(const Json& handoff);

// True when `unix_ms` falls within the business hours of `settings`, in its time zone.
bool within_business_hours(const HandoffSettings& settings, std::int64_t unix_ms);

// Publish/subscribe of live events, by topic: "conversation:<id>" (the visitor's widget) and "workspace:<id>" (the
// agents' inbox). A listener returns false to be dropped (its client went away). In one process by default; shared
// through the store, an event published by any replica reaches the listeners of every replica.
class LiveHub {
 public:
  using Listener = std::function<bool(const std::string& event, const Json& data)>;
  LiveHub() = default;
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;
  ~LiveHub();

  // Shares events with the other processes on `store` (replicas of one PostgreSQL database, Store::open_broadcast);
  // nothing changes on an embedded store, which is one process's own. Call once, before publishing.
  void share_through(store::Store& store);
  std::uint64_t subscribe(const std::string& topic, Listener listener);
  void unsubscribe(std::uint64_t id);
  // To this process's listeners at once, then to the other replicas' (when shared): a failure to reach them is
  // logged, not returned — the event's content is stored, and a stream reconnecting reads it.
  void publish(const std::string& topic, const std::string& event, const Json& data);
  // Every listener gets a "ping" (keeps proxies from closing idle streams; finds clients that went away).
  void ping_all();
  std::size_t listeners() const;

 private:
  struct Entry {
    std::string topic;
    Listener listener;
  };
  void deliver(const std::string& topic, const std::string& event, const Json& data);

  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Entry> entries_;
  std::multimap<std::string, std::uint64_t> by_topic_;
  // Last: its thread delivers other replicas' events into the members above, so it stops first.
  std::unique_ptr<store::Broadcast> broadcast_;
};

std::string conversation_topic(std::string_view conversation_id);
std::string workspace_topic(std::string_view workspace_id);

// A conversation as the inbox and the events show it.
Json support_view(const store::Conversation& conversation);
// A message as the visitor's widget and the inbox show it.
Json live_message_view(const store::Message& message);

struct Agent {
  std::string id;    // a user id, or "key:<api key id>"
  std::string name;  // shown to the visitor
};

enum class HandoffReason { visitor_request, button, fallback };
std::string_view reason_name(HandoffReason reason);

struct HandoffOutcome {
  store::Conversation conversation;
  std::string visitor_text;   // what the widget tells the visitor
  bool offer_lead_form = false;  // outside hours: the widget shows the lead form
  bool waiting = false;          // the conversation now waits for a person
};

struct HandoffOptions {
  notify::WakeDispatcher wake_dispatcher;
};

class HandoffService {
 public:
  HandoffService(store::Store& store, LiveHub& hub, HandoffOptions options = {})
      : store_(store), hub_(hub), options_(std::move(options)) {}

  // A visitor's chat message, before the bot sees it. Returns an outcome when the message is not for the bot: the
  // conversation is with (or waiting for) a person — the message is stored and shown to the agents, `visitor_text`
  // empty — or the message asks for a person (or says yes to the fallback's offer of one) and the handoff starts.
  // nullopt: the bot answers as usual. `conversation_id` may be empty (a first message); the outcome then carries
  // the conversation that was created.
  Result<std::optional<HandoffOutcome>> intercept(const store::Bot& bot, const std::string& conversation_id,
                                                  const std::string& message);

  // The visitor pressed "talk to a person" (or the API asked): the conversation (created when empty) starts waiting.
  Result<HandoffOutcome> request(const store::Bot& bot, const std::string& conversation_id, HandoffReason reason);

  // Agent actions, in the agent's workspace. Errors: not_found, conflict (another agent holds it; wrong state).
  Result<store::Conversation> claim(const store::Scope& scope, const std::string& bot_id, const std::string& conversation_id,
                                    const Agent& agent);
  Result<store::Message> reply(const store::Scope& scope, const std::string& bot_id, const std::string& conversation_id,
                               const Agent& agent, const std::string& text);
  Result<store::Conversation> hand_back(const store::Scope& scope, const std::string& bot_id,
                                        const std::string& conversation_id, const Agent& agent);
  Result<store::Conversation> close(const store::Scope& scope, const std::string& bot_id,
                                    const std::string& conversation_id, const Agent& agent);

  // Tells the visitors of conversations nobody claimed in time (once each). Returns how many.
  Result<int> sweep(std::int64_t now_ms);

 private:
  Result<HandoffOutcome> start_handoff(store::WriteTx& tx, const store::Bot& bot, store::Conversation& conversation,
                                       HandoffReason reason, std::vector<std::pair<std::string, Json>>& conversation_events,
                                       bool& queued);
  void wake() const {
    if (options_.wake_dispatcher) options_.wake_dispatcher();
  }

  store::Store& store_;
  LiveHub& hub_;
  HandoffOptions options_;
};

// Runs HandoffService::sweep and LiveHub::ping_all every `interval` on its own thread (in `parley serve`).
class HandoffSweeper {
 public:
  HandoffSweeper(HandoffService& service, LiveHub& hub, std::chrono::milliseconds interval = std::chrono::seconds(5))
      : service_(service), hub_(hub), interval_(interval) {}
  ~HandoffSweeper() { stop(); }
  void start();
  void stop();

 private:
  HandoffService& service_;
  LiveHub& hub_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// A short summary of the conversation for the agent: the first question and the latest visitor messages.
std::string summarize(const std::vector<store::Message>& messages);

}  // namespace parley::leads
