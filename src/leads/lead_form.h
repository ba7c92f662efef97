// A bot's lead form and when to show it: settings.leads.
//
//   {"enabled": true,
//    "fields": [{"name": "name", "label": "Your name", "type": "text", "required": true},
//               {"name": "email", "type": "email", "required": true},
//               {"name": "phone", "type": "phone"},
//               {"name": "company"},
//               {"name": "team_size", "label": "Team size", "type": "select", "options": ["1-10", "11-50", "50+"]}],
//    "consent": "I agree that Acme may contact me about my request.",
//    "default_country": "US",
//    "triggers": {"before_chat": false, "after_messages": 0, "buying_intent": true, "fallback": true,
//                 "on_request": true}}
//
// The standard fields name, email, phone and company become the lead's own columns; any other field (its name:
// a-z, 0-9, _) is a custom field. Types: text, textarea, email, phone, number, select, checkbox. A form without
// fields asks for name and email (required) and phone.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "leads/intent.h"
#include "store/types.h"

namespace parley::leads {

using Json = store::Json;

enum class FieldType { text, textarea, email, phone, number, select, checkbox };

struct FormField {
  std::string name;
  std::string label;  // empty: the widget shows the name
  FieldType type = FieldType::text;
  bool required = false;
  std::vector<std::string> options;  // select
};

struct LeadTriggers {
  bool before_chat = false;  // the form comes first; chatting starts after it (or after "not now")
  int after_messages = 0;    // offer it once the visitor has sent this many messages (0: never)
  bool buying_intent = true; // prices, quotes, demos, buying
  bool fallback = true;      // the bot could not answer
  bool on_request = true;    // the visitor asks to be contacted
};

struct LeadForm {
  bool enabled = false;
  std::vector<FormField> fields;
  std::string consent;          // empty: no consent checkbox
  std::string default_country;  // ISO 3166 region for phone numbers written without +; empty: + required
  LeadTriggers triggers;
};

constexpr std::size_t kMaxFormFields = 20;

// settings.leads of a bot; the defaults when absent. Errors name the setting at fault.
Result<LeadForm> parse_lead_form(const Json& settings);
Status validate_lead_settings(const Json& leads);

std::string_view field_type_name(FieldType type);

// What the widget needs (no secrets): the fields, the consent text and the triggers the widget acts on by itself
// (before_chat, after_messages, on_request's button); null when the form is off.
Json public_lead_form(const LeadForm& form);

// Why a chat turn offers the lead form, by the bot's triggers: "buying_intent", "request" (the visitor asks to be
// contacted) or "fallback" (the bot could not answer); empty when it does not (or the form is off).
std::string_view lead_form_trigger(const LeadForm& form, const Intent& intent, bool bot_could_not_answer);

}  // namespace parley::leads
