#include "engine/jinja/builtins.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/utf8.h"
#include "engine/jinja/error.h"
#include "engine/jinja/interpreter.h"
#include "engine/jinja/python_string.h"

namespace parley::engine::jinja {
namespace {

// Binds a call's arguments to named parameters as Python does: positional ones in order, then keywords by name.
class Params {
 public:
  Params(std::string_view function, const CallArgs& args, std::initializer_list<std::string_view> names,
         bool variadic = false)
      : function_(function), names_(names), values_(names.size()), present_(names.size(), false) {
    for (std::size_t i = 0; i < args.positional.size(); ++i) {
      if (i < names_.size()) {
        values_[i] = args.positional[i];
        present_[i] = true;
      } else if (variadic) {
        rest_.push_back(args.positional[i]);
      } else {
        throw JinjaError(function_ + "() takes at most " + std::to_string(names_.size()) + " arguments (" +
                         std::to_string(args.positional.size()) + " given)");
      }
    }
    for (const auto& [key, value] : args.keyword) {
      const auto it = std::find(names_.begin(), names_.end(), key);
      if (it == names_.end()) throw JinjaError(function_ + "() got an unexpected keyword argument '" + key + "'");
      const auto index = static_cast<std::size_t>(it - names_.begin());
      if (present_[index]) throw JinjaError(function_ + "() got multiple values for argument '" + key + "'");
      values_[index] = value;
      present_[index] = true;
    }
  }

  // Given and not None.
  bool has(std::size_t i) const { return present_[i] && !values_[i].is_none(); }
  const Value& value(std::size_t i) const { return values_[i]; }
  const std::vector<Value>& rest() const { return rest_; }

  int64_t integer(std::size_t i, int64_t fallback) const {
    if (!has(i)) return fallback;
    const Value& v = values_[i];
    if (v.is_int()) return v.as_int();
    if (v.is_bool()) return v.as_bool() ? 1 : 0;
    throw JinjaError(function_ + "(): argument '" + std::string(names_[i]) + "' must be an integer, not " +
                     std::string(type_name(v)));
  }
  bool boolean(std::size_t i, bool fallback) const { return has(i) ? values_[i].truthy() : fallback; }
  std::optional<std::string> optional_string(std::size_t i) const {
    if (!has(i)) return std::nullopt;
    if (!values_[i].is_string()) {
      throw JinjaError(function_ + "(): argument '" + std::string(names_[i]) + "' must be a string, not " +
                       std::string(type_name(values_[i])));
    }
    return values_[i].as_string();
  }
  std::string string(std::size_t i) const {
    auto text = optional_string(i);
    if (!text) throw JinjaError(function_ + "() missing required argument '" + std::string(names_[i]) + "'");
    return *text;
  }

