// The lead form's outside input on arbitrary bytes: a submission's fields checked against a form (emails, phone
// numbers through libphonenumber, numbers, selects, sizes), the form and handoff settings themselves, and the raw
// bytes as an email address and as a phone number.
#include <cstdint>
#include <string>

#include "leads/handoff.h"
#include "leads/lead_form.h"
#include "leads/validation.h"
#include "notify/email.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using parley::leads::Json;
  const std::string input(reinterpret_cast<const char*>(data), size);
  (void)parley::notify::normalize_email(input);
  (void)parley::leads::normalize_phone(input, "US");
  (void)parley::leads::normalize_phone(input, "");
  const Json parsed = Json::parse(input, nullptr, false);
  if (parsed.is_discarded()) return 0;
  static const Json kDefaultForm = {{"leads",
                                     {{"enabled", true},
                                      {"default_country", "DE"},
                                      {"consent", "ok"},
                                      {"fields",
                                       {{{"name", "name"}, {"required", true}},
                                        {{"name", "email"}},
                                        {{"name", "phone"}},
                                        {{"name", "size"}, {"type", "select"}, {"options", {"S", "M"}}},
                                        {{"name", "seats"}, {"type", "number"}},
                                        {{"name", "ok"}, {"type", "checkbox"}},
                                        {{"name", "notes"}, {"type", "textarea"}}}}}}};
  // {"settings": {...}, "values": {...}, "consent": bool}, or any JSON as the values of the default form.
  Json settings = kDefaultForm;
  Json values = parsed;
  bool consent = true;
  if (parsed.is_object() && parsed.contains("values")) {
    values = parsed["values"];
    if (parsed.contains("settings")) settings = parsed["settings"];
    // The harness's own switch: a non-boolean means no consent (json::value would throw on the wrong type).
    const auto given = parsed.find("consent");
    consent = given != parsed.end() && given->is_boolean() && given->get<bool>();
    (void)parley::leads::parse_handoff_settings(settings);
    (void)parley::notify::validate_notification_settings(settings);
  }
  const auto form = parley::leads::parse_lead_form(settings);
  if (!form.ok()) return 0;
  (void)parley::leads::public_lead_form(*form);
  const auto checked = parley::leads::check_submission(*form, values, consent);
  (void)checked;
  return 0;
}
