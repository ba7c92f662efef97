#include "engine/jinja/interpreter.h"

#include <cmath>
#include <utility>

#include "engine/jinja/builtins.h"
#include "engine/jinja/error.h"
#include "engine/jinja/python_string.h"

namespace parley::engine::jinja {
namespace {

[[noreturn]] void throw_undefined(const Value& value) {
  const std::string& name = value.undefined_name();
  throw JinjaError(name.empty() ? "undefined value used in an expression" : "'" + name + "' is undefined");
}

[[noreturn]] void throw_operand_types(std::string_view op, const Value& left, const Value& right) {
  throw JinjaError("unsupported operand types for " + std::string(op) + ": '" + std::string(type_name(left)) +
                   "' and '" + std::string(type_name(right)) + "'");
}

bool is_numeric(const Value& v) { return v.is_number() || v.is_bool(); }
int64_t integer_of(const Value& v) { return v.is_bool() ? int64_t{v.as_bool()} : v.as_int(); }

[[noreturn]] void throw_overflow() { throw JinjaError("integer overflow"); }

int64_t checked_add(int64_t a, int64_t b) {
  int64_t result = 0;
  if (__builtin_add_overflow(a, b, &result)) throw_overflow();
  return result;
}
int64_t checked_sub(int64_t a, int64_t b) {
  int64_t result = 0;
  if (__builtin_sub_overflow(a, b, &result)) throw_overflow();
  return result;
}
int64_t checked_mul(int64_t a, int64_t b) {
  int64_t result = 0;
  if (__builtin_mul_overflow(a, b, &result)) throw_overflow();
  return result;
}

int64_t integer_power(int64_t base, int64_t exponent) {
  int64_t result = 1;
  while (exponent > 0) {
    if (exponent & 1) result = checked_mul(result, base);
    exponent >>= 1;
    if (exponent > 0) base = checked_mul(base, base);
  }
  return result;
}

Value numeric_operation(std::string_view symbol, node::Binary::Op op, const Value& left, const Value& right) {
  using Op = node::Binary::Op;
  const bool as_float = left.is_float() || right.is_float() || op == Op::divide ||
                        (op == Op::power && integer_of(right) < 0 && !right.is_float());
  if (!as_float) {
    const int64_t a = integer_of(left);
    const int64_t b = integer_of(right);
    switch (op) {
      case Op::add: return Value::integer(checked_add(a, b));
      case Op::subtract: return Value::integer(checked_sub(a, b));
      case Op::multiply: return Value::integer(checked_mul(a, b));
      case Op::floor_divide:
      case Op::modulo: {
        if (b == 0) throw JinjaError("integer division or modulo by zero");
        if (a == INT64_MIN && b == -1) {
          if (op == Op::modulo) return Value::integer(0);
          throw_overflow();
        }
        // Python rounds the quotient down and gives the remainder the divisor's sign.
        int64_t quotient = a / b;
        int64_t remainder = a % b;
        if (remainder != 0 && ((remainder < 0) != (b < 0))) {
          --quotient;
          remainder += b;
        }
        return Value::integer(op == Op::floor_divide ? quotient : remainder);
      }
      case Op::power: return Value::integer(integer_power(a, b));
      default: break;
    }
  }
  const double a = left.as_double();
  const double b = right.as_double();
  switch (op) {
    case Op::add: return Value::floating(a + b);
    case Op::subtract: return Value::floating(a - b);
    case Op::multiply: return Value::floating(a * b);
    case Op::divide:
      if (b == 0) throw JinjaError("division by zero");
      return Value::floating(a / b);
    case Op::floor_divide:
      if (b == 0) throw JinjaError("float floor division by zero");
      return Value::floating(std::floor(a / b));
    case Op::modulo: {
      if (b == 0) throw JinjaError("float modulo by zero");
      double remainder = std::fmod(a, b);
      if (remainder != 0 && ((remainder < 0) != (b < 0))) remainder += b;
      return Value::floating(remainder);
    }
    case Op::power: return Value::floating(std::pow(a, b));
    default: break;
  }
  throw_operand_types(symbol, left, right);
}

std::string_view symbol_of(node::Binary::Op op) {
  using Op = node::Binary::Op;
  switch (op) {
    case Op::add: return "+";
    case Op::subtract: return "-";
    case Op::multiply: return "*";
    case Op::divide: return "/";
    case Op::floor_divide: return "//";
    case Op::modulo: return "%";
    case Op::power: return "**";
    case Op::concat: return "~";
    case Op::logical_and: return "and";
    case Op::logical_or: return "or";
  }
  return "?";
}

}  // namespace

// A fresh innermost frame for one loop iteration or macro call.
class Interpreter::FrameScope {
 public:
  explicit FrameScope(std::deque<Frame>& frames) : frames_(frames) { frames_.emplace_back(); }
  ~FrameScope() { frames_.pop_back(); }
  FrameScope(const FrameScope&) = delete;
  FrameScope& operator=(const FrameScope&) = delete;

