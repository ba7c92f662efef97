#include "leads/handoff.h"

#include <date/tz.h>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/utf8.h"
#include "leads/intent.h"
#include "leads/lead_form.h"
#include "notify/email.h"

namespace parley::leads {
namespace {

constexpr std::string_view kWaitingText =
    "I'm connecting you with a person. Please stay here: they will reply in this chat.";
constexpr std::string_view kOutsideHoursText =
    "Our team is not available right now. Leave your contact details and we will get back to you; everything you "
    "wrote here is kept.";
constexpr std::string_view kNoAgentText =
    "Sorry, nobody is free to take this right now. Leave your contact details and we will get back to you; "
    "everything you wrote here is kept.";
constexpr std::string_view kHandBackText = "You are chatting with the bot again.";
constexpr std::string_view kClosedText = "This conversation was closed. Thank you!";
constexpr std::size_t kMaxReplyChars = 4000;
constexpr std::array<std::string_view, 7> kDayNames = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

Error bad(std::string_view key, std::string_view problem) {
  return make_error(ErrorCode::invalid_request, "settings.handoff." + std::string(key) + " " + std::string(problem));
}

// "HH:MM" → minutes after midnight ("24:00" allowed as the end of a day).
std::optional<int> parse_clock(const Json& value) {
  if (!value.is_string()) return std::nullopt;
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (int i : {0, 1, 3, 4}) {
    if (text[static_cast<std::size_t>(i)] < '0' || text[static_cast<std::size_t>(i)] > '9') return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) return std::nullopt;
  return hours * 60 + minutes;
}

const date::time_zone* find_zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

bool is_waiting_or_held(const store::Conversation& conversation) {
  return conversation.status == "waiting_for_agent" || conversation.status == "with_agent";
}

store::Message system_message(const std::string& conversation_id, std::string_view text) {
  store::Message message;
  message.conversation_id = conversation_id;
  message.role = "system";
  message.text = std::string(text);
  return message;
}

// Appends a notice to the conversation and keeps `conversation` (what the inbox and webhooks are sent) in step with
// the stored one: its message count and latest message include the notice.
Result<store::Message> append_notice(store::WriteTx& tx, store::Conversation& conversation, std::string_view text) {
  PARLEY_ASSIGN_OR_RETURN(store::Message notice, tx.append_message(system_message(conversation.id, text)));
  ++conversation.message_count;
  conversation.last_role = notice.role;
  conversation.last_message = notice.text;
  return notice;
}

Result<store::Conversation> find_conversation(store::ReadTx& tx, const std::string& bot_id, const std::string& id) {
  PARLEY_ASSIGN_OR_RETURN(auto conversation, tx.conversation(bot_id, id));
  if (!conversation) return make_error(ErrorCode::not_found, "no such conversation");
  return std::move(*conversation);
}

Json message_event(const store::Conversation& conversation, const store::Message& message) {
  return {{"conversation_id", conversation.id}, {"bot_id", conversation.bot_id}, {"message", live_message_view(message)}};
}

}  // namespace

// ---- settings ----

Result<HandoffSettings> parse_handoff_settings(const Json& settings) {
  HandoffSettings out;
  if (!settings.is_object()) return out;
  const auto handoff = settings.find("handoff");
  if (handoff == settings.end() || handoff->is_null()) return out;
  if (!handoff->is_object()) return make_error(ErrorCode::invalid_request, "settings.handoff must be an object");
  for (auto it = handoff->begin(); it != handoff->end(); ++it) {
    const std::string& key = it.key();
    if (key == "enabled") {
      if (!it->is_boolean()) return bad(key, "must be true or false");
      out.enabled = it->get<bool>();
    } else if (key == "phrases") {
      if (!it->is_array() || it->size() > 50) return bad(key, "must be a list of up to 50 phrases");
      for (const auto& phrase : *it) {
        if (!phrase.is_string() || phrase.get_ref<const std::string&>().size() > 200 ||
            !is_valid_utf8(phrase.get_ref<const std::string&>())) {
          return bad(key, "must be a list of phrases of up to 200 bytes");
        }
        out.phrases.push_back(phrase.get<std::string>());
      }
    } else if (key == "claim_timeout_seconds") {
      if (!it->is_number_integer() || it->get<std::int64_t>() < 10 || it->get<std::int64_t>() > 86'400) {
        return bad(key, "must be a whole number of seconds from 10 to 86400");
      }
      out.claim_timeout_seconds = it->get<int>();
    } else if (key == "time_zone") {
      if (!it->is_string() || it->get_ref<const std::string&>().size() > 64 || find_zone(it->get<std::string>()) == nullptr) {
        return bad(key, "must be a time zone name like Europe/Berlin or America/New_York");
      }
      out.time_zone = it->get<std::string>();
    } else if (key == "hours") {
      if (it->is_null()) continue;
      if (!it->is_object()) return bad(key, "must be an object like {\"mon\": [\"09:00\", \"17:00\"]}");
      std::array<DayHours, 7> week{};
      for (auto day = it->begin(); day != it->end(); ++day) {
        const auto index = std::find(kDayNames.begin(), kDayNames.end(), day.key());
        if (index == kDayNames.end()) return bad("hours." + day.key(), "is not a day (mon, tue, wed, thu, fri, sat, sun)");
        if (!day->is_array() || (day->size() != 0 && day->size() != 2)) {
          return bad("hours." + day.key(), "must be [\"HH:MM\", \"HH:MM\"], or [] for closed");
        }
        if (day->empty()) continue;
        const auto open = parse_clock((*day)[0]);
        const auto close = parse_clock((*day)[1]);
        if (!open || !close || *open >= *close) {
          return bad("hours." + day.key(), "must be [\"HH:MM\", \"HH:MM\"] with the opening time first");
        }
        week[static_cast<std::size_t>(index - kDayNames.begin())] = DayHours{*open, *close};
      }
      out.hours = week;
    } else {
      return bad(key, "is not a handoff setting (enabled, phrases, claim_timeout_seconds, time_zone, hours)");
    }
  }
  return out;
}

Status validate_handoff_settings(const Json& handoff) {
  const auto parsed = parse_handoff_settings(Json{{"handoff", handoff}});
  if (!parsed.ok()) return parsed.error();
  return {};
}

bool within_business_hours(const HandoffSettings& settings, std::int64_t unix_ms) {
  if (!settings.hours) return true;
  const date::time_zone* zone = find_zone(settings.time_zone);
  if (zone == nullptr) return true;  // validated when saved; a zone removed from the system later: do not lock out
  const std::chrono::sys_time<std::chrono::milliseconds> instant{std::chrono::milliseconds(unix_ms)};
  const auto local = zone->to_local(instant);
  const auto day = date::floor<date::days>(local);
  const unsigned weekday = date::weekday(day).iso_encoding();  // Monday = 1
  const auto minute = static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
  const DayHours& hours = (*settings.hours)[weekday - 1];
  return minute >= hours.open_minute && minute < hours.close_minute;
}

// ---- live events ----

std::uint64_t LiveHub::subscribe(const std::string& topic, Listener listener) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  entries_.emplace(id, Entry{topic, std::move(listener)});
  by_topic_.emplace(topic, id);
  return id;
}

