#include "leads/lead_service.h"

#include "common/clock.h"
#include "common/csv.h"
#include "notify/email.h"

namespace parley::leads {
namespace {

constexpr std::size_t kMaxTrackedVisitors = 100'000;

// Fills what `fresh` has into `existing` (a later submission completes or corrects an earlier one).
void merge(store::Lead& existing, const CleanLead& fresh) {
  if (!fresh.name.empty()) existing.name = fresh.name;
  if (!fresh.email.empty()) existing.email = fresh.email;
  if (!fresh.phone.empty()) existing.phone = fresh.phone;
  if (!fresh.company.empty()) existing.company = fresh.company;
  for (auto it = fresh.fields.begin(); it != fresh.fields.end(); ++it) existing.fields[it.key()] = *it;
}

// The lead this submission belongs to: the one with its email; else one with its phone, when that lead or the
// submission has no email (two people may share a company phone, but not an email address).
std::optional<store::Lead> same_person(const std::vector<store::Lead>& candidates, const CleanLead& fresh) {
  if (!fresh.email.empty()) {
    for (const auto& lead : candidates) {
      if (lead.email == fresh.email) return lead;
    }
  }
  if (!fresh.phone.empty()) {
    for (const auto& lead : candidates) {
      if (lead.phone == fresh.phone && (lead.email.empty() || fresh.email.empty())) return lead;
    }
  }
  return std::nullopt;
}

}  // namespace

Json lead_json(const store::Lead& lead) {
  return {{"id", lead.id},
          {"bot_id", lead.bot_id},
          {"name", lead.name},
          {"email", lead.email},
          {"phone", lead.phone},
          {"company", lead.company},
          {"fields", lead.fields},
          {"consent", lead.consented_at.has_value()},
          {"consent_text", lead.consent_text},
          {"consented_at", lead.consented_at ? Json(format_rfc3339(*lead.consented_at)) : Json(nullptr)},
          {"trigger", lead.trigger},
          {"conversation_id", lead.conversation_id.empty() ? Json(nullptr) : Json(lead.conversation_id)},
          {"submissions", lead.submissions},
          {"created_at", format_rfc3339(lead.created_at)},
          {"updated_at", format_rfc3339(lead.updated_at)}};
}

std::string leads_csv(const std::vector<store::Lead>& leads) {
  std::string out = "id,created_at,updated_at,name,email,phone,company,fields,consent,consented_at,trigger,conversation_id,submissions\r\n";
  for (const auto& lead : leads) {
    out += csv_field(lead.id) + "," + format_rfc3339(lead.created_at) + "," + format_rfc3339(lead.updated_at) + "," +
           csv_field(lead.name) + "," + csv_field(lead.email) + "," + lead.phone /* E.164: + and digits only */ + "," + csv_field(lead.company) +
           "," + csv_field(lead.fields.empty() ? std::string() : lead.fields.dump()) + "," +
           (lead.consented_at ? "yes" : "no") + "," + (lead.consented_at ? format_rfc3339(*lead.consented_at) : "") + "," +
           csv_field(lead.trigger) + "," + csv_field(lead.conversation_id) + "," + std::to_string(lead.submissions) + "\r\n";
  }
  return out;
}

std::string normalize_trigger(std::string_view trigger) {
  for (std::string_view known : {"before_chat", "after_messages", "buying_intent", "fallback", "request", "handoff"}) {
    if (trigger == known) return std::string(known);
  }
  return "request";
}

bool LeadService::admit(const std::string& key) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(limiter_mutex_);
  if (recent_.size() > kMaxTrackedVisitors) {
    // Forget visitors whose window has passed, so the table stays bounded under a flood of addresses.
    std::erase_if(recent_, [&](const auto& entry) { return entry.second.empty() || now - entry.second.back() > options_.window; });
  }
  auto& times = recent_[key];
  while (!times.empty() && now - times.front() > options_.window) times.pop_front();
  if (static_cast<int>(times.size()) >= options_.max_submissions) return false;
  times.push_back(now);
  return true;
}

Result<LeadOutcome> LeadService::submit(const LeadSubmission& submission) {
  std::optional<store::Bot> bot;
  PARLEY_TRY(store_.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(bot, tx.bot(submission.bot_id));
    return {};
  }));
  if (!bot) return make_error(ErrorCode::not_found, "no such bot");
  PARLEY_ASSIGN_OR_RETURN(const LeadForm form, parse_lead_form(bot->settings));
  if (!form.enabled) return make_error(ErrorCode::forbidden, "this bot does not take contact details");

  LeadOutcome outcome;
  LeadForm effective = form;
  if (effective.default_country.empty()) effective.default_country = phone_country(bot->settings, submission.country);
  CheckedSubmission checked = check_submission(effective, submission.values, submission.consent);
  if (!checked.errors.empty()) {
    outcome.errors = std::move(checked.errors);
    return outcome;
  }
  if (!admit(bot->id + "|" + submission.visitor_key)) {
    return make_error(ErrorCode::rate_limited, "you have sent your details several times already; please try again later");
  }
  const CleanLead& fresh = checked.lead;
  const auto bot_scope = store::Scope::workspace(bot->workspace_id);
  PARLEY_TRY(store_.write(bot_scope, [&](store::WriteTx& tx) -> Status {
    std::optional<store::Conversation> conversation;
    if (submission.conversation_id) {
      PARLEY_ASSIGN_OR_RETURN(conversation, tx.conversation(bot->id, *submission.conversation_id));
      if (!conversation) return make_error(ErrorCode::not_found, "no such conversation for this bot");
    } else {
      PARLEY_ASSIGN_OR_RETURN(conversation, tx.create_conversation(bot->id));
    }
    PARLEY_ASSIGN_OR_RETURN(const auto candidates, tx.leads_by_contact(bot->id, fresh.email, fresh.phone));
    std::optional<store::Lead> lead = same_person(candidates, fresh);
    const std::int64_t now = unix_millis();
    if (lead) {
      merge(*lead, fresh);
      lead->submissions += 1;
      lead->conversation_id = conversation->id;
      if (fresh.consented) {
        lead->consent_text = form.consent;
        lead->consented_at = now;
      }
      PARLEY_TRY(tx.update_lead(*lead));
    } else {
      store::Lead created;
      created.bot_id = bot->id;
      merge(created, fresh);
      created.trigger = normalize_trigger(submission.trigger);
      created.conversation_id = conversation->id;
      if (fresh.consented) {
        created.consent_text = form.consent;
        created.consented_at = now;
      }
      PARLEY_ASSIGN_OR_RETURN(lead, tx.create_lead(created));
      outcome.created = true;
      const auto event = notify::new_event(notify::event_type::lead_created, *bot,
                                           {{"lead", lead_json(*lead)}, {"conversation_id", conversation->id}});
      PARLEY_TRY(notify::enqueue(tx, event, notify::notification_emails(bot->settings)));
    }
    conversation->lead_id = lead->id;
    PARLEY_TRY(tx.update_conversation_support(*conversation));
    store::Message note;
    note.conversation_id = conversation->id;
    note.role = "system";
    note.text = "The visitor left their contact details.";
    PARLEY_TRY(tx.append_message(note));
    outcome.lead = std::move(lead);
    outcome.conversation_id = conversation->id;
    return {};
  }));
  if (outcome.created && options_.wake_dispatcher) options_.wake_dispatcher();
  return outcome;
}

}  // namespace parley::leads
