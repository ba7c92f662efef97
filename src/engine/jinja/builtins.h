// Jinja's filters and tests, the Python methods templates call on strings and dicts, and the global functions
// (range, namespace, dict, raise_exception). Errors are thrown as JinjaError.
#pragma once

#include <memory>
#include <string_view>

#include "engine/jinja/value.h"

namespace parley::engine::jinja {

Value apply_filter(Interpreter& interpreter, std::string_view name, const Value& operand, CallArgs& args);
bool apply_test(Interpreter& interpreter, std::string_view name, const Value& operand, CallArgs& args);

// `object.name`: a dict's methods first (items, get, ...), then its keys; a string's methods. Undefined when missing.
Value get_attribute(const Value& object, std::string_view name);
// `object[key]`: list and string indexes (negative from the end), dict keys. Undefined when missing.
Value get_item(const Value& object, const Value& key);

// Python's `item in container` for strings (substring), lists (an equal item) and dicts (a key); false for
// undefined, and a JinjaError for containers that cannot be searched.
bool value_in(const Value& item, const Value& container);

// What a for loop walks over: a list's items, a dict's keys, a string's characters; nothing for undefined.
// Returns a list (the same list for a list).
Value iterable_items(Interpreter& interpreter, const Value& value);

// `object[start:stop:step]` on a list or a string (by code points).
Value slice_value(Interpreter& interpreter, const Value& object, const Value& start, const Value& stop,
                  const Value& step);

// The global functions every template sees (shadowed by context variables of the same name).
std::shared_ptr<const Object> builtin_globals();

}  // namespace parley::engine::jinja
