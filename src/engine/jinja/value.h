// The values a Jinja template computes with, modelled on the Python objects Jinja2 gives templates:
// undefined, None, bool, int, float, str, list (tuples are lists), dict (string keys, insertion order), namespace and
// callables. Lists and dicts are immutable once built, as in Jinja2's immutable sandbox that chat templates run in;
// only a namespace's attributes can be assigned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace parley::engine::jinja {

class Value;
class Object;
struct Callable;
class Interpreter;

using Array = std::vector<Value>;

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

class Value {
 public:
  // In the order of the variant's alternatives.
  enum class Kind { undefined, none, boolean, integer, floating, string, array, object, callable };

  Value() = default;  // undefined
  static Value undefined(std::string name);
  static Value none();
  static Value boolean(bool value);
  static Value integer(int64_t value);
  static Value floating(double value);
  static Value string(std::string value);
  static Value array(Array items);
  static Value object(std::shared_ptr<Object> object);
  static Value callable(std::shared_ptr<const Callable> callable);

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_undefined() const { return kind() == Kind::undefined; }
  bool is_none() const { return kind() == Kind::none; }
  bool is_bool() const { return kind() == Kind::boolean; }
  bool is_int() const { return kind() == Kind::integer; }
  bool is_float() const { return kind() == Kind::floating; }
  bool is_number() const { return is_int() || is_float(); }
  bool is_string() const { return kind() == Kind::string; }
  bool is_array() const { return kind() == Kind::array; }
  bool is_object() const { return kind() == Kind::object; }
  bool is_callable() const { return kind() == Kind::callable; }

  // Accessors for a value of the matching kind (callers check the kind first).
  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }
  double as_double() const;  // int, float or bool, as Python would promote it
  const std::string& as_string() const { return std::get<std::string>(data_); }
  const Array& as_array() const { return *std::get<ArrayPtr>(data_); }
  Object& as_object() const { return *std::get<ObjectPtr>(data_); }
  const std::shared_ptr<Object>& object_ptr() const { return std::get<ObjectPtr>(data_); }
  const Callable& as_callable() const { return *std::get<CallablePtr>(data_); }
  // The name an undefined value was looked up under ("" when it has none), for error messages.
  const std::string& undefined_name() const { return std::get<Undefined>(data_).name; }

  // Python truthiness: undefined, None, False, 0, 0.0, "" and empty containers are false.
  bool truthy() const;

 private:
  struct Undefined {
    std::string name;
  };
  using ArrayPtr = std::shared_ptr<const Array>;
  using ObjectPtr = std::shared_ptr<Object>;
  using CallablePtr = std::shared_ptr<const Callable>;
  std::variant<Undefined, std::monostate, bool, int64_t, double, std::string, ArrayPtr, ObjectPtr, CallablePtr> data_;
};

// A dict (string keys in insertion order) or a namespace() (the same, but its attributes can be assigned).
class Object {
 public:
  explicit Object(bool is_namespace = false) : is_namespace_(is_namespace) {}

  const Value* find(std::string_view key) const;
  void set(std::string key, Value value);  // replaces in place, or appends
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  bool is_namespace() const { return is_namespace_; }
  // Drops every entry: breaks reference cycles a template made through namespace attributes.
  void clear();

 private:
  std::vector<std::pair<std::string, Value>> entries_;
  std::map<std::string, std::size_t, std::less<>> index_;
  bool is_namespace_;
};

struct Callable {
  std::string name;
  std::function<Value(Interpreter&, CallArgs&)> call;
};

// Containers nested deeper than this cannot be printed, serialised or compared (a namespace can contain itself).
inline constexpr int kMaxValueDepth = 256;

// Python's str() as Jinja prints a value: undefined prints nothing, None prints "None", lists print as Python lists.
// The printing functions throw JinjaError when the text would exceed `max_bytes`.
std::string to_display_string(const Value& value, std::size_t max_bytes = SIZE_MAX);
// Python's repr(): strings quoted, the form used inside printed lists and dicts.
std::string to_repr(const Value& value, std::size_t max_bytes = SIZE_MAX);
// Python's repr() of a float ("1.0", "0.1", "1e+16", "inf").
std::string python_float_repr(double value);

struct JsonFormat {
  int indent = -1;                   // < 0: one line
  std::string item_separator;        // empty: Python's default (", " on one line, "," when indented)
  std::string key_separator = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;
};
// Python's json.dumps (what transformers' `tojson` filter calls); undefined serialises as null.
std::string to_json(const Value& value, const JsonFormat& format = {}, std::size_t max_bytes = SIZE_MAX);
Value from_json(const nlohmann::json& json);

// Python == (1 == 1.0, lists and dicts compare by content).
bool values_equal(const Value& left, const Value& right);
// Python ordering of two numbers, two strings or two lists: <0, 0, >0; throws JinjaError for other pairs.
int compare_values(const Value& left, const Value& right);

// The Python type name of a value ("str", "int", "list", "dict", ...), for error messages.
std::string_view type_name(const Value& value);

}  // namespace parley::engine::jinja