 private:
  std::string function_;
  std::vector<std::string_view> names_;
  std::vector<Value> values_;
  std::vector<bool> present_;
  std::vector<Value> rest_;
};

using Method = Value (*)(Interpreter&, const Value& self, CallArgs& args);

Value bind_method(std::string name, const Value& self, Method method) {
  auto callable = std::make_shared<Callable>();
  callable->name = std::move(name);
  callable->call = [self, method](Interpreter& interpreter, CallArgs& args) { return method(interpreter, self, args); };
  return Value::callable(std::move(callable));
}

Value make_function(std::string name, std::function<Value(Interpreter&, CallArgs&)> fn) {
  auto callable = std::make_shared<Callable>();
  callable->name = std::move(name);
  callable->call = std::move(fn);
  return Value::callable(std::move(callable));
}

// Non-strings converted for string filters are small in any real template; a huge list printed this way is cut off
// by this bound before the result meets the interpreter's own size checks.
constexpr std::size_t kDisplayLimit = 64u << 20;

// Jinja converts a non-string operand of a string filter with str().
std::string soft_string(const Value& value) {
  return value.is_string() ? value.as_string() : to_display_string(value, kDisplayLimit);
}

const std::string& require_string(const Value& value, std::string_view what) {
  if (!value.is_string()) {
    throw JinjaError(std::string(what) + " expects a string, not " + std::string(type_name(value)));
  }
  return value.as_string();
}

std::size_t length_of(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::undefined: return 0;
    case Value::Kind::string: return code_point_count(value.as_string());
    case Value::Kind::array: return value.as_array().size();
    case Value::Kind::object: return value.as_object().size();
    default: throw JinjaError("object of type '" + std::string(type_name(value)) + "' has no len()");
  }
}

std::optional<int64_t> slice_bound(const Value& value) {
  if (value.is_undefined() || value.is_none()) return std::nullopt;
  if (value.is_int()) return value.as_int();
  if (value.is_bool()) return value.as_bool() ? 1 : 0;
  throw JinjaError("slice indices must be integers or None");
}

// `attribute` of a filter such as map or sort: a dotted path whose numeric parts index lists ("user.name", "0").
Value attribute_path(const Value& item, std::string_view path) {
  Value current = item;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = path.find('.', start);
    const std::string_view part = path.substr(start, dot == std::string_view::npos ? std::string_view::npos
                                                                                   : dot - start);
    const bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric && part.size() < 18) {
      current = get_item(current, Value::integer(std::strtoll(std::string(part).c_str(), nullptr, 10)));
    } else {
      current = get_item(current, Value::string(std::string(part)));
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return current;
}

// ---- string methods ----

Value method_strip_impl(Interpreter& interpreter, const Value& self, CallArgs& args, std::string_view name,
                        StripSide side) {
  const Params params(name, args, {"chars"});
  return interpreter.make_string(python_strip(self.as_string(), params.optional_string(0), side));
}

Value method_strip(Interpreter& in, const Value& self, CallArgs& args) {
  return method_strip_impl(in, self, args, "strip", StripSide::both);
}
Value method_lstrip(Interpreter& in, const Value& self, CallArgs& args) {
  return method_strip_impl(in, self, args, "lstrip", StripSide::left);
}
Value method_rstrip(Interpreter& in, const Value& self, CallArgs& args) {
  return method_strip_impl(in, self, args, "rstrip", StripSide::right);
}

Value method_split(Interpreter& interpreter, const Value& self, CallArgs& args) {
  const Params params("split", args, {"sep", "maxsplit"});
  Array parts;
  for (auto& part : python_split(self.as_string(), params.optional_string(0), params.integer(1, -1))) {
    parts.push_back(Value::string(std::move(part)));
  }
  return interpreter.make_array(std::move(parts));
}

// startswith/endswith accept one string or a tuple of them.
Value affix_test(const Value& self, CallArgs& args, std::string_view name, bool prefix) {
  const Params params(name, args, {"affix"});
  const std::string& text = self.as_string();
  const auto matches = [&](const Value& affix) {
    const std::string& a = require_string(affix, std::string(name) + "()");
    return prefix ? text.starts_with(a) : text.ends_with(a);
  };
  const Value& affix = params.value(0);
  if (affix.is_array()) {
    return Value::boolean(std::any_of(affix.as_array().begin(), affix.as_array().end(), matches));
  }
  return Value::boolean(matches(affix));
}

Value method_startswith(Interpreter&, const Value& self, CallArgs& args) {
  return affix_test(self, args, "startswith", true);
}
Value method_endswith(Interpreter&, const Value& self, CallArgs& args) {
  return affix_test(self, args, "endswith", false);
}

Value method_upper(Interpreter& in, const Value& self, CallArgs& args) {
  Params("upper", args, {});
  return in.make_string(python_upper(self.as_string()));
}
Value method_lower(Interpreter& in, const Value& self, CallArgs& args) {
  Params("lower", args, {});
  return in.make_string(python_lower(self.as_string()));
}
Value method_title(Interpreter& in, const Value& self, CallArgs& args) {
  Params("title", args, {});
  return in.make_string(python_title(self.as_string()));
}
Value method_capitalize(Interpreter& in, const Value& self, CallArgs& args) {
  Params("capitalize", args, {});
  return in.make_string(python_capitalize(self.as_string()));
}

Value replace_impl(Interpreter& interpreter, const std::string& text, const Params& params) {
  return interpreter.make_string(
      python_replace(text, params.string(0), params.string(1), params.integer(2, -1), interpreter.max_string_bytes()));
}

Value method_replace(Interpreter& in, const Value& self, CallArgs& args) {
  return replace_impl(in, self.as_string(), Params("replace", args, {"old", "new", "count"}));
}

Value method_find(Interpreter&, const Value& self, CallArgs& args) {
  const Params params("find", args, {"sub"});
  const std::string& text = self.as_string();
  const std::size_t found = text.find(params.string(0));
  if (found == std::string::npos) return Value::integer(-1);
  return Value::integer(static_cast<int64_t>(code_point_count(std::string_view(text).substr(0, found))));
}

Value method_count(Interpreter&, const Value& self, CallArgs& args) {
  const Params params("count", args, {"sub"});
  const std::string& text = self.as_string();
  const std::string sub = params.string(0);
  if (sub.empty()) return Value::integer(static_cast<int64_t>(code_point_count(text) + 1));
  int64_t count = 0;
  for (std::size_t pos = text.find(sub); pos != std::string::npos; pos = text.find(sub, pos + sub.size())) ++count;
  return Value::integer(count);
}

Value method_join(Interpreter& interpreter, const Value& self, CallArgs& args) {
  const Params params("join", args, {"iterable"});
  const Value items = iterable_items(interpreter, params.value(0));
  std::string out;
  bool first = true;
  for (const Value& item : items.as_array()) {
    if (!first) append_bounded(out, self.as_string(), interpreter.max_string_bytes());
    first = false;
    append_bounded(out, require_string(item, "str.join()"), interpreter.max_string_bytes());
  }
  return interpreter.make_string(std::move(out));
}

template <bool (*Predicate)(char32_t)>
Value character_class_method(const Value& self) {
  const std::u32string cps = decode_code_points(self.as_string());
  return Value::boolean(!cps.empty() && std::all_of(cps.begin(), cps.end(), Predicate));
}
bool is_ascii_digit(char32_t cp) { return cp >= '0' && cp <= '9'; }
bool is_ascii_alpha(char32_t cp) { return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'); }
bool is_ascii_alnum(char32_t cp) { return is_ascii_digit(cp) || is_ascii_alpha(cp); }

Value method_isdigit(Interpreter&, const Value& self, CallArgs& args) {
  Params("isdigit", args, {});
  return character_class_method<is_ascii_digit>(self);
}
Value method_isalpha(Interpreter&, const Value& self, CallArgs& args) {
  Params("isalpha", args, {});
  return character_class_method<is_ascii_alpha>(self);
}
Value method_isalnum(Interpreter&, const Value& self, CallArgs& args) {
  Params("isalnum", args, {});
  return character_class_method<is_ascii_alnum>(self);
}
Value method_isspace(Interpreter&, const Value& self, CallArgs& args) {
  Params("isspace", args, {});
  return character_class_method<is_python_space>(self);
}

// ---- dict methods ----

Value items_of(Interpreter& interpreter, const Object& object) {
  Array items;
  items.reserve(object.size());
  for (const auto& [key, value] : object.entries()) items.push_back(Value::array({Value::string(key), value}));
  return interpreter.make_array(std::move(items));
}

Value method_items(Interpreter& in, const Value& self, CallArgs& args) {
  Params("items", args, {});
  return items_of(in, self.as_object());
}
Value method_keys(Interpreter& in, const Value& self, CallArgs& args) {
  Params("keys", args, {});
  Array keys;
  for (const auto& [key, value] : self.as_object().entries()) keys.push_back(Value::string(key));
  return in.make_array(std::move(keys));
}
Value method_values(Interpreter& in, const Value& self, CallArgs& args) {
  Params("values", args, {});
  Array values;
  for (const auto& [key, value] : self.as_object().entries()) values.push_back(value);
  return in.make_array(std::move(values));
}
Value method_get(Interpreter&, const Value& self, CallArgs& args) {
  const Params params("get", args, {"key", "default"});
  if (params.value(0).is_string()) {
    if (const Value* found = self.as_object().find(params.value(0).as_string())) return *found;
  }
  return params.value(1).is_undefined() ? Value::none() : params.value(1);
}

const std::unordered_map<std::string_view, Method>& string_methods() {
  static const std::unordered_map<std::string_view, Method> methods = {
      {"strip", method_strip},       {"lstrip", method_lstrip},         {"rstrip", method_rstrip},
      {"split", method_split},       {"startswith", method_startswith}, {"endswith", method_endswith},
      {"upper", method_upper},       {"lower", method_lower},           {"title", method_title},
      {"capitalize", method_capitalize}, {"replace", method_replace},   {"find", method_find},
      {"count", method_count},       {"join", method_join},             {"isdigit", method_isdigit},
      {"isalpha", method_isalpha},   {"isalnum", method_isalnum},       {"isspace", method_isspace},
  };
  return methods;
}

const std::unordered_map<std::string_view, Method>& dict_methods() {
  static const std::unordered_map<std::string_view, Method> methods = {
      {"items", method_items}, {"keys", method_keys}, {"values", method_values}, {"get", method_get}};
  return methods;
}

// ---- filters ----

using Filter = Value (*)(Interpreter&, const Value& operand, CallArgs& args);

Value filter_length(Interpreter&, const Value& operand, CallArgs& args) {
  Params("length", args, {});
  return Value::integer(static_cast<int64_t>(length_of(operand)));
}

Value filter_default(Interpreter&, const Value& operand, CallArgs& args) {
  const Params params("default", args, {"default_value", "boolean"});
  const bool use_default = operand.is_undefined() || (params.boolean(1, false) && !operand.truthy());
  if (!use_default) return operand;
  return params.value(0).is_undefined() ? Value::string("") : params.value(0);
}

Value filter_trim(Interpreter& in, const Value& operand, CallArgs& args) {
  const Params params("trim", args, {"chars"});
  return in.make_string(python_strip(soft_string(operand), params.optional_string(0), StripSide::both));
}

Value filter_upper(Interpreter& in, const Value& operand, CallArgs& args) {
  Params("upper", args, {});
  return in.make_string(python_upper(soft_string(operand)));
}
Value filter_lower(Interpreter& in, const Value& operand, CallArgs& args) {
  Params("lower", args, {});
  return in.make_string(python_lower(soft_string(operand)));
}
Value filter_title(Interpreter& in, const Value& operand, CallArgs& args) {
  Params("title", args, {});
  return in.make_string(python_title(soft_string(operand)));
}
Value filter_capitalize(Interpreter& in, const Value& operand, CallArgs& args) {
  Params("capitalize", args, {});
  return in.make_string(python_capitalize(soft_string(operand)));
}

Value filter_replace(Interpreter& in, const Value& operand, CallArgs& args) {
  return replace_impl(in, soft_string(operand), Params("replace", args, {"old", "new", "count"}));
}

Value filter_string(Interpreter& in, const Value& operand, CallArgs& args) {
  Params("string", args, {});
  return operand.is_string() ? operand : in.make_string(to_display_string(operand, in.max_string_bytes()));
}

Value filter_tojson(Interpreter& in, const Value& operand, CallArgs& args) {
  const Params params("tojson", args, {"indent", "ensure_ascii", "separators", "sort_keys"});
  JsonFormat format;
  format.indent = static_cast<int>(std::clamp<int64_t>(params.integer(0, -1), -1, 64));
  format.ensure_ascii = params.boolean(1, false);
  if (params.has(2)) {
    const Value& separators = params.value(2);
    if (!separators.is_array() || separators.as_array().size() != 2 || !separators.as_array()[0].is_string() ||
        !separators.as_array()[1].is_string()) {
      throw JinjaError("tojson(): separators must be a pair of strings");
    }
    format.item_separator = separators.as_array()[0].as_string();
    format.key_separator = separators.as_array()[1].as_string();
  }
  format.sort_keys = params.boolean(3, false);
  return in.make_string(to_json(operand, format, in.max_string_bytes()));
}

Value filter_items(Interpreter& in, const Value& operand, CallArgs& args) {
  Params("items", args, {});
  if (operand.is_undefined()) return Value::array({});
  if (!operand.is_object()) throw JinjaError("items filter expects a mapping, not " + std::string(type_name(operand)));
  return items_of(in, operand.as_object());
}

Value filter_list(Interpreter& in, const Value& operand, CallArgs& args) {
  Params("list", args, {});
  return iterable_items(in, operand);
}

Value filter_join(Interpreter& in, const Value& operand, CallArgs& args) {
  const Params params("join", args, {"d", "attribute"});
  const std::string separator = params.optional_string(0).value_or("");
  const std::optional<std::string> attribute = params.optional_string(1);
  const Value items = iterable_items(in, operand);
  std::string out;
  bool first = true;
  for (const Value& item : items.as_array()) {
    if (!first) append_bounded(out, separator, in.max_string_bytes());
    first = false;
    append_bounded(out, to_display_string(attribute ? attribute_path(item, *attribute) : item, in.max_string_bytes()),
                   in.max_string_bytes());
  }
  return in.make_string(std::move(out));
}

Value filter_first(Interpreter& in, const Value& operand, CallArgs& args) {
  Params("first", args, {});
  const Value items = iterable_items(in, operand);
  return items.as_array().empty() ? Value::undefined("first") : items.as_array().front();
}

Value filter_last(Interpreter& in, const Value& operand, CallArgs& args) {
  Params("last", args, {});
  const Value items = iterable_items(in, operand);
  return items.as_array().empty() ? Value::undefined("last") : items.as_array().back();
}

Value filter_reverse(Interpreter& in, const Value& operand, CallArgs& args) {
  Params("reverse", args, {});
  if (operand.is_string()) {
    std::u32string cps = decode_code_points(operand.as_string());
    std::reverse(cps.begin(), cps.end());
    return in.make_string(encode_code_points(cps));
  }
  Array items = iterable_items(in, operand).as_array();
  std::reverse(items.begin(), items.end());
  return in.make_array(std::move(items));
}

Value filter_abs(Interpreter&, const Value& operand, CallArgs& args) {
  Params("abs", args, {});
  if (operand.is_int()) {
    if (operand.as_int() == INT64_MIN) throw JinjaError("integer overflow in abs");
    return Value::integer(std::llabs(operand.as_int()));
  }
  if (operand.is_float()) return Value::floating(std::fabs(operand.as_double()));
  throw JinjaError("bad operand type for abs(): " + std::string(type_name(operand)));
}

std::optional<double> parse_float(const std::string& text) {
  const std::string trimmed = python_strip(text, std::nullopt, StripSide::both);
  if (trimmed.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(trimmed.c_str(), &end);
  if (end != trimmed.c_str() + trimmed.size()) return std::nullopt;
  return value;
}

Value filter_int(Interpreter&, const Value& operand, CallArgs& args) {
  const Params params("int", args, {"default", "base"});
  const Value fallback = params.value(0).is_undefined() ? Value::integer(0) : params.value(0);
  const auto from_double = [&](double d) {
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return fallback;
    return Value::integer(static_cast<int64_t>(d));
  };
  switch (operand.kind()) {
    case Value::Kind::integer: return operand;
    case Value::Kind::boolean: return Value::integer(operand.as_bool() ? 1 : 0);
    case Value::Kind::floating: return from_double(operand.as_double());
    case Value::Kind::string: {
      const std::string trimmed = python_strip(operand.as_string(), std::nullopt, StripSide::both);
      const int base = static_cast<int>(params.integer(1, 10));
      if (base < 2 || base > 36) throw JinjaError("int(): base must be between 2 and 36");
      char* end = nullptr;
      errno = 0;
      const long long value = std::strtoll(trimmed.c_str(), &end, base);
      if (!trimmed.empty() && end == trimmed.c_str() + trimmed.size() && errno == 0) return Value::integer(value);
      const auto as_double = parse_float(trimmed);
      return as_double ? from_double(*as_double) : fallback;
    }
    default: return fallback;
  }
}

Value filter_float(Interpreter&, const Value& operand, CallArgs& args) {
  const Params params("float", args, {"default"});
  const Value fallback = params.value(0).is_undefined() ? Value::floating(0.0) : params.value(0);
  if (operand.is_number() || operand.is_bool()) return Value::floating(operand.as_double());
  if (operand.is_string()) {
    const auto value = parse_float(operand.as_string());
    return value ? Value::floating(*value) : fallback;
  }
  return fallback;
}

Value filter_round(Interpreter&, const Value& operand, CallArgs& args) {
  const Params params("round", args, {"precision", "method"});
  if (!operand.is_number() && !operand.is_bool()) throw JinjaError("round filter expects a number");
  const int64_t precision = std::clamp<int64_t>(params.integer(0, 0), -300, 300);
  const std::string method = params.optional_string(1).value_or("common");
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double scaled = operand.as_double() * scale;
  double rounded = 0;
  if (method == "common") rounded = std::nearbyint(scaled);  // Python's round(): half to even
  else if (method == "ceil") rounded = std::ceil(scaled);
  else if (method == "floor") rounded = std::floor(scaled);
  else throw JinjaError("round(): method must be 'common', 'ceil' or 'floor'");
  return Value::floating(rounded / scale);
}

Value filter_escape(Interpreter& in, const Value& operand, CallArgs& args) {
  Params("escape", args, {});
  std::string out;
  for (const char c : soft_string(operand)) {
    switch (c) {
      case '&': append_bounded(out, "&amp;", in.max_string_bytes()); break;
      case '<': append_bounded(out, "&lt;", in.max_string_bytes()); break;
      case '>': append_bounded(out, "&gt;", in.max_string_bytes()); break;
      case '"': append_bounded(out, "&#34;", in.max_string_bytes()); break;
      case '\'': append_bounded(out, "&#39;", in.max_string_bytes()); break;
      default: append_bounded(out, std::string_view(&c, 1), in.max_string_bytes());
    }
  }
  return in.make_string(std::move(out));
}

Value filter_safe(Interpreter&, const Value& operand, CallArgs& args) {
  Params("safe", args, {});
  return operand;
}

Value filter_attr(Interpreter&, const Value& operand, CallArgs& args) {
  const Params params("attr", args, {"name"});
  return get_attribute(operand, params.string(0));
}

Value filter_indent(Interpreter& in, const Value& operand, CallArgs& args) {
  const Params params("indent", args, {"width", "first", "blank"});
  std::string indentation;
  if (params.value(0).is_string()) {
    indentation = params.value(0).as_string();
  } else {
    indentation.assign(static_cast<std::size_t>(std::clamp<int64_t>(params.integer(0, 4), 0, 256)), ' ');
  }
  const bool first = params.boolean(1, false);
  const bool blank = params.boolean(2, false);
  // Jinja appends a newline, then splits into lines; every line after the first gets the indentation (empty lines
  // only with blank=true).
  const std::string text = soft_string(operand) + "\n";
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    lines.push_back(std::string_view(text).substr(start, nl - start));
    start = nl + 1;
  }
  std::string out = first ? indentation : std::string();
  append_bounded(out, lines.front(), in.max_string_bytes());
  for (std::size_t i = 1; i < lines.size(); ++i) {
    append_bounded(out, "\n", in.max_string_bytes());
    if (blank || !lines[i].empty()) append_bounded(out, indentation, in.max_string_bytes());
    append_bounded(out, lines[i], in.max_string_bytes());
  }
  return in.make_string(std::move(out));
}

// select/reject and selectattr/rejectattr: keep the items whose test result (truthiness without a test) is `keep`.
Value filter_by_test(Interpreter& in, const Value& operand, const CallArgs& args, std::string_view name,
                     bool by_attribute, bool keep) {
  std::vector<Value> positional = args.positional;
  if (!args.keyword.empty()) throw JinjaError(std::string(name) + "() takes no keyword arguments");
  std::optional<std::string> attribute;
  if (by_attribute) {
    if (positional.empty() || !positional.front().is_string()) {
      throw JinjaError(std::string(name) + "() needs an attribute name");
    }
    attribute = positional.front().as_string();
    positional.erase(positional.begin());
  }
  std::optional<std::string> test;
  if (!positional.empty()) {
    if (!positional.front().is_string()) throw JinjaError(std::string(name) + "(): the test name must be a string");
    test = positional.front().as_string();
    positional.erase(positional.begin());
  }
  const Value items = iterable_items(in, operand);
  in.charge_steps(items.as_array().size());
  Array kept;
  for (const Value& item : items.as_array()) {
    const Value subject = attribute ? attribute_path(item, *attribute) : item;
    bool passed = false;
    if (test) {
      CallArgs test_args{positional, {}};
      passed = apply_test(in, *test, subject, test_args);
    } else {
      passed = subject.truthy();
    }
    if (passed == keep) kept.push_back(item);
  }
  return in.make_array(std::move(kept));
}

Value filter_select(Interpreter& in, const Value& operand, CallArgs& args) {
  return filter_by_test(in, operand, args, "select", false, true);
}
Value filter_reject(Interpreter& in, const Value& operand, CallArgs& args) {
  return filter_by_test(in, operand, args, "reject", false, false);
}
Value filter_selectattr(Interpreter& in, const Value& operand, CallArgs& args) {
  return filter_by_test(in, operand, args, "selectattr", true, true);
}
Value filter_rejectattr(Interpreter& in, const Value& operand, CallArgs& args) {
  return filter_by_test(in, operand, args, "rejectattr", true, false);
}

Value filter_map(Interpreter& in, const Value& operand, CallArgs& args) {
  const Value items = iterable_items(in, operand);
  in.charge_steps(items.as_array().size());
  Array mapped;
  mapped.reserve(items.as_array().size());
  if (args.positional.empty()) {
    const Params params("map", args, {"attribute", "default"});
    const std::string attribute = params.string(0);
    for (const Value& item : items.as_array()) {
      Value value = attribute_path(item, attribute);
      if (value.is_undefined() && !params.value(1).is_undefined()) value = params.value(1);
      mapped.push_back(std::move(value));
    }
    return in.make_array(std::move(mapped));
  }
  if (!args.positional.front().is_string()) throw JinjaError("map(): the filter name must be a string");
  const std::string filter = args.positional.front().as_string();
  CallArgs filter_args{std::vector<Value>(args.positional.begin() + 1, args.positional.end()), args.keyword};
  for (const Value& item : items.as_array()) {
    CallArgs call_args = filter_args;
    mapped.push_back(apply_filter(in, filter, item, call_args));
  }
  return in.make_array(std::move(mapped));
}

// The sort key of sort/unique/min/max: an attribute of the item if asked, strings lower-cased unless case-sensitive.
Value sort_key(const Value& item, const std::optional<std::string>& attribute, bool case_sensitive) {
  Value key = attribute ? attribute_path(item, *attribute) : item;
  if (!case_sensitive && key.is_string()) return Value::string(python_lower(key.as_string()));
  return key;
}

Value filter_sort(Interpreter& in, const Value& operand, CallArgs& args) {
  const Params params("sort", args, {"reverse", "case_sensitive", "attribute"});
  const bool reverse = params.boolean(0, false);
  const bool case_sensitive = params.boolean(1, false);
  const auto attribute = params.optional_string(2);
  Array items = iterable_items(in, operand).as_array();
  in.charge_steps(items.size());
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    const int c = compare_values(sort_key(a, attribute, case_sensitive), sort_key(b, attribute, case_sensitive));
    return reverse ? c > 0 : c < 0;
  });
  return in.make_array(std::move(items));
}

