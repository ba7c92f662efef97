#include "engine/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "engine/jinja/error.h"

namespace parley::engine::jinja {

Value Value::undefined(std::string name) {
  Value value;
  value.data_ = Undefined{std::move(name)};
  return value;
}

Value Value::none() {
  Value value;
  value.data_ = std::monostate{};
  return value;
}

Value Value::boolean(bool b) {
  Value value;
  value.data_ = b;
  return value;
}

Value Value::integer(int64_t i) {
  Value value;
  value.data_ = i;
  return value;
}

Value Value::floating(double d) {
  Value value;
  value.data_ = d;
  return value;
}

Value Value::string(std::string s) {
  Value value;
  value.data_ = std::move(s);
  return value;
}

Value Value::array(Array items) {
  Value value;
  value.data_ = std::make_shared<const Array>(std::move(items));
  return value;
}

Value Value::object(std::shared_ptr<Object> object) {
  Value value;
  value.data_ = std::move(object);
  return value;
}

Value Value::callable(std::shared_ptr<const Callable> callable) {
  Value value;
  value.data_ = std::move(callable);
  return value;
}

double Value::as_double() const {
  switch (kind()) {
    case Kind::integer: return static_cast<double>(as_int());
    case Kind::boolean: return as_bool() ? 1.0 : 0.0;
    default: return std::get<double>(data_);
  }
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::undefined:
    case Kind::none: return false;
    case Kind::boolean: return as_bool();
    case Kind::integer: return as_int() != 0;
    case Kind::floating: return as_double() != 0.0;
    case Kind::string: return !as_string().empty();
    case Kind::array: return !as_array().empty();
    case Kind::object: return as_object().size() != 0;
    case Kind::callable: return true;
  }
  return false;
}

const Value* Object::find(std::string_view key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

void Object::set(std::string key, Value value) {
  if (const auto it = index_.find(key); it != index_.end()) {
    entries_[it->second].second = std::move(value);
    return;
  }
  index_.emplace(key, entries_.size());
  entries_.emplace_back(std::move(key), std::move(value));
}

void Object::clear() {
  // Move the entries out first: destroying them may release objects whose own clear() runs re-entrantly.
  auto entries = std::move(entries_);
  entries_.clear();
  index_.clear();
}

namespace {

void check_depth(int depth) {
  if (depth > kMaxValueDepth) throw JinjaError("value nested too deeply (a namespace that contains itself?)");
}

// Text being printed, with a bound checked after each item so that printing a huge list fails early.
struct Printer {
  std::string out;
  std::size_t max_bytes;

  void check() const {
    if (out.size() > max_bytes) {
      throw JinjaError("printed value longer than the limit of " + std::to_string(max_bytes) + " bytes");
    }
  }
};

void append_python_string_repr(std::string& out, const std::string& text) {
  const bool has_single = text.find('\'') != std::string::npos;
  const bool has_double = text.find('"') != std::string::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  out += quote;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == quote || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", byte);
      out += buffer;
    } else {
      out += c;
    }
  }
  out += quote;
}

void append_repr(Printer& printer, const Value& value, int depth) {
  check_depth(depth);
  std::string& out = printer.out;
  switch (value.kind()) {
    case Value::Kind::undefined: return;
    case Value::Kind::none: out += "None"; return;
    case Value::Kind::boolean: out += value.as_bool() ? "True" : "False"; return;
    case Value::Kind::integer: out += std::to_string(value.as_int()); return;
    case Value::Kind::floating: out += python_float_repr(value.as_double()); return;
    case Value::Kind::string: append_python_string_repr(out, value.as_string()); return;
    case Value::Kind::array: {
      out += '[';
      bool first = true;
      for (const Value& item : value.as_array()) {
        if (!first) out += ", ";
        first = false;
        append_repr(printer, item, depth + 1);
        printer.check();
      }
      out += ']';
      return;
    }
    case Value::Kind::object: {
      const Object& object = value.as_object();
      if (object.is_namespace()) out += "<Namespace ";
      out += '{';
      bool first = true;
      for (const auto& [key, item] : object.entries()) {
        if (!first) out += ", ";
        first = false;
        append_python_string_repr(out, key);
        out += ": ";
        append_repr(printer, item, depth + 1);
        printer.check();
      }
      out += '}';
      if (object.is_namespace()) out += '>';
      return;
    }
    case Value::Kind::callable: out += "<function " + value.as_callable().name + ">"; return;
  }
}