void LiveHub::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(id);
  if (it == entries_.end()) return;
  auto [first, last] = by_topic_.equal_range(it->second.topic);
  for (auto entry = first; entry != last; ++entry) {
    if (entry->second == id) {
      by_topic_.erase(entry);
      break;
    }
  }
  entries_.erase(it);
}

LiveHub::~LiveHub() { broadcast_.reset(); }

void LiveHub::share_through(store::Store& store) {
  broadcast_ = store.open_broadcast("live", [this](const std::string& message) {
    const Json envelope = Json::parse(message, nullptr, false);
    if (!envelope.is_object() || !envelope.contains("topic") || !envelope["topic"].is_string() ||
        !envelope.contains("event") || !envelope["event"].is_string() || !envelope.contains("data")) {
      spdlog::warn("live events: ignored a malformed message from another replica");
      return;
    }
    deliver(envelope["topic"].get<std::string>(), envelope["event"].get<std::string>(), envelope["data"]);
  });
}

void LiveHub::publish(const std::string& topic, const std::string& event, const Json& data) {
  deliver(topic, event, data);
  if (!broadcast_) return;
  const Status sent = broadcast_->send(
      Json{{"topic", topic}, {"event", event}, {"data", data}}.dump(-1, ' ', false, Json::error_handler_t::replace));
  if (!sent.ok()) spdlog::warn("live events: cannot tell the other replicas: {}", sent.error().message);
}