Value filter_dictsort(Interpreter& in, const Value& operand, CallArgs& args) {
  const Params params("dictsort", args, {"case_sensitive", "by", "reverse"});
  if (!operand.is_object()) throw JinjaError("dictsort expects a mapping");
  const bool case_sensitive = params.boolean(0, false);
  const std::string by = params.optional_string(1).value_or("key");
  if (by != "key" && by != "value") throw JinjaError("dictsort(): 'by' must be 'key' or 'value'");
  const bool reverse = params.boolean(2, false);
  Array pairs = items_of(in, operand.as_object()).as_array();
  const std::size_t index = by == "key" ? 0 : 1;
  std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& a, const Value& b) {
    const int c = compare_values(sort_key(a.as_array()[index], std::nullopt, case_sensitive),
                                 sort_key(b.as_array()[index], std::nullopt, case_sensitive));
    return reverse ? c > 0 : c < 0;
  });
  return in.make_array(std::move(pairs));
}

Value filter_unique(Interpreter& in, const Value& operand, CallArgs& args) {
  const Params params("unique", args, {"case_sensitive", "attribute"});
  const bool case_sensitive = params.boolean(0, false);
  const auto attribute = params.optional_string(1);
  const Value items = iterable_items(in, operand);
  // Quadratic, so it counts as such against the step limit.
  in.charge_steps(items.as_array().size() * items.as_array().size() / 8 + 1);
  Array kept;
  std::vector<Value> seen;
  for (const Value& item : items.as_array()) {
    Value key = sort_key(item, attribute, case_sensitive);
    if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return values_equal(s, key); })) {
      seen.push_back(std::move(key));
      kept.push_back(item);
    }
  }
  return in.make_array(std::move(kept));
}

