// Taking a lead: the visitor's submission is checked against the bot's form (validation.h), limited per visitor,
// de-duplicated per bot (same email — or same phone when one side has no email — updates the existing lead), tied
// to the visitor's conversation (a new one when the form came before any chat), and announced: lead.created to the
// webhooks and an email to the bot's recipients, written in the same transaction (notify/outbox.h).
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/result.h"
#include "leads/validation.h"
#include "notify/outbox.h"
#include "store/store.h"

namespace parley::leads {

// What an API or an export shows of a lead (also the "lead" of a lead.created event).
Json lead_json(const store::Lead& lead);

// Leads as CSV (RFC 4180, CR LF, a header row; custom fields as one JSON column). A cell starting with =, +, - or @
// gets a leading apostrophe, so a spreadsheet never runs a visitor's text as a formula.
std::string leads_csv(const std::vector<store::Lead>& leads);

// Where a submission says the form was shown; anything else is stored as "request".
std::string normalize_trigger(std::string_view trigger);

struct LeadSubmission {
  std::string bot_id;
  std::optional<std::string> conversation_id;  // the visitor's (from their token); none: a conversation is started
  Json values = Json::object();                // field name → value
  bool consent = false;
  std::string trigger;      // before_chat | after_messages | buying_intent | fallback | request | handoff
  std::string visitor_key;  // who is submitting, for the limit (the client's address)
  // The country a phone number without a country code is read in when the form sets none (leads.default_country):
  // the region of the visitor's browser language, sent by the widget ("US"); empty: the bot's language's region.
  std::string country = {};
};

struct LeadOutcome {
  FieldErrors errors;            // not empty: nothing was stored; tell the visitor what to fix
  std::optional<store::Lead> lead;
  bool created = false;          // false: an existing lead was updated
  std::string conversation_id;
};

struct LeadServiceOptions {
  int max_submissions = 5;  // per visitor and bot within `window`
  std::chrono::seconds window{600};
  notify::WakeDispatcher wake_dispatcher;
};

class LeadService {
 public:
  LeadService(store::Store& store, LeadServiceOptions options = {}) : store_(store), options_(std::move(options)) {}

  // A public submission (the widget, or any client of the public endpoint). Errors: no such bot/conversation, the
  // form is off, too many submissions (rate_limited); a bad field is not an error but `errors`.
  Result<LeadOutcome> submit(const LeadSubmission& submission);

 private:
  // False when this visitor has sent too many submissions lately (and counts this one otherwise).
  bool admit(const std::string& key);

  store::Store& store_;
  LeadServiceOptions options_;
  std::mutex limiter_mutex_;
  std::unordered_map<std::string, std::deque<std::chrono::steady_clock::time_point>> recent_;
};

}  // namespace parley::leads