void append_json_string(std::string& out, const std::string& text, bool ensure_ascii) {
  out += '"';
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte >= 0x80) {
      const std::size_t start = pos;
      const char32_t cp = utf8_decode(text, pos);
      if (!ensure_ascii && cp != U'\uFFFD') {
        out.append(text, start, pos - start);
        continue;
      }
      char buffer[16];
      if (cp >= 0x10000) {
        const char32_t v = cp - 0x10000;
        std::snprintf(buffer, sizeof buffer, "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 + (v >> 10)),
                      static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
      } else {
        std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(cp));
      }
      out += buffer;
      continue;
    }
    ++pos;
    switch (byte) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (byte < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", byte);
          out += buffer;
        } else {
          out += static_cast<char>(byte);
        }
    }
  }
  out += '"';
}

void append_json(Printer& printer, const Value& value, const JsonFormat& format, int depth) {
  check_depth(depth);
  std::string& out = printer.out;
  const std::string& item_separator =
      !format.item_separator.empty() ? format.item_separator : (format.indent >= 0 ? "," : ", ");
  const auto newline = [&](int level) {
    if (format.indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(format.indent) * static_cast<std::size_t>(level), ' ');
  };
  switch (value.kind()) {
    case Value::Kind::undefined:
    case Value::Kind::none: out += "null"; return;
    case Value::Kind::boolean: out += value.as_bool() ? "true" : "false"; return;
    case Value::Kind::integer: out += std::to_string(value.as_int()); return;
    case Value::Kind::floating: {
      const double d = value.as_double();
      if (std::isnan(d)) out += "NaN";
      else if (std::isinf(d)) out += d > 0 ? "Infinity" : "-Infinity";
      else out += python_float_repr(d);
      return;
    }
    case Value::Kind::string: append_json_string(out, value.as_string(), format.ensure_ascii); return;
    case Value::Kind::array: {
      const Array& items = value.as_array();
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += item_separator;
        newline(depth + 1);
        append_json(printer, items[i], format, depth + 1);
        printer.check();
      }
      newline(depth);
      out += ']';
      return;
    }
    case Value::Kind::object: {
      std::vector<const std::pair<std::string, Value>*> entries;
      for (const auto& entry : value.as_object().entries()) entries.push_back(&entry);
      if (entries.empty()) {
        out += "{}";
        return;
      }
      if (format.sort_keys) {
        std::sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
      }
      out += '{';
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) out += item_separator;
        newline(depth + 1);
        append_json_string(out, entries[i]->first, format.ensure_ascii);
        out += format.key_separator;
        append_json(printer, entries[i]->second, format, depth + 1);
        printer.check();
      }
      newline(depth);
      out += '}';
      return;
    }
    case Value::Kind::callable: throw JinjaError("a function cannot be serialised to JSON");
  }
}