Value extreme(Interpreter& in, const Value& operand, CallArgs& args, std::string_view name, bool want_max) {
  const Params params(name, args, {"case_sensitive", "attribute"});
  const bool case_sensitive = params.boolean(0, false);
  const auto attribute = params.optional_string(1);
  const Value items = iterable_items(in, operand);
  const Value* best = nullptr;
  for (const Value& item : items.as_array()) {
    if (best == nullptr) {
      best = &item;
      continue;
    }
    const int c = compare_values(sort_key(item, attribute, case_sensitive), sort_key(*best, attribute, case_sensitive));
    if (want_max ? c > 0 : c < 0) best = &item;
  }
  return best == nullptr ? Value::undefined(std::string(name)) : *best;
}

Value filter_min(Interpreter& in, const Value& operand, CallArgs& args) { return extreme(in, operand, args, "min", false); }
Value filter_max(Interpreter& in, const Value& operand, CallArgs& args) { return extreme(in, operand, args, "max", true); }

Value add_numbers(const Value& a, const Value& b) {
  if ((a.is_number() || a.is_bool()) && (b.is_number() || b.is_bool())) {
    if (a.is_float() || b.is_float()) return Value::floating(a.as_double() + b.as_double());
    const int64_t x = a.is_bool() ? a.as_bool() : a.as_int();
    const int64_t y = b.is_bool() ? b.as_bool() : b.as_int();
    int64_t sum = 0;
    if (__builtin_add_overflow(x, y, &sum)) throw JinjaError("integer overflow");
    return Value::integer(sum);
  }
  throw JinjaError("sum(): unsupported operand types '" + std::string(type_name(a)) + "' and '" +
                   std::string(type_name(b)) + "'");
}

