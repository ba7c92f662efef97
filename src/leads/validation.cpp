#include "leads/validation.h"

#include <phonenumbers/phonenumberutil.h>

#include <cctype>
#include <cmath>

#include "common/utf8.h"
#include "notify/email.h"

namespace parley::leads {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::size_t kMaxPhoneBytes = 64;

// Control characters have no place in a form field (a textarea keeps its line breaks).
bool has_control_characters(std::string_view text, bool allow_newlines) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (allow_newlines && (c == '\n' || c == '\r' || c == '\t')) continue;
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

// A text field's value, or what is wrong with it.
std::optional<std::string> check_text(const std::string& text, std::size_t max_chars, bool multiline, bool plain_name,
                                      std::string& error) {
  if (!is_valid_utf8(text)) {
    error = "this is not valid text";
    return std::nullopt;
  }
  if (has_control_characters(text, multiline)) {
    error = "this contains control characters";
    return std::nullopt;
  }
  if (count_code_points(text) > max_chars) {
    error = "this is longer than " + std::to_string(max_chars) + " characters";
    return std::nullopt;
  }
  // Names and company names never contain markup; refusing < and > keeps pasted HTML out of them.
  if (plain_name && text.find_first_of("<>") != std::string::npos) {
    error = "please use letters only, without < or >";
    return std::nullopt;
  }
  return text;
}

}  // namespace

Result<std::string> normalize_phone(std::string_view text, std::string_view default_region) {
  const std::string raw = trim(text);
  if (raw.empty()) return make_error(ErrorCode::invalid_request, "the phone number is empty");
  if (raw.size() > kMaxPhoneBytes || !is_valid_utf8(raw)) {
    return make_error(ErrorCode::invalid_request, "this is not a phone number");
  }
  const bool international = raw.front() == '+' || raw.starts_with("00");
  if (!international && default_region.empty()) {
    return make_error(ErrorCode::invalid_request, "add the country code, e.g. +44 20 7946 0958");
  }
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  const std::string region = international ? "ZZ" : std::string(default_region);
  const std::string input = raw.starts_with("00") ? "+" + raw.substr(2) : raw;
  if (util.Parse(input, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return make_error(ErrorCode::invalid_request, "this is not a phone number");
  }
  if (!util.IsValidNumber(number)) {
    return make_error(ErrorCode::invalid_request,
                      international ? "this phone number does not exist; check the digits"
                                    : "this phone number does not exist; check the digits, or add the country code");
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

bool is_phone_region(std::string_view region) {
  if (region.size() != 2 || !std::isupper(static_cast<unsigned char>(region[0])) ||
      !std::isupper(static_cast<unsigned char>(region[1]))) {
    return false;
  }
  return PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(std::string(region)) != 0;
}

std::string phone_country(const Json& settings, std::string_view visitor_region) {
  if (const auto form = parse_lead_form(settings); form.ok() && !form->default_country.empty()) return form->default_country;
  if (is_phone_region(visitor_region)) return std::string(visitor_region);
  if (settings.is_object()) {
    if (const auto language = settings.find("language"); language != settings.end() && language->is_string()) {
      const std::string& tag = language->get_ref<const std::string&>();
      if (const auto dash = tag.find_first_of("-_"); dash != std::string::npos) {
        std::string region = tag.substr(dash + 1, 2);
        for (char& c : region) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (tag.size() == dash + 3 && is_phone_region(region)) return region;
      }
    }
  }
  return {};
}

CheckedSubmission check_submission(const LeadForm& form, const Json& values, bool consent) {
  CheckedSubmission out;
  FieldErrors& errors = out.errors;
  CleanLead& lead = out.lead;
  if (!values.is_object()) {
    errors["fields"] = "send the fields as an object";
    return out;
  }
  for (auto it = values.begin(); it != values.end(); ++it) {
    bool known = false;
    for (const auto& field : form.fields) known = known || field.name == it.key();
    if (!known) errors[it.key()] = "this form has no such field";
  }
  for (const auto& field : form.fields) {
    const auto it = values.find(field.name);
    const bool absent = it == values.end() || it->is_null() || (it->is_string() && trim(it->get<std::string>()).empty()) ||
                        (field.type == FieldType::checkbox && it->is_boolean() && !it->get<bool>());
    if (absent) {
      if (field.required) errors[field.name] = "this is required";
      continue;
    }
    std::string error;
    switch (field.type) {
      case FieldType::checkbox:
        if (!it->is_boolean()) error = "this must be checked or not";
        else lead.fields[field.name] = true;
        break;
      case FieldType::number: {
        double value = 0;
        if (it->is_number()) {
          value = it->get<double>();
        } else if (it->is_string()) {
          const std::string text = trim(it->get<std::string>());
          char* end = nullptr;
          value = text.size() <= 32 ? std::strtod(text.c_str(), &end) : NAN;
          if (end == nullptr || *end != '\0') value = NAN;
        } else {
          value = NAN;
        }
        if (!std::isfinite(value) || std::fabs(value) > 1e15) error = "this must be a number";
        else lead.fields[field.name] = value;
        break;
      }
      default: {
        if (!it->is_string()) {
          error = "this must be text";
          break;
        }
        const std::string text = trim(it->get<std::string>());
        if (field.type == FieldType::email) {
          const auto email = notify::normalize_email(text);
          if (!email.ok()) error = email.error().message;
          else lead.email = *email;
        } else if (field.type == FieldType::phone) {
          const auto phone = normalize_phone(text, form.default_country);
          if (!phone.ok()) error = phone.error().message;
          else lead.phone = *phone;
        } else if (field.type == FieldType::select) {
          if (std::find(field.options.begin(), field.options.end(), text) == field.options.end()) {
            error = "choose one of the options";
          } else {
            lead.fields[field.name] = text;
          }
        } else {
          const bool standard = field.name == "name" || field.name == "company";
          const auto checked = check_text(text, field.type == FieldType::textarea ? kMaxLongText : kMaxShortText,
                                          field.type == FieldType::textarea, standard, error);
          if (!checked) break;
          if (field.name == "name") lead.name = *checked;
          else if (field.name == "company") lead.company = *checked;
          else lead.fields[field.name] = *checked;
        }
      }
    }
    if (!error.empty()) errors[field.name] = error;
  }
  if (!form.consent.empty() && !consent) errors["consent"] = "please agree, so that we may contact you";
  lead.consented = !form.consent.empty() && consent;
  return out;
}

}  // namespace parley::leads