void LiveHub::deliver(const std::string& topic, const std::string& event, const Json& data) {
  std::vector<std::uint64_t> dropped;
  {
    // Listeners only queue the event (http::EventStream::push): cheap enough to call under the lock.
    std::lock_guard lock(mutex_);
    auto [first, last] = by_topic_.equal_range(topic);
    for (auto entry = first; entry != last; ++entry) {
      if (!entries_.at(entry->second).listener(event, data)) dropped.push_back(entry->second);
    }
  }
  for (const auto id : dropped) unsubscribe(id);
}

void LiveHub::ping_all() {
  std::vector<std::uint64_t> dropped;
  {
    std::lock_guard lock(mutex_);
    const Json data = {{"at", unix_millis()}};
    for (auto& [id, entry] : entries_) {
      if (!entry.listener("ping", data)) dropped.push_back(id);
    }
  }
  for (const auto id : dropped) unsubscribe(id);
}

std::size_t LiveHub::listeners() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::string conversation_topic(std::string_view conversation_id) { return "conversation:" + std::string(conversation_id); }
std::string workspace_topic(std::string_view workspace_id) { return "workspace:" + std::string(workspace_id); }

Json support_view(const store::Conversation& c) {
  const auto time = [](const std::optional<std::int64_t>& ms) { return ms ? Json(format_rfc3339(*ms)) : Json(nullptr); };
  Json view = {{"id", c.id},
               {"bot_id", c.bot_id},
               {"status", c.status},
               {"agent_id", c.agent_id},
               {"agent_name", c.agent_name},
               {"handoff_reason", c.handoff_reason},
               {"handoff_requested_at", time(c.handoff_requested_at)},
               {"claim_deadline_at", time(c.claim_deadline_at)},
               {"visitor_told_no_agent", c.handoff_notice_at.has_value()},
               {"claimed_at", time(c.claimed_at)},
               {"closed_at", time(c.closed_at)},
               {"summary", c.summary},
               {"lead_id", c.lead_id.empty() ? Json(nullptr) : Json(c.lead_id)},
               {"message_count", c.message_count},
               {"first_question", c.first_question},
               {"created_at", format_rfc3339(c.created_at)},
               {"updated_at", format_rfc3339(c.updated_at)}};
  if (!c.last_role.empty()) view["last_message"] = {{"role", c.last_role}, {"text", c.last_message}};
  return view;
}

Json live_message_view(const store::Message& message) {
  Json view = {{"id", message.id}, {"role", message.role}, {"text", message.text}};
  if (!message.author.empty()) view["author"] = message.author;
  if (message.created_at != 0) view["created_at"] = format_rfc3339(message.created_at);
  return view;
}

std::string_view reason_name(HandoffReason reason) {
  switch (reason) {
    case HandoffReason::visitor_request: return "visitor_request";
    case HandoffReason::button: return "button";
    case HandoffReason::fallback: return "fallback";
  }
  return "visitor_request";
}

std::string summarize(const std::vector<store::Message>& messages) {
  std::vector<const store::Message*> visitor;
  for (const auto& message : messages) {
    if (message.role == "user") visitor.push_back(&message);
  }
  if (visitor.empty()) return "The visitor asked for a person before writing anything else.";
  const auto clip = [](const std::string& text) {
    const std::size_t keep = utf8_prefix_length(text, 300);
    return text.substr(0, keep) + (keep < text.size() ? "…" : "");
  };
  std::size_t fallbacks = 0;
  for (const auto& message : messages) fallbacks += message.role == "assistant" && message.mode == "fallback";
  std::string summary = "First question: \"" + clip(visitor.front()->text) + "\".";
  if (visitor.size() > 1) {
    summary += " Latest: ";
    const std::size_t from = visitor.size() > 3 ? visitor.size() - 2 : 1;
    for (std::size_t i = from; i < visitor.size(); ++i) {
      summary += (i == from ? "\"" : ", \"") + clip(visitor[i]->text) + "\"";
    }
    summary += ".";
  }
  summary += " " + std::to_string(visitor.size()) + " visitor message" + (visitor.size() == 1 ? "" : "s");
  if (fallbacks > 0) summary += ", " + std::to_string(fallbacks) + " the bot could not answer";
  summary += ".";
  return summary;
}