Value filter_sum(Interpreter& in, const Value& operand, CallArgs& args) {
  const Params params("sum", args, {"attribute", "start"});
  const auto attribute = params.optional_string(0);
  Value total = params.value(1).is_undefined() ? Value::integer(0) : params.value(1);
  for (const Value& item : iterable_items(in, operand).as_array()) {
    total = add_numbers(total, attribute ? attribute_path(item, *attribute) : item);
  }
  return total;
}

const std::unordered_map<std::string_view, Filter>& filters() {
  static const std::unordered_map<std::string_view, Filter> table = {
      {"abs", filter_abs},
      {"attr", filter_attr},
      {"capitalize", filter_capitalize},
      {"count", filter_length},
      {"d", filter_default},
      {"default", filter_default},
      {"dictsort", filter_dictsort},
      {"e", filter_escape},
      {"escape", filter_escape},
      {"first", filter_first},
      {"float", filter_float},
      {"indent", filter_indent},
      {"int", filter_int},
      {"items", filter_items},
      {"join", filter_join},
      {"last", filter_last},
      {"length", filter_length},
      {"list", filter_list},
      {"lower", filter_lower},
      {"map", filter_map},
      {"max", filter_max},
      {"min", filter_min},
      {"reject", filter_reject},
      {"rejectattr", filter_rejectattr},
      {"replace", filter_replace},
      {"reverse", filter_reverse},
      {"round", filter_round},
      {"safe", filter_safe},
      {"select", filter_select},
      {"selectattr", filter_selectattr},
      {"sort", filter_sort},
      {"string", filter_string},
      {"sum", filter_sum},
      {"title", filter_title},
      {"tojson", filter_tojson},
      {"trim", filter_trim},
      {"unique", filter_unique},
      {"upper", filter_upper},
  };
  return table;
}

