// Evaluates a parsed template against a context of variables, within limits that keep a hostile template from
// exhausting time, memory or the stack. Used by jinja::Template; builtins (filters, tests, methods) call back into it.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/jinja/ast.h"
#include "engine/jinja/value.h"

namespace parley::engine::jinja {

struct RenderLimits {
  // The rendered text, and any one string or list (counted as 16 bytes an item) built on the way.
  std::size_t max_output_bytes = 16u << 20;
  std::size_t max_steps = 10'000'000;         // expressions and statements evaluated
  std::size_t max_loop_iterations = 1'000'000;  // over all loops of one render
  std::size_t max_bytes_built = 256u << 20;   // total size of all strings and lists built by operators and filters
  int max_recursion_depth = 400;              // nesting of evaluation, including macro calls
};

class Interpreter {
 public:
  // `variables` are the template's context (messages, add_generation_prompt, ...); they shadow the builtins.
  Interpreter(const RenderLimits& limits, std::shared_ptr<const Object> variables);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Throws JinjaError.
  std::string render(const Body& body);

  // For builtins.
  Value call(const Value& callee, CallArgs& args);
  Value make_string(std::string text);  // checks the size limits, counts the bytes built
  Value make_array(Array items);        // the same for lists
  void charge_steps(std::size_t steps);
  std::size_t max_string_bytes() const { return limits_.max_output_bytes; }
  std::shared_ptr<Object> make_namespace();

 private:
  enum class Flow { normal, break_loop, continue_loop };
  struct Frame {
    std::map<std::string, Value, std::less<>> variables;
  };
  class FrameScope;

  Flow exec_body(const Body& body);
  Flow exec(const Stmt& stmt);
  Flow exec_node(const node::Text& n, const Stmt& stmt);
  Flow exec_node(const node::Output& n, const Stmt& stmt);
  Flow exec_node(const node::If& n, const Stmt& stmt);
  Flow exec_node(const node::For& n, const Stmt& stmt);
  Flow exec_node(const node::Set& n, const Stmt& stmt);
  Flow exec_node(const node::SetBlock& n, const Stmt& stmt);
  Flow exec_node(const node::Macro& n, const Stmt& stmt);
  Flow exec_node(const node::Break& n, const Stmt& stmt);
  Flow exec_node(const node::Continue& n, const Stmt& stmt);

  Value eval(const Expr& expr);
  Value eval_node(const node::Literal& n);
  Value eval_node(const node::Name& n);
  Value eval_node(const node::ListLiteral& n);
  Value eval_node(const node::DictLiteral& n);
  Value eval_node(const node::Attribute& n);
  Value eval_node(const node::Subscript& n);
  Value eval_node(const node::Slice& n);
  Value eval_node(const node::Call& n);
  Value eval_node(const node::Filter& n);
  Value eval_node(const node::Test& n);
  Value eval_node(const node::Unary& n);
  Value eval_node(const node::Binary& n);
  Value eval_node(const node::Compare& n);
  Value eval_node(const node::Conditional& n);

  CallArgs eval_arguments(const ArgumentExprs& arguments);
  Value binary_arithmetic(node::Binary::Op op, const Value& left, const Value& right);
  bool compare(node::Compare::Op op, const Value& left, const Value& right);
  Value call_macro(const node::Macro& macro, CallArgs& args);
  // Renders `body` into a string of its own (set blocks, macros).
  std::string capture(const Body& body);

  Value lookup(std::string_view name) const;
  void assign(const std::string& name, Value value);
  void assign_targets(const std::vector<std::string>& targets, const Value& value);
  void append_output(std::string_view text);
  // One level deeper into evaluation for its lifetime; throws past the limit.
  class DepthScope {
   public:
    explicit DepthScope(Interpreter& interpreter);
    ~DepthScope() { --interpreter_.depth_; }
    DepthScope(const DepthScope&) = delete;
    DepthScope& operator=(const DepthScope&) = delete;

   private:
    Interpreter& interpreter_;
  };

  const RenderLimits& limits_;
  std::shared_ptr<const Object> variables_;
  std::shared_ptr<const Object> builtins_;
  std::deque<Frame> frames_;      // frames_[0] holds the template's top-level `set`s
  std::size_t frame_floor_ = 0;   // frames below this (except frames_[0]) are hidden: a macro sees only its own
  std::string* output_ = nullptr;
  std::size_t steps_ = 0;
  std::size_t loop_iterations_ = 0;
  std::size_t bytes_built_ = 0;
  int depth_ = 0;
  std::vector<std::shared_ptr<Object>> namespaces_;  // cleared at the end: breaks cycles made through attributes
};

}  // namespace parley::engine::jinja