Json with_handoff_default(Json settings) {
  if (settings.is_object() && !settings.contains("handoff")) settings["handoff"] = {{"enabled", HandoffSettings{}.enabled}};
  return settings;
}

// ---- the state machine ----

Result<HandoffOutcome> HandoffService::start_handoff(store::WriteTx& tx, const store::Bot& bot,
                                                     store::Conversation& conversation, HandoffReason reason,
                                                     std::vector<std::pair<std::string, Json>>& conversation_events,
                                                     bool& queued) {
  PARLEY_ASSIGN_OR_RETURN(const HandoffSettings settings, parse_handoff_settings(bot.settings));
  const auto form = parse_lead_form(bot.settings);
  const bool lead_form = form.ok() && form->enabled;
  const std::int64_t now = unix_millis();
  PARLEY_ASSIGN_OR_RETURN(const auto messages, tx.messages(conversation.id));
  HandoffOutcome outcome;
  conversation.handoff_requested_at = now;
  conversation.handoff_reason = std::string(reason_name(reason));
  conversation.summary = summarize(messages);
  const bool open_now = within_business_hours(settings, now);
  if (open_now) {
    conversation.status = "waiting_for_agent";
    conversation.claim_deadline_at = now + static_cast<std::int64_t>(settings.claim_timeout_seconds) * 1000;
    conversation.handoff_notice_at.reset();
    conversation.agent_id.clear();
    conversation.agent_name.clear();
    outcome.visitor_text = std::string(kWaitingText);
    outcome.waiting = true;
  } else {
    conversation.status = "open";  // the bot keeps answering; the request is on record
    conversation.handoff_notice_at = now;
    outcome.visitor_text = std::string(kOutsideHoursText);
    outcome.offer_lead_form = lead_form;
  }
  PARLEY_TRY(tx.update_conversation_support(conversation));
  PARLEY_ASSIGN_OR_RETURN(const auto notice, append_notice(tx, conversation, outcome.visitor_text));
  conversation_events.emplace_back("message", Json{{"message", live_message_view(notice)}});
  Json view = support_view(conversation);
  view["outside_hours"] = !open_now;
  const auto event = notify::new_event(notify::event_type::handoff_requested, bot,
                                       {{"conversation", view}, {"conversation_id", conversation.id}});
  PARLEY_ASSIGN_OR_RETURN(const int deliveries, notify::enqueue(tx, event, notify::notification_emails(bot.settings)));
  queued = queued || deliveries > 0;
  outcome.conversation = conversation;
  return outcome;
}