// ---- tests ----

using Test = bool (*)(Interpreter&, const Value& operand, CallArgs& args);

const Value& single_argument(std::string_view test, const CallArgs& args) {
  if (args.positional.size() != 1 || !args.keyword.empty()) {
    throw JinjaError("test '" + std::string(test) + "' takes exactly one argument");
  }
  return args.positional.front();
}

void no_arguments(std::string_view test, const CallArgs& args) {
  if (!args.positional.empty() || !args.keyword.empty()) {
    throw JinjaError("test '" + std::string(test) + "' takes no arguments");
  }
}

template <bool (*Predicate)(const Value&)>
bool unary_test(Interpreter&, const Value& operand, CallArgs& args) {
  no_arguments("", args);
  return Predicate(operand);
}

template <int (*Relation)(int)>
bool relation_test(Interpreter&, const Value& operand, CallArgs& args) {
  const Value& other = single_argument("comparison", args);
  return Relation(compare_values(operand, other)) != 0;
}

bool is_defined(const Value& v) { return !v.is_undefined(); }
bool is_undefined_value(const Value& v) { return v.is_undefined(); }
bool is_none_value(const Value& v) { return v.is_none(); }
bool is_string_value(const Value& v) { return v.is_string(); }
bool is_number_value(const Value& v) { return v.is_number() || v.is_bool(); }
bool is_integer_value(const Value& v) { return v.is_int(); }
bool is_float_value(const Value& v) { return v.is_float(); }
bool is_boolean_value(const Value& v) { return v.is_bool(); }
bool is_true_value(const Value& v) { return v.is_bool() && v.as_bool(); }
bool is_false_value(const Value& v) { return v.is_bool() && !v.as_bool(); }
bool is_mapping_value(const Value& v) { return v.is_object() && !v.as_object().is_namespace(); }
// Python's Undefined, str, list and dict can all be iterated.
bool is_iterable_value(const Value& v) { return v.is_undefined() || v.is_string() || v.is_array() || v.is_object(); }
bool is_sequence_value(const Value& v) { return v.is_string() || v.is_array() || v.is_object(); }
bool is_callable_value(const Value& v) { return v.is_callable(); }
bool is_lower_value(const Value& v) { return v.is_string() && python_lower(v.as_string()) == v.as_string(); }
bool is_upper_value(const Value& v) { return v.is_string() && python_upper(v.as_string()) == v.as_string(); }

