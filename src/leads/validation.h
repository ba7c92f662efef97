// Checking what a visitor typed into the lead form: every field against its type, its size and the form's
// required flags; emails by syntax (notify::normalize_email); phone numbers parsed, checked and normalised to E.164
// with libphonenumber. Messages speak to the visitor ("add the country code, e.g. +44 20 7946 0958").
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/result.h"
#include "leads/lead_form.h"

namespace parley::leads {

constexpr std::size_t kMaxShortText = 200;   // name, company, text and select fields (characters)
constexpr std::size_t kMaxLongText = 2000;   // textarea fields

// A phone number as the visitor wrote it, in E.164 ("+14155552671"). Without a leading + (or 00) it is read as a
// number of `default_region` (ISO 3166, e.g. "US"); with no region it must start with +.
Result<std::string> normalize_phone(std::string_view text, std::string_view default_region);

// Whether libphonenumber knows `region` (an ISO 3166 code like "US").
bool is_phone_region(std::string_view region);

// The country a phone number without a country code is read in: the bot's settings.leads.default_country, else
// `visitor_region` (the region of the visitor's browser language) when it is a known one, else the region of the
// bot's language ("en-GB" → "GB"); empty when none is known.
std::string phone_country(const Json& settings, std::string_view visitor_region);

struct CleanLead {
  std::string name;
  std::string email;
  std::string phone;
  std::string company;
  Json fields = Json::object();  // custom fields, checked
  bool consented = false;
};

// Field name → what is wrong with it ("" for the consent checkbox: "consent").
using FieldErrors = std::map<std::string, std::string>;

struct CheckedSubmission {
  CleanLead lead;
  FieldErrors errors;  // empty when the submission is good
};

// Checks `values` (a JSON object of field name → string, number or boolean) against `form`. Unknown names are
// errors too, so a typo in an integration does not lose data silently.
CheckedSubmission check_submission(const LeadForm& form, const Json& values, bool consent);

}  // namespace parley::leads