Result<std::optional<HandoffOutcome>> HandoffService::intercept(const store::Bot& bot, const std::string& conversation_id,
                                                                const std::string& message) {
  const auto scope = store::Scope::workspace(bot.workspace_id);
  std::optional<store::Conversation> existing;
  bool last_was_fallback = false;
  if (!conversation_id.empty()) {
    PARLEY_TRY(store_.read(scope, [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(existing, find_conversation(tx, bot.id, conversation_id));
      if (!is_waiting_or_held(*existing)) {
        PARLEY_ASSIGN_OR_RETURN(const auto messages, tx.messages(conversation_id));
        for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
          if (it->role == "assistant") {
            last_was_fallback = it->mode == "fallback";
            break;
          }
        }
      }
      return {};
    }));
  }
  const bool for_people = existing && is_waiting_or_held(*existing);
  PARLEY_ASSIGN_OR_RETURN(const HandoffSettings settings, parse_handoff_settings(bot.settings));
  bool wants_person = false;
  if (!for_people) {
    if (!settings.enabled) return std::optional<HandoffOutcome>();
    std::string language = "en";
    if (const auto it = bot.settings.find("language"); it != bot.settings.end() && it->is_string()) language = it->get<std::string>();
    const Intent intent = detect_intent(message, language, settings.phrases);
    wants_person = intent.wants_person || (intent.affirmative && last_was_fallback);
    if (!wants_person) return std::optional<HandoffOutcome>();
  }

  HandoffOutcome outcome;
  std::vector<std::pair<std::string, Json>> conversation_events;
  std::vector<std::pair<std::string, Json>> inbox_events;
  bool queued = false;
  PARLEY_TRY(store_.write(scope, [&](store::WriteTx& tx) -> Status {
    conversation_events.clear();
    inbox_events.clear();
    store::Conversation conversation;
    if (conversation_id.empty()) {
      PARLEY_ASSIGN_OR_RETURN(conversation, tx.create_conversation(bot.id));
    } else {
      PARLEY_ASSIGN_OR_RETURN(conversation, find_conversation(tx, bot.id, conversation_id));
    }
    store::Message visitor;
    visitor.conversation_id = conversation.id;
    visitor.role = "user";
    visitor.text = message;
    PARLEY_ASSIGN_OR_RETURN(const auto stored, tx.append_message(visitor));
    const auto event = notify::new_event(notify::event_type::message_created, bot, message_event(conversation, stored));
    PARLEY_ASSIGN_OR_RETURN(const int deliveries, notify::enqueue(tx, event));
    queued = deliveries > 0;
    if (is_waiting_or_held(conversation)) {
      // For the agents: the bot stays silent, and the summary takes in what the visitor wrote meanwhile.
      PARLEY_ASSIGN_OR_RETURN(const auto messages, tx.messages(conversation.id));
      conversation.summary = summarize(messages);
      PARLEY_TRY(tx.update_conversation_support(conversation));
      outcome.conversation = conversation;
      outcome.waiting = true;
      Json update = message_event(conversation, stored);
      update["summary"] = conversation.summary;
      inbox_events.emplace_back("message", std::move(update));
      return {};
    }
    PARLEY_ASSIGN_OR_RETURN(outcome, start_handoff(tx, bot, conversation, HandoffReason::visitor_request,
                                                   conversation_events, queued));
    inbox_events.emplace_back(outcome.waiting ? "handoff_requested" : "handoff_outside_hours",
                              Json{{"conversation", support_view(outcome.conversation)}});
    return {};
  }));
  for (const auto& [name, data] : conversation_events) hub_.publish(conversation_topic(outcome.conversation.id), name, data);
  for (const auto& [name, data] : inbox_events) hub_.publish(workspace_topic(bot.workspace_id), name, data);
  if (queued) wake();
  return std::optional<HandoffOutcome>(std::move(outcome));
}

Result<HandoffOutcome> HandoffService::request(const store::Bot& bot, const std::string& conversation_id,
                                               HandoffReason reason) {
  PARLEY_ASSIGN_OR_RETURN(const HandoffSettings settings, parse_handoff_settings(bot.settings));
  if (!settings.enabled) return make_error(ErrorCode::forbidden, "this bot does not hand conversations to people");
  HandoffOutcome outcome;
  std::vector<std::pair<std::string, Json>> conversation_events;
  bool queued = false;
  bool already = false;
  PARLEY_TRY(store_.write(store::Scope::workspace(bot.workspace_id), [&](store::WriteTx& tx) -> Status {
    conversation_events.clear();
    store::Conversation conversation;
    if (conversation_id.empty()) {
      PARLEY_ASSIGN_OR_RETURN(conversation, tx.create_conversation(bot.id));
    } else {
      PARLEY_ASSIGN_OR_RETURN(conversation, find_conversation(tx, bot.id, conversation_id));
    }
    if (is_waiting_or_held(conversation)) {  // pressed twice: nothing changes
      already = true;
      outcome.conversation = conversation;
      outcome.waiting = true;
      outcome.visitor_text = std::string(kWaitingText);
      return {};
    }
    PARLEY_ASSIGN_OR_RETURN(outcome, start_handoff(tx, bot, conversation, reason, conversation_events, queued));
    return {};
  }));
  if (!already) {
    for (const auto& [name, data] : conversation_events) hub_.publish(conversation_topic(outcome.conversation.id), name, data);
    hub_.publish(workspace_topic(bot.workspace_id), outcome.waiting ? "handoff_requested" : "handoff_outside_hours",
                 Json{{"conversation", support_view(outcome.conversation)}});
  }
  if (queued) wake();
  return outcome;
}