int64_t integer_operand(std::string_view test, const Value& v) {
  if (!v.is_int()) throw JinjaError("test '" + std::string(test) + "' expects an integer");
  return v.as_int();
}
bool test_odd(Interpreter&, const Value& operand, CallArgs& args) {
  no_arguments("odd", args);
  return integer_operand("odd", operand) % 2 != 0;
}
bool test_even(Interpreter&, const Value& operand, CallArgs& args) {
  no_arguments("even", args);
  return integer_operand("even", operand) % 2 == 0;
}
bool test_divisibleby(Interpreter&, const Value& operand, CallArgs& args) {
  const int64_t divisor = integer_operand("divisibleby", single_argument("divisibleby", args));
  if (divisor == 0) throw JinjaError("divisibleby 0");
  if (divisor == -1) return true;
  return integer_operand("divisibleby", operand) % divisor == 0;
}
bool test_equalto(Interpreter&, const Value& operand, CallArgs& args) {
  return values_equal(operand, single_argument("equalto", args));
}
bool test_ne(Interpreter&, const Value& operand, CallArgs& args) {
  return !values_equal(operand, single_argument("ne", args));
}
bool test_sameas(Interpreter&, const Value& operand, CallArgs& args) {
  const Value& other = single_argument("sameas", args);
  if (operand.is_object() && other.is_object()) return &operand.as_object() == &other.as_object();
  if (operand.kind() != other.kind()) return false;
  return values_equal(operand, other);
}
bool test_in(Interpreter&, const Value& operand, CallArgs& args) {
  return value_in(operand, single_argument("in", args));
}

int less_relation(int c) { return c < 0; }
int less_equal_relation(int c) { return c <= 0; }
int greater_relation(int c) { return c > 0; }
int greater_equal_relation(int c) { return c >= 0; }

const std::unordered_map<std::string_view, Test>& tests() {
  static const std::unordered_map<std::string_view, Test> table = {
      {"defined", unary_test<is_defined>},
      {"undefined", unary_test<is_undefined_value>},
      {"none", unary_test<is_none_value>},
      {"string", unary_test<is_string_value>},
      {"number", unary_test<is_number_value>},
      {"integer", unary_test<is_integer_value>},
      {"float", unary_test<is_float_value>},
      {"boolean", unary_test<is_boolean_value>},
      {"true", unary_test<is_true_value>},
      {"false", unary_test<is_false_value>},
      {"mapping", unary_test<is_mapping_value>},
      {"iterable", unary_test<is_iterable_value>},
      {"sequence", unary_test<is_sequence_value>},
      {"callable", unary_test<is_callable_value>},
      {"lower", unary_test<is_lower_value>},
      {"upper", unary_test<is_upper_value>},
      {"odd", test_odd},
      {"even", test_even},
      {"divisibleby", test_divisibleby},
      {"equalto", test_equalto},
      {"eq", test_equalto},
      {"==", test_equalto},
      {"ne", test_ne},
      {"!=", test_ne},
      {"sameas", test_sameas},
      {"in", test_in},
      {"lt", relation_test<less_relation>},
      {"lessthan", relation_test<less_relation>},
      {"<", relation_test<less_relation>},
      {"le", relation_test<less_equal_relation>},
      {"<=", relation_test<less_equal_relation>},
      {"gt", relation_test<greater_relation>},
      {"greaterthan", relation_test<greater_relation>},
      {">", relation_test<greater_relation>},
      {"ge", relation_test<greater_equal_relation>},
      {">=", relation_test<greater_equal_relation>},
  };
  return table;
}

// ---- global functions ----

Value global_range(Interpreter& in, CallArgs& args) {
  if (!args.keyword.empty() || args.positional.empty() || args.positional.size() > 3) {
    throw JinjaError("range() takes 1 to 3 integer arguments");
  }
  std::vector<int64_t> bounds;
  for (const Value& v : args.positional) {
    if (!v.is_int()) throw JinjaError("range() arguments must be integers");
    bounds.push_back(v.as_int());
  }
  const int64_t start = bounds.size() == 1 ? 0 : bounds[0];
  const int64_t stop = bounds.size() == 1 ? bounds[0] : bounds[1];
  const int64_t step = bounds.size() == 3 ? bounds[2] : 1;
  if (step == 0) throw JinjaError("range() step must not be zero");
  // Jinja's sandbox refuses ranges over 100000 items.
  constexpr int64_t kMaxRange = 100'000;
  // Unsigned distances cannot overflow for any int64 bounds.
  uint64_t count = 0;
  if (step > 0 && start < stop) {
    count = (static_cast<uint64_t>(stop) - static_cast<uint64_t>(start) - 1) / static_cast<uint64_t>(step) + 1;
  } else if (step < 0 && start > stop) {
    const uint64_t magnitude = uint64_t{0} - static_cast<uint64_t>(step);
    count = (static_cast<uint64_t>(start) - static_cast<uint64_t>(stop) - 1) / magnitude + 1;
  }
  if (count > kMaxRange) throw JinjaError("range() too big (more than 100000 items)");
  Array items;
  for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) items.push_back(Value::integer(start + i * step));
  in.charge_steps(items.size());
  return in.make_array(std::move(items));
}

Value global_namespace(Interpreter& in, CallArgs& args) {
  auto ns = in.make_namespace();
  for (const Value& initial : args.positional) {
    if (!initial.is_object()) throw JinjaError("namespace() takes a mapping or keyword arguments");
    for (const auto& [key, value] : initial.as_object().entries()) ns->set(key, value);
  }
  for (auto& [key, value] : args.keyword) ns->set(key, value);
  return Value::object(std::move(ns));
}