 private:
  std::deque<Frame>& frames_;
};

Interpreter::DepthScope::DepthScope(Interpreter& interpreter) : interpreter_(interpreter) {
  if (++interpreter_.depth_ > interpreter_.limits_.max_recursion_depth) {
    --interpreter_.depth_;
    throw JinjaError("template nested or recursing too deeply (limit " +
                     std::to_string(interpreter_.limits_.max_recursion_depth) + ")");
  }
}

Interpreter::Interpreter(const RenderLimits& limits, std::shared_ptr<const Object> variables)
    : limits_(limits), variables_(std::move(variables)), builtins_(builtin_globals()) {
  frames_.emplace_back();
}

Interpreter::~Interpreter() {
  for (const auto& ns : namespaces_) ns->clear();
}

std::string Interpreter::render(const Body& body) { return capture(body); }

std::string Interpreter::capture(const Body& body) {
  std::string buffer;
  std::string* const saved = output_;
  output_ = &buffer;
  struct Restore {
    std::string*& target;
    std::string* value;
    ~Restore() { target = value; }
  } restore{output_, saved};
  exec_body(body);
  return buffer;
}

void Interpreter::charge_steps(std::size_t steps) {
  steps_ += steps;
  if (steps_ > limits_.max_steps) {
    throw JinjaError("template exceeded the limit of " + std::to_string(limits_.max_steps) + " evaluation steps");
  }
}

Value Interpreter::make_string(std::string text) {
  if (text.size() > limits_.max_output_bytes) {
    throw JinjaError("string longer than the limit of " + std::to_string(limits_.max_output_bytes) + " bytes");
  }
  bytes_built_ += text.size();
  if (bytes_built_ > limits_.max_bytes_built) {
    throw JinjaError("template built more than " + std::to_string(limits_.max_bytes_built) + " bytes of strings");
  }
  return Value::string(std::move(text));
}

Value Interpreter::make_array(Array items) {
  constexpr std::size_t kBytesPerItem = 16;
  if (items.size() > limits_.max_output_bytes / kBytesPerItem) {
    throw JinjaError("list longer than the limit of " + std::to_string(limits_.max_output_bytes / kBytesPerItem) +
                     " items");
  }
  bytes_built_ += items.size() * kBytesPerItem;
  if (bytes_built_ > limits_.max_bytes_built) {
    throw JinjaError("template built more than " + std::to_string(limits_.max_bytes_built) + " bytes of lists");
  }
  return Value::array(std::move(items));
}

std::shared_ptr<Object> Interpreter::make_namespace() {
  auto ns = std::make_shared<Object>(true);
  namespaces_.push_back(ns);
  return ns;
}

Value Interpreter::call(const Value& callee, CallArgs& args) {
  if (callee.is_undefined()) throw_undefined(callee);
  if (!callee.is_callable()) throw JinjaError("'" + std::string(type_name(callee)) + "' object is not callable");
  return callee.as_callable().call(*this, args);
}

Value Interpreter::lookup(std::string_view name) const {
  for (std::size_t i = frames_.size(); i-- > frame_floor_;) {
    const auto& variables = frames_[i].variables;
    if (const auto it = variables.find(name); it != variables.end()) return it->second;
  }
  if (frame_floor_ > 0) {
    const auto& root = frames_.front().variables;
    if (const auto it = root.find(name); it != root.end()) return it->second;
  }
  if (const Value* value = variables_->find(name)) return *value;
  if (const Value* value = builtins_->find(name)) return *value;
  return Value::undefined(std::string(name));
}

void Interpreter::assign(const std::string& name, Value value) {
  frames_.back().variables.insert_or_assign(name, std::move(value));
}

void Interpreter::assign_targets(const std::vector<std::string>& targets, const Value& value) {
  if (targets.size() == 1) {
    assign(targets.front(), value);
    return;
  }
  const Value items = iterable_items(*this, value);
  if (items.as_array().size() != targets.size()) {
    throw JinjaError("cannot unpack " + std::to_string(items.as_array().size()) + " values into " +
                     std::to_string(targets.size()) + " names");
  }
  for (std::size_t i = 0; i < targets.size(); ++i) assign(targets[i], items.as_array()[i]);
}

void Interpreter::append_output(std::string_view text) {
  append_bounded(*output_, text, limits_.max_output_bytes);
}

// ---- statements ----

Interpreter::Flow Interpreter::exec_body(const Body& body) {
  for (const StmtPtr& stmt : body) {
    if (const Flow flow = exec(*stmt); flow != Flow::normal) return flow;
  }
  return Flow::normal;
}

Interpreter::Flow Interpreter::exec(const Stmt& stmt) {
  DepthScope depth(*this);
  charge_steps(1);
  try {
    return std::visit([&](const auto& n) { return exec_node(n, stmt); }, stmt.node);
  } catch (const JinjaError& error) {
    if (error.line() != 0) throw;
    throw JinjaError(error.what(), stmt.line);
  }
}

Interpreter::Flow Interpreter::exec_node(const node::Text& n, const Stmt&) {
  append_output(n.text);
  return Flow::normal;
}

Interpreter::Flow Interpreter::exec_node(const node::Output& n, const Stmt&) {
  const Value value = eval(*n.value);
  if (value.is_string()) {
    append_output(value.as_string());
  } else {
    append_output(to_display_string(value, limits_.max_output_bytes));
  }
  return Flow::normal;
}

Interpreter::Flow Interpreter::exec_node(const node::If& n, const Stmt&) {
  for (const auto& [condition, body] : n.branches) {
    if (eval(*condition).truthy()) return exec_body(body);
  }
  return exec_body(n.else_body);
}

Interpreter::Flow Interpreter::exec_node(const node::For& n, const Stmt&) {
  const Value iterable = iterable_items(*this, eval(*n.iterable));
  const Array& all = iterable.as_array();
  // The loop filter runs first: loop.index and loop.length count only the items that pass it.
  std::vector<const Value*> selected;
  selected.reserve(all.size());
  for (const Value& item : all) {
    if (n.condition) {
      FrameScope frame(frames_);
      assign_targets(n.targets, item);
      if (!eval(*n.condition).truthy()) continue;
    }
    selected.push_back(&item);
  }
  if (selected.empty()) return exec_body(n.else_body);

  const auto length = static_cast<int64_t>(selected.size());
  for (int64_t i = 0; i < length; ++i) {
    if (++loop_iterations_ > limits_.max_loop_iterations) {
      throw JinjaError("template exceeded the limit of " + std::to_string(limits_.max_loop_iterations) +
                       " loop iterations");
    }
    FrameScope frame(frames_);
    assign_targets(n.targets, *selected[static_cast<std::size_t>(i)]);
    auto loop = std::make_shared<Object>();
    loop->set("index", Value::integer(i + 1));
    loop->set("index0", Value::integer(i));
    loop->set("revindex", Value::integer(length - i));
    loop->set("revindex0", Value::integer(length - i - 1));
    loop->set("first", Value::boolean(i == 0));
    loop->set("last", Value::boolean(i == length - 1));
    loop->set("length", Value::integer(length));
    loop->set("depth", Value::integer(1));
    loop->set("depth0", Value::integer(0));
    loop->set("previtem", i > 0 ? *selected[static_cast<std::size_t>(i - 1)] : Value::undefined("previtem"));
    loop->set("nextitem", i + 1 < length ? *selected[static_cast<std::size_t>(i + 1)] : Value::undefined("nextitem"));
    auto cycle = std::make_shared<Callable>();
    cycle->name = "loop.cycle";
    cycle->call = [i](Interpreter&, CallArgs& args) {
      if (args.positional.empty()) throw JinjaError("loop.cycle() needs at least one argument");
      return args.positional[static_cast<std::size_t>(i) % args.positional.size()];
    };
    loop->set("cycle", Value::callable(std::move(cycle)));
    assign("loop", Value::object(std::move(loop)));
    if (exec_body(n.body) == Flow::break_loop) break;
  }
  return Flow::normal;
}

Interpreter::Flow Interpreter::exec_node(const node::Set& n, const Stmt&) {
  Value value = eval(*n.value);
  if (n.attribute.empty()) {
    assign_targets(n.targets, value);
    return Flow::normal;
  }
  const Value target = lookup(n.targets.front());
  if (!target.is_object() || !target.as_object().is_namespace()) {
    throw JinjaError("cannot assign attribute '" + n.attribute + "' on '" + n.targets.front() +
                     "': only a namespace() has assignable attributes");
  }
  target.as_object().set(n.attribute, std::move(value));
  return Flow::normal;
}

Interpreter::Flow Interpreter::exec_node(const node::SetBlock& n, const Stmt&) {
  Value text = make_string(capture(n.body));
  assign(n.target, std::move(text));
  return Flow::normal;
}

Interpreter::Flow Interpreter::exec_node(const node::Macro& n, const Stmt&) {
  auto callable = std::make_shared<Callable>();
  callable->name = n.name;
  const node::Macro* macro = &n;  // the syntax tree outlives every render
  callable->call = [macro](Interpreter& interpreter, CallArgs& args) { return interpreter.call_macro(*macro, args); };
  assign(n.name, Value::callable(std::move(callable)));
  return Flow::normal;
}

Interpreter::Flow Interpreter::exec_node(const node::Break&, const Stmt&) { return Flow::break_loop; }
Interpreter::Flow Interpreter::exec_node(const node::Continue&, const Stmt&) { return Flow::continue_loop; }

Value Interpreter::call_macro(const node::Macro& macro, CallArgs& args) {
  if (args.positional.size() > macro.parameters.size()) {
    throw JinjaError("macro '" + macro.name + "' takes at most " + std::to_string(macro.parameters.size()) +
                     " arguments");
  }
  // The macro sees its parameters and the template's top-level variables, not the caller's locals.
  FrameScope frame(frames_);
  const std::size_t saved_floor = frame_floor_;
  frame_floor_ = frames_.size() - 1;
  struct RestoreFloor {
    std::size_t& target;
    std::size_t value;
    ~RestoreFloor() { target = value; }
  } restore{frame_floor_, saved_floor};

  std::vector<bool> bound(macro.parameters.size(), false);
  for (std::size_t i = 0; i < args.positional.size(); ++i) {
    assign(macro.parameters[i].first, args.positional[i]);
    bound[i] = true;
  }
  for (auto& [name, value] : args.keyword) {
    std::size_t index = 0;
    while (index < macro.parameters.size() && macro.parameters[index].first != name) ++index;
    if (index == macro.parameters.size()) {
      throw JinjaError("macro '" + macro.name + "' has no parameter '" + name + "'");
    }
    if (bound[index]) throw JinjaError("macro '" + macro.name + "' got multiple values for '" + name + "'");
    assign(name, value);
    bound[index] = true;
  }
  for (std::size_t i = 0; i < macro.parameters.size(); ++i) {
    if (bound[i]) continue;
    const auto& [name, default_value] = macro.parameters[i];
    assign(name, default_value ? eval(*default_value) : Value::undefined(name));
  }
  return make_string(capture(macro.body));
}

// ---- expressions ----

Value Interpreter::eval(const Expr& expr) {
  DepthScope depth(*this);
  charge_steps(1);
  try {
    return std::visit([&](const auto& n) { return eval_node(n); }, expr.node);
  } catch (const JinjaError& error) {
    if (error.line() != 0) throw;
    throw JinjaError(error.what(), expr.line);
  }
}

CallArgs Interpreter::eval_arguments(const ArgumentExprs& arguments) {
  CallArgs args;
  args.positional.reserve(arguments.positional.size());
  for (const auto& arg : arguments.positional) args.positional.push_back(eval(*arg));
  for (const auto& [name, arg] : arguments.keyword) args.keyword.emplace_back(name, eval(*arg));
  return args;
}

Value Interpreter::eval_node(const node::Literal& n) { return n.value; }
Value Interpreter::eval_node(const node::Name& n) { return lookup(n.name); }

Value Interpreter::eval_node(const node::ListLiteral& n) {
  Array items;
  items.reserve(n.items.size());
  for (const auto& item : n.items) items.push_back(eval(*item));
  return make_array(std::move(items));
}

Value Interpreter::eval_node(const node::DictLiteral& n) {
  auto object = std::make_shared<Object>();
  for (const auto& [key_expr, value_expr] : n.entries) {
    const Value key = eval(*key_expr);
    if (!key.is_string()) throw JinjaError("dict keys must be strings, not " + std::string(type_name(key)));
    object->set(key.as_string(), eval(*value_expr));
  }
  return Value::object(std::move(object));
}

Value Interpreter::eval_node(const node::Attribute& n) { return get_attribute(eval(*n.object), n.name); }

Value Interpreter::eval_node(const node::Subscript& n) {
  const Value object = eval(*n.object);
  return get_item(object, eval(*n.index));
}

Value Interpreter::eval_node(const node::Slice& n) {
  const Value object = eval(*n.object);
  const auto bound = [&](const ExprPtr& e) { return e ? eval(*e) : Value::none(); };
  const Value start = bound(n.start);
  const Value stop = bound(n.stop);
  const Value step = bound(n.step);
  return slice_value(*this, object, start, stop, step);
}

Value Interpreter::eval_node(const node::Call& n) {
  const Value callee = eval(*n.callee);
  CallArgs args = eval_arguments(n.arguments);
  return call(callee, args);
}

Value Interpreter::eval_node(const node::Filter& n) {
  const Value operand = eval(*n.operand);
  CallArgs args = eval_arguments(n.arguments);
  return apply_filter(*this, n.name, operand, args);
}

Value Interpreter::eval_node(const node::Test& n) {
  const Value operand = eval(*n.operand);
  CallArgs args = eval_arguments(n.arguments);
  return Value::boolean(apply_test(*this, n.name, operand, args) != n.negated);
}

Value Interpreter::eval_node(const node::Unary& n) {
  const Value operand = eval(*n.operand);
  switch (n.op) {
    case node::Unary::Op::logical_not: return Value::boolean(!operand.truthy());
    case node::Unary::Op::plus:
      if (!is_numeric(operand)) throw JinjaError("bad operand type for unary +: " + std::string(type_name(operand)));
      return operand.is_bool() ? Value::integer(integer_of(operand)) : operand;
    case node::Unary::Op::negate:
      if (operand.is_float()) return Value::floating(-operand.as_double());
      if (!is_numeric(operand)) {
        if (operand.is_undefined()) throw_undefined(operand);
        throw JinjaError("bad operand type for unary -: " + std::string(type_name(operand)));
      }
      if (integer_of(operand) == INT64_MIN) throw_overflow();
      return Value::integer(-integer_of(operand));
  }
  return Value();
}

Value Interpreter::eval_node(const node::Binary& n) {
  using Op = node::Binary::Op;
  if (n.op == Op::logical_and || n.op == Op::logical_or) {
    // Python returns the deciding operand itself, not a boolean.
    Value left = eval(*n.left);
    if (left.truthy() == (n.op == Op::logical_or)) return left;
    return eval(*n.right);
  }
  const Value left = eval(*n.left);
  const Value right = eval(*n.right);
  if (n.op == Op::concat) {
    std::string text = to_display_string(left, limits_.max_output_bytes);
    append_bounded(text, to_display_string(right, limits_.max_output_bytes), limits_.max_output_bytes);
    return make_string(std::move(text));
  }
  return binary_arithmetic(n.op, left, right);
}

Value Interpreter::binary_arithmetic(node::Binary::Op op, const Value& left, const Value& right) {
  using Op = node::Binary::Op;
  const std::string_view symbol = symbol_of(op);
  if (left.is_undefined()) throw_undefined(left);
  if (right.is_undefined()) throw_undefined(right);
  if (is_numeric(left) && is_numeric(right)) return numeric_operation(symbol, op, left, right);
  if (op == Op::add && left.is_string() && right.is_string()) {
    std::string text = left.as_string();
    append_bounded(text, right.as_string(), limits_.max_output_bytes);
    return make_string(std::move(text));
  }
  if (op == Op::add && left.is_array() && right.is_array()) {
    Array items = left.as_array();
    if (right.as_array().size() > limits_.max_output_bytes) throw JinjaError("list too long");
    items.insert(items.end(), right.as_array().begin(), right.as_array().end());
    return make_array(std::move(items));
  }
  if (op == Op::multiply && (left.is_int() || right.is_int()) && (left.is_string() || right.is_string() ||
                                                                   left.is_array() || right.is_array())) {
    const Value& sequence = left.is_int() ? right : left;
    const int64_t count = std::max<int64_t>(0, (left.is_int() ? left : right).as_int());
    if (sequence.is_string()) {
      const std::string& unit = sequence.as_string();
      if (!unit.empty() && static_cast<uint64_t>(count) > limits_.max_output_bytes / unit.size()) {
        throw JinjaError("string repetition longer than the limit of " + std::to_string(limits_.max_output_bytes) +
                         " bytes");
      }
      std::string text;
      text.reserve(unit.size() * static_cast<std::size_t>(count));
      for (int64_t i = 0; i < count; ++i) text += unit;
      return make_string(std::move(text));
    }
    const Array& unit = sequence.as_array();
    if (!unit.empty() && static_cast<uint64_t>(count) > limits_.max_output_bytes / unit.size()) {
      throw JinjaError("list repetition too long");
    }
    Array items;
    for (int64_t i = 0; i < count; ++i) items.insert(items.end(), unit.begin(), unit.end());
    return make_array(std::move(items));
  }
  if (op == Op::modulo && left.is_string()) throw JinjaError("printf-style string formatting is not supported");
  throw_operand_types(symbol, left, right);
}

bool Interpreter::compare(node::Compare::Op op, const Value& left, const Value& right) {
  using Op = node::Compare::Op;
  switch (op) {
    case Op::equal: return values_equal(left, right);
    case Op::not_equal: return !values_equal(left, right);
    case Op::less: return compare_values(left, right) < 0;
    case Op::less_equal: return compare_values(left, right) <= 0;
    case Op::greater: return compare_values(left, right) > 0;
    case Op::greater_equal: return compare_values(left, right) >= 0;
    case Op::in: return value_in(left, right);
    case Op::not_in: return !value_in(left, right);
  }
  return false;
}

Value Interpreter::eval_node(const node::Compare& n) {
  Value left = eval(*n.first);
  for (const auto& [op, operand] : n.rest) {
    Value right = eval(*operand);
    if (!compare(op, left, right)) return Value::boolean(false);
    left = std::move(right);
  }
  return Value::boolean(true);
}

Value Interpreter::eval_node(const node::Conditional& n) {
  if (eval(*n.condition).truthy()) return eval(*n.then_value);
  return n.else_value ? eval(*n.else_value) : Value::undefined("");
}

}  // namespace parley::engine::jinja