Result<store::Conversation> HandoffService::claim(const store::Scope& scope, const std::string& bot_id,
                                                  const std::string& conversation_id, const Agent& agent) {
  store::Conversation conversation;
  std::optional<store::Message> notice;
  PARLEY_TRY(store_.write(scope, [&](store::WriteTx& tx) -> Status {
    notice.reset();
    PARLEY_ASSIGN_OR_RETURN(conversation, find_conversation(tx, bot_id, conversation_id));
    if (conversation.status == "with_agent") {
      if (conversation.agent_id == agent.id) return {};
      return make_error(ErrorCode::conflict, "the conversation is already taken by " + conversation.agent_name);
    }
    if (conversation.status != "waiting_for_agent") {
      return make_error(ErrorCode::conflict, "the conversation is not waiting for a person (it is " + conversation.status + ")");
    }
    conversation.status = "with_agent";
    conversation.agent_id = agent.id;
    conversation.agent_name = agent.name;
    conversation.claimed_at = unix_millis();
    PARLEY_TRY(tx.update_conversation_support(conversation));
    PARLEY_ASSIGN_OR_RETURN(notice, append_notice(tx, conversation, agent.name + " joined the conversation."));
    return {};
  }));
  if (notice) {
    hub_.publish(conversation_topic(conversation.id), "message", {{"message", live_message_view(*notice)}});
    hub_.publish(conversation_topic(conversation.id), "status", {{"status", conversation.status}, {"agent_name", agent.name}});
    hub_.publish(workspace_topic(scope.workspace_id()), "claimed", {{"conversation", support_view(conversation)}});
  }
  return conversation;
}

Result<store::Message> HandoffService::reply(const store::Scope& scope, const std::string& bot_id,
                                             const std::string& conversation_id, const Agent& agent,
                                             const std::string& text) {
  if (!is_valid_utf8(text)) return make_error(ErrorCode::invalid_utf8, "the reply is not valid UTF-8");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return make_error(ErrorCode::invalid_request, "the reply is empty");
  if (count_code_points(text) > kMaxReplyChars) {
    return make_error(ErrorCode::payload_too_large, "the reply is longer than 4000 characters");
  }
  store::Conversation conversation;
  store::Message stored;
  bool queued = false;
  PARLEY_TRY(store_.write(scope, [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(conversation, find_conversation(tx, bot_id, conversation_id));
    if (conversation.status != "with_agent" || conversation.agent_id != agent.id) {
      return make_error(ErrorCode::conflict, "claim the conversation before replying");
    }
    store::Message message;
    message.conversation_id = conversation.id;
    message.role = "agent";
    message.text = text;
    message.author = conversation.agent_name.empty() ? agent.name : conversation.agent_name;  // as claimed
    PARLEY_ASSIGN_OR_RETURN(stored, tx.append_message(message));
    PARLEY_ASSIGN_OR_RETURN(const auto bot, tx.bot(bot_id));
    if (bot) {
      const auto event = notify::new_event(notify::event_type::message_created, *bot, message_event(conversation, stored));
      PARLEY_ASSIGN_OR_RETURN(const int deliveries, notify::enqueue(tx, event));
      queued = deliveries > 0;
    }
    return {};
  }));
  hub_.publish(conversation_topic(conversation.id), "message", {{"message", live_message_view(stored)}});
  hub_.publish(workspace_topic(scope.workspace_id()), "message", message_event(conversation, stored));
  if (queued) wake();
  return stored;
}

Result<store::Conversation> HandoffService::hand_back(const store::Scope& scope, const std::string& bot_id,
                                                      const std::string& conversation_id, const Agent& agent) {
  store::Conversation conversation;
  store::Message notice;
  PARLEY_TRY(store_.write(scope, [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(conversation, find_conversation(tx, bot_id, conversation_id));
    if (!is_waiting_or_held(conversation)) {
      return make_error(ErrorCode::conflict, "the conversation is not with a person (it is " + conversation.status + ")");
    }
    if (conversation.status == "with_agent" && conversation.agent_id != agent.id) {
      return make_error(ErrorCode::conflict, "the conversation is held by " + conversation.agent_name);
    }
    conversation.status = "open";
    conversation.agent_id.clear();
    conversation.agent_name.clear();
    PARLEY_TRY(tx.update_conversation_support(conversation));
    PARLEY_ASSIGN_OR_RETURN(notice, append_notice(tx, conversation, kHandBackText));
    return {};
  }));
  hub_.publish(conversation_topic(conversation.id), "message", {{"message", live_message_view(notice)}});
  hub_.publish(conversation_topic(conversation.id), "status", {{"status", conversation.status}});
  hub_.publish(workspace_topic(scope.workspace_id()), "handed_back", {{"conversation", support_view(conversation)}});
  return conversation;
}