Value global_dict(Interpreter&, CallArgs& args) {
  auto object = std::make_shared<Object>();
  for (const Value& initial : args.positional) {
    if (!initial.is_object()) throw JinjaError("dict() takes a mapping or keyword arguments");
    for (const auto& [key, value] : initial.as_object().entries()) object->set(key, value);
  }
  for (auto& [key, value] : args.keyword) object->set(key, value);
  return Value::object(std::move(object));
}

Value global_raise_exception(Interpreter&, CallArgs& args) {
  const Params params("raise_exception", args, {"message"});
  throw JinjaError("template raised an exception: " + soft_string(params.value(0)));
}

}  // namespace

Value apply_filter(Interpreter& interpreter, std::string_view name, const Value& operand, CallArgs& args) {
  const auto& table = filters();
  const auto it = table.find(name);
  if (it == table.end()) throw JinjaError("unknown filter '" + std::string(name) + "'");
  return it->second(interpreter, operand, args);
}

bool apply_test(Interpreter& interpreter, std::string_view name, const Value& operand, CallArgs& args) {
  const auto& table = tests();
  const auto it = table.find(name);
  if (it == table.end()) throw JinjaError("unknown test '" + std::string(name) + "'");
  return it->second(interpreter, operand, args);
}

Value get_attribute(const Value& object, std::string_view name) {
  if (object.is_object()) {
    if (!object.as_object().is_namespace()) {
      const auto& methods = dict_methods();
      if (const auto it = methods.find(name); it != methods.end()) {
        return bind_method("dict." + std::string(name), object, it->second);
      }
    }
    if (const Value* found = object.as_object().find(name)) return *found;
    return Value::undefined(std::string(name));
  }
  if (object.is_string()) {
    const auto& methods = string_methods();
    if (const auto it = methods.find(name); it != methods.end()) {
      return bind_method("str." + std::string(name), object, it->second);
    }
  }
  return Value::undefined(std::string(name));
}

Value get_item(const Value& object, const Value& key) {
  if (object.is_object()) {
    if (key.is_string()) {
      if (const Value* found = object.as_object().find(key.as_string())) return *found;
      return Value::undefined(key.as_string());
    }
    return Value::undefined("");
  }
  if ((object.is_array() || object.is_string()) && (key.is_int() || key.is_bool())) {
    int64_t index = key.is_int() ? key.as_int() : key.as_bool();
    if (object.is_array()) {
      const auto size = static_cast<int64_t>(object.as_array().size());
      if (index < 0) index += size;
      if (index < 0 || index >= size) return Value::undefined("");
      return object.as_array()[static_cast<std::size_t>(index)];
    }
    const std::u32string cps = decode_code_points(object.as_string());
    const auto size = static_cast<int64_t>(cps.size());
    if (index < 0) index += size;
    if (index < 0 || index >= size) return Value::undefined("");
    std::string character;
    utf8_append(character, cps[static_cast<std::size_t>(index)]);
    return Value::string(std::move(character));
  }
  if (key.is_string()) return get_attribute(object, key.as_string());
  return Value::undefined("");
}

bool value_in(const Value& item, const Value& container) {
  switch (container.kind()) {
    case Value::Kind::undefined: return false;
    case Value::Kind::string:
      if (!item.is_string()) {
        throw JinjaError("'in <string>' requires string as left operand, not " + std::string(type_name(item)));
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::array:
      return std::any_of(container.as_array().begin(), container.as_array().end(),
                         [&](const Value& candidate) { return values_equal(candidate, item); });
    case Value::Kind::object: return item.is_string() && container.as_object().find(item.as_string()) != nullptr;
    default: throw JinjaError("argument of type '" + std::string(type_name(container)) + "' is not iterable");
  }
}

Value iterable_items(Interpreter& interpreter, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::array: return value;
    case Value::Kind::undefined: return Value::array({});
    case Value::Kind::object: {
      Array keys;
      for (const auto& [key, item] : value.as_object().entries()) keys.push_back(Value::string(key));
      return interpreter.make_array(std::move(keys));
    }
    case Value::Kind::string: {
      Array characters;
      const std::string& text = value.as_string();
      std::size_t pos = 0;
      while (pos < text.size()) {
        std::string character;
        utf8_append(character, utf8_decode(text, pos));
        characters.push_back(Value::string(std::move(character)));
      }
      return interpreter.make_array(std::move(characters));
    }
    default: throw JinjaError("'" + std::string(type_name(value)) + "' object is not iterable");
  }
}

std::shared_ptr<const Object> builtin_globals() {
  static const std::shared_ptr<const Object> globals = [] {
    auto object = std::make_shared<Object>();
    object->set("range", make_function("range", global_range));
    object->set("namespace", make_function("namespace", global_namespace));
    object->set("dict", make_function("dict", global_dict));
    object->set("raise_exception", make_function("raise_exception", global_raise_exception));
    return object;
  }();
  return globals;
}

Value slice_value(Interpreter& interpreter, const Value& object, const Value& start, const Value& stop,
                  const Value& step) {
  if (object.is_array()) {
    const Array& items = object.as_array();
    Array out;
    for (const std::size_t i : slice_indexes(items.size(), slice_bound(start), slice_bound(stop), slice_bound(step))) {
      out.push_back(items[i]);
    }
    return interpreter.make_array(std::move(out));
  }
  if (object.is_string()) {
    const std::u32string cps = decode_code_points(object.as_string());
    std::u32string out;
    for (const std::size_t i : slice_indexes(cps.size(), slice_bound(start), slice_bound(stop), slice_bound(step))) {
      out += cps[i];
    }
    return interpreter.make_string(encode_code_points(out));
  }
  if (object.is_undefined()) return object;
  throw JinjaError("'" + std::string(type_name(object)) + "' object is not subscriptable");
}

}  // namespace parley::engine::jinja
