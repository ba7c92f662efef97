#include "leads/lead_form.h"

#include <set>

#include "common/utf8.h"

namespace parley::leads {
namespace {

constexpr std::size_t kMaxLabelBytes = 200;
constexpr std::size_t kMaxConsentBytes = 2000;
constexpr std::size_t kMaxOptions = 50;

Error bad(std::string_view key, std::string_view problem) {
  return make_error(ErrorCode::invalid_request, "settings.leads." + std::string(key) + " " + std::string(problem));
}

std::optional<FieldType> parse_field_type(std::string_view name) {
  for (FieldType type : {FieldType::text, FieldType::textarea, FieldType::email, FieldType::phone, FieldType::number,
                         FieldType::select, FieldType::checkbox}) {
    if (field_type_name(type) == name) return type;
  }
  return std::nullopt;
}

bool is_field_name(std::string_view name) {
  if (name.empty() || name.size() > 40) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Result<std::string> text_setting(const Json& value, std::string_view key, std::size_t max_bytes) {
  if (!value.is_string()) return bad(key, "must be a string");
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() > max_bytes) return bad(key, "is longer than " + std::to_string(max_bytes) + " bytes");
  if (!is_valid_utf8(text)) return bad(key, "is not valid UTF-8");
  return text;
}

// The type a standard field must have (name → email, ...), if it is one.
std::optional<FieldType> standard_type(std::string_view name) {
  if (name == "name" || name == "company") return FieldType::text;
  if (name == "email") return FieldType::email;
  if (name == "phone") return FieldType::phone;
  return std::nullopt;
}

Result<FormField> parse_field(const Json& value, std::size_t index) {
  const std::string key = "fields[" + std::to_string(index) + "]";
  if (!value.is_object()) return bad(key, "must be an object like {\"name\": \"email\", \"type\": \"email\"}");
  FormField field;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& name = it.key();
    if (name == "name") {
      if (!it->is_string() || !is_field_name(it->get<std::string>())) {
        return bad(key + ".name", "must be 1-40 characters of a-z, 0-9 and _");
      }
      field.name = it->get<std::string>();
    } else if (name == "label") {
      PARLEY_ASSIGN_OR_RETURN(field.label, text_setting(*it, key + ".label", kMaxLabelBytes));
    } else if (name == "type") {
      const auto type = it->is_string() ? parse_field_type(it->get<std::string>()) : std::nullopt;
      if (!type) return bad(key + ".type", "must be text, textarea, email, phone, number, select or checkbox");
      field.type = *type;
    } else if (name == "required") {
      if (!it->is_boolean()) return bad(key + ".required", "must be true or false");
      field.required = it->get<bool>();
    } else if (name == "options") {
      if (!it->is_array() || it->size() > kMaxOptions) return bad(key + ".options", "must be a list of up to 50 strings");
      for (const auto& option : *it) {
        PARLEY_ASSIGN_OR_RETURN(auto text, text_setting(option, key + ".options", kMaxLabelBytes));
        field.options.push_back(std::move(text));
      }
    } else {
      return bad(key + "." + name, "is not a field setting (name, label, type, required, options)");
    }
  }
  if (field.name.empty()) return bad(key + ".name", "is missing");
  if (!value.contains("type")) field.type = standard_type(field.name).value_or(FieldType::text);
  if (const auto standard = standard_type(field.name); standard && *standard != field.type) {
    return bad(key + ".type", "of the standard field \"" + field.name + "\" must be " + std::string(field_type_name(*standard)));
  }
  if (field.type == FieldType::select && field.options.empty()) return bad(key + ".options", "are needed for a select field");
  return field;
}

std::vector<FormField> default_fields() {
  return {{"name", "", FieldType::text, true, {}}, {"email", "", FieldType::email, true, {}}, {"phone", "", FieldType::phone, false, {}}};
}

Status parse_triggers(const Json& value, LeadTriggers& triggers) {
  if (!value.is_object()) return bad("triggers", "must be an object");
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& name = it.key();
    if (name == "after_messages") {
      if (!it->is_number_integer() || it->get<int>() < 0 || it->get<int>() > 100) {
        return bad("triggers.after_messages", "must be a whole number from 0 to 100");
      }
      triggers.after_messages = it->get<int>();
      continue;
    }
    bool* flag = name == "before_chat"     ? &triggers.before_chat
                 : name == "buying_intent" ? &triggers.buying_intent
                 : name == "fallback"      ? &triggers.fallback
                 : name == "on_request"    ? &triggers.on_request
                                           : nullptr;
    if (flag == nullptr) {
      return bad("triggers." + name, "is not a trigger (before_chat, after_messages, buying_intent, fallback, on_request)");
    }
    if (!it->is_boolean()) return bad("triggers." + name, "must be true or false");
    *flag = it->get<bool>();
  }
  return {};
}

}  // namespace