Result<store::Conversation> HandoffService::close(const store::Scope& scope, const std::string& bot_id,
                                                  const std::string& conversation_id, const Agent& agent) {
  store::Conversation conversation;
  store::Message notice;
  bool queued = false;
  PARLEY_TRY(store_.write(scope, [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(conversation, find_conversation(tx, bot_id, conversation_id));
    if (conversation.status == "closed") return make_error(ErrorCode::conflict, "the conversation is already closed");
    if (conversation.status == "with_agent" && conversation.agent_id != agent.id) {
      return make_error(ErrorCode::conflict, "the conversation is held by " + conversation.agent_name);
    }
    conversation.status = "closed";
    conversation.closed_at = unix_millis();
    PARLEY_TRY(tx.update_conversation_support(conversation));
    PARLEY_ASSIGN_OR_RETURN(notice, append_notice(tx, conversation, kClosedText));
    PARLEY_ASSIGN_OR_RETURN(const auto bot, tx.bot(bot_id));
    if (bot) {
      const auto event = notify::new_event(notify::event_type::conversation_closed, *bot,
                                           {{"conversation", support_view(conversation)},
                                            {"conversation_id", conversation.id},
                                            {"closed_by", agent.name}});
      PARLEY_ASSIGN_OR_RETURN(const int deliveries, notify::enqueue(tx, event));
      queued = deliveries > 0;
    }
    return {};
  }));
  hub_.publish(conversation_topic(conversation.id), "message", {{"message", live_message_view(notice)}});
  hub_.publish(conversation_topic(conversation.id), "status", {{"status", conversation.status}});
  hub_.publish(workspace_topic(scope.workspace_id()), "closed", {{"conversation", support_view(conversation)}});
  if (queued) wake();
  return conversation;
}

Result<int> HandoffService::sweep(std::int64_t now_ms) {
  std::vector<store::Conversation> due;
  PARLEY_TRY(store_.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(due, tx.unclaimed_conversations(now_ms));
    return {};
  }));
  int told = 0;
  for (auto& candidate : due) {
    std::optional<store::Message> notice;
    std::string workspace;
    bool offer_form = false;
    const Status status = store_.write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      notice.reset();
      PARLEY_ASSIGN_OR_RETURN(auto conversation, find_conversation(tx, candidate.bot_id, candidate.id));
      // Claimed or handed back meanwhile, or told already: nothing to say.
      if (conversation.status != "waiting_for_agent" || conversation.handoff_notice_at) return {};
      PARLEY_ASSIGN_OR_RETURN(const auto bot, tx.bot(conversation.bot_id));
      if (!bot) return {};
      workspace = bot->workspace_id;
      const auto form = parse_lead_form(bot->settings);
      offer_form = form.ok() && form->enabled && conversation.lead_id.empty();
      conversation.handoff_notice_at = now_ms;
      PARLEY_TRY(tx.update_conversation_support(conversation));
      PARLEY_ASSIGN_OR_RETURN(notice, append_notice(tx, conversation, kNoAgentText));
      candidate = conversation;
      return {};
    });
    if (!status.ok()) {
      spdlog::warn("handoff: cannot tell the visitor of {} that nobody is free: {}", candidate.id, status.error().message);
      continue;
    }
    if (!notice) continue;
    ++told;
    hub_.publish(conversation_topic(candidate.id), "message", {{"message", live_message_view(*notice)}});
    hub_.publish(conversation_topic(candidate.id), "status",
                 {{"status", candidate.status}, {"no_agent", true}, {"offer_lead_form", offer_form}});
    hub_.publish(workspace_topic(workspace), "unclaimed", {{"conversation", support_view(candidate)}});
  }
  return told;
}

void HandoffSweeper::start() {
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      try {
        const auto swept = service_.sweep(unix_millis());
        if (!swept.ok()) spdlog::warn("handoff: sweep failed: {}", swept.error().message);
        hub_.ping_all();
      } catch (const std::exception& error) {
        spdlog::error("handoff: sweep failed: {}", error.what());
      }
      lock.lock();
      wake_.wait_for(lock, interval_, [this] { return stopping_; });
    }
  });
}

void HandoffSweeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace parley::leads