bool equal_at_depth(const Value& left, const Value& right, int depth) {
  check_depth(depth);
  const bool left_numeric = left.is_number() || left.is_bool();
  const bool right_numeric = right.is_number() || right.is_bool();
  if (left_numeric && right_numeric) {
    if (left.is_float() || right.is_float()) return left.as_double() == right.as_double();
    const auto as_int = [](const Value& v) { return v.is_bool() ? int64_t{v.as_bool()} : v.as_int(); };
    return as_int(left) == as_int(right);
  }
  if (left.kind() != right.kind()) return false;
  switch (left.kind()) {
    case Value::Kind::undefined:
    case Value::Kind::none: return true;
    case Value::Kind::string: return left.as_string() == right.as_string();
    case Value::Kind::array: {
      const Array& a = left.as_array();
      const Array& b = right.as_array();
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!equal_at_depth(a[i], b[i], depth + 1)) return false;
      }
      return true;
    }
    case Value::Kind::object: {
      const Object& a = left.as_object();
      const Object& b = right.as_object();
      if (&a == &b) return true;
      if (a.size() != b.size()) return false;
      for (const auto& [key, item] : a.entries()) {
        const Value* other = b.find(key);
        if (other == nullptr || !equal_at_depth(item, *other, depth + 1)) return false;
      }
      return true;
    }
    case Value::Kind::callable: return &left.as_callable() == &right.as_callable();
    default: return false;
  }
}

}  // namespace

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Shortest round-trip digits in scientific form, e.g. "-1.2345e+02", then laid out the way Python's repr does.
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  const std::size_t e_pos = text.find('e');
  std::string sign;
  std::string digits;
  for (std::size_t i = 0; i < e_pos; ++i) {
    if (text[i] == '-') sign = "-";
    else if (text[i] != '.') digits += text[i];
  }
  int exponent = 0;
  std::string_view exponent_text = text.substr(e_pos + 1);
  if (!exponent_text.empty() && exponent_text.front() == '+') exponent_text.remove_prefix(1);
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  std::string out = sign;
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      const auto integer_digits = static_cast<std::size_t>(exponent) + 1;
      if (digits.size() <= integer_digits) {
        out += digits + std::string(integer_digits - digits.size(), '0') + ".0";
      } else {
        out += digits.substr(0, integer_digits) + "." + digits.substr(integer_digits);
      }
    } else {
      out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char exponent_buffer[16];
  std::snprintf(exponent_buffer, sizeof exponent_buffer, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return out + exponent_buffer;
}

std::string to_display_string(const Value& value, std::size_t max_bytes) {
  if (value.is_undefined()) return {};
  if (value.is_string()) return value.as_string();
  return to_repr(value, max_bytes);
}

std::string to_repr(const Value& value, std::size_t max_bytes) {
  Printer printer{{}, max_bytes};
  append_repr(printer, value, 0);
  printer.check();
  return std::move(printer.out);
}

std::string to_json(const Value& value, const JsonFormat& format, std::size_t max_bytes) {
  Printer printer{{}, max_bytes};
  append_json(printer, value, format, 0);
  printer.check();
  return std::move(printer.out);
}

namespace {

Value from_json_at_depth(const nlohmann::json& json, int depth) {
  check_depth(depth);
  switch (json.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded: return Value::none();
    case nlohmann::json::value_t::boolean: return Value::boolean(json.get<bool>());
    case nlohmann::json::value_t::number_integer: return Value::integer(json.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const auto u = json.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return Value::integer(static_cast<int64_t>(u));
      return Value::floating(static_cast<double>(u));
    }
    case nlohmann::json::value_t::number_float: return Value::floating(json.get<double>());
    case nlohmann::json::value_t::string: return Value::string(json.get<std::string>());
    case nlohmann::json::value_t::binary: return Value::none();
    case nlohmann::json::value_t::array: {
      Array items;
      items.reserve(json.size());
      for (const auto& item : json) items.push_back(from_json_at_depth(item, depth + 1));
      return Value::array(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      auto object = std::make_shared<Object>();
      for (const auto& [key, item] : json.items()) object->set(key, from_json_at_depth(item, depth + 1));
      return Value::object(std::move(object));
    }
  }
  return Value::none();
}

}  // namespace

Value from_json(const nlohmann::json& json) { return from_json_at_depth(json, 0); }

bool values_equal(const Value& left, const Value& right) { return equal_at_depth(left, right, 0); }

int compare_values(const Value& left, const Value& right) {
  const bool left_numeric = left.is_number() || left.is_bool();
  const bool right_numeric = right.is_number() || right.is_bool();
  if (left_numeric && right_numeric) {
    if (left.is_int() && right.is_int()) return left.as_int() < right.as_int() ? -1 : left.as_int() > right.as_int();
    const double a = left.as_double();
    const double b = right.as_double();
    return a < b ? -1 : (a > b ? 1 : 0);
  }
  if (left.is_string() && right.is_string()) {
    const int c = left.as_string().compare(right.as_string());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (left.is_array() && right.is_array()) {
    const Array& a = left.as_array();
    const Array& b = right.as_array();
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (const int c = compare_values(a[i], b[i]); c != 0) return c;
    }
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
  }
  throw JinjaError("cannot order values of types '" + std::string(type_name(left)) + "' and '" +
                   std::string(type_name(right)) + "'");
}

std::string_view type_name(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::undefined: return "undefined";
    case Value::Kind::none: return "NoneType";
    case Value::Kind::boolean: return "bool";
    case Value::Kind::integer: return "int";
    case Value::Kind::floating: return "float";
    case Value::Kind::string: return "str";
    case Value::Kind::array: return "list";
    case Value::Kind::object: return value.as_object().is_namespace() ? "Namespace" : "dict";
    case Value::Kind::callable: return "function";
  }
  return "unknown";
}

}  // namespace parley::engine::jinja