std::string_view field_type_name(FieldType type) {
  switch (type) {
    case FieldType::text: return "text";
    case FieldType::textarea: return "textarea";
    case FieldType::email: return "email";
    case FieldType::phone: return "phone";
    case FieldType::number: return "number";
    case FieldType::select: return "select";
    case FieldType::checkbox: return "checkbox";
  }
  return "text";
}

Result<LeadForm> parse_lead_form(const Json& settings) {
  LeadForm form;
  form.fields = default_fields();
  if (!settings.is_object()) return form;
  const auto leads = settings.find("leads");
  if (leads == settings.end() || leads->is_null()) return form;
  if (!leads->is_object()) return make_error(ErrorCode::invalid_request, "settings.leads must be an object");
  for (auto it = leads->begin(); it != leads->end(); ++it) {
    const std::string& key = it.key();
    if (key == "enabled") {
      if (!it->is_boolean()) return bad("enabled", "must be true or false");
      form.enabled = it->get<bool>();
    } else if (key == "fields") {
      if (!it->is_array()) return bad("fields", "must be a list");
      if (it->size() > kMaxFormFields) return bad("fields", "has more than 20 fields");
      if (it->empty()) continue;  // the defaults
      form.fields.clear();
      std::set<std::string> names;
      for (std::size_t i = 0; i < it->size(); ++i) {
        PARLEY_ASSIGN_OR_RETURN(auto field, parse_field((*it)[i], i));
        if (!names.insert(field.name).second) return bad("fields", "names \"" + field.name + "\" twice");
        form.fields.push_back(std::move(field));
      }
    } else if (key == "consent") {
      PARLEY_ASSIGN_OR_RETURN(form.consent, text_setting(*it, "consent", kMaxConsentBytes));
    } else if (key == "default_country") {
      PARLEY_ASSIGN_OR_RETURN(form.default_country, text_setting(*it, "default_country", 2));
      for (char& c : form.default_country) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (c < 'A' || c > 'Z') return bad("default_country", "must be a two-letter country code like US or DE");
      }
      if (form.default_country.size() == 1) return bad("default_country", "must be a two-letter country code like US or DE");
    } else if (key == "triggers") {
      PARLEY_TRY(parse_triggers(*it, form.triggers));
    } else {
      return bad(key, "is not a lead-form setting (enabled, fields, consent, default_country, triggers)");
    }
  }
  bool asks_contact = false;
  for (const auto& field : form.fields) asks_contact = asks_contact || field.name == "email" || field.name == "phone";
  if (!asks_contact) return bad("fields", "must include email or phone: a lead is someone the business can contact");
  return form;
}

Status validate_lead_settings(const Json& leads) {
  const auto parsed = parse_lead_form(Json{{"leads", leads}});
  if (!parsed.ok()) return parsed.error();
  return {};
}

Json public_lead_form(const LeadForm& form) {
  if (!form.enabled) return nullptr;
  Json fields = Json::array();
  for (const auto& field : form.fields) {
    Json view = {{"name", field.name}, {"label", field.label}, {"type", field_type_name(field.type)}, {"required", field.required}};
    if (!field.options.empty()) view["options"] = field.options;
    fields.push_back(std::move(view));
  }
  return {{"fields", fields},
          {"consent", form.consent},
          {"before_chat", form.triggers.before_chat},
          {"after_messages", form.triggers.after_messages},
          {"on_request", form.triggers.on_request}};
}

std::string_view lead_form_trigger(const LeadForm& form, const Intent& intent, bool bot_could_not_answer) {
  if (!form.enabled) return {};
  if (form.triggers.on_request && intent.wants_contact) return "request";
  if (form.triggers.buying_intent && intent.buying) return "buying_intent";
  if (form.triggers.fallback && bot_could_not_answer) return "fallback";
  return {};
}

}  // namespace parley::leads
