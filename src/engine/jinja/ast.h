// The syntax tree of a parsed template: expressions and statements, each node tagged with its source line.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "engine/jinja/value.h"

namespace parley::engine::jinja {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct ArgumentExprs {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keyword;
};

namespace node {

struct Literal {
  Value value;
};
struct Name {
  std::string name;
};
struct ListLiteral {  // lists and tuples
  std::vector<ExprPtr> items;
};
struct DictLiteral {
  std::vector<std::pair<ExprPtr, ExprPtr>> entries;
};
struct Attribute {  // object.name
  ExprPtr object;
  std::string name;
};
struct Subscript {  // object[index]
  ExprPtr object;
  ExprPtr index;
};
struct Slice {  // object[start:stop:step], each bound optional
  ExprPtr object;
  ExprPtr start;
  ExprPtr stop;
  ExprPtr step;
};
struct Call {
  ExprPtr callee;
  ArgumentExprs arguments;
};
struct Filter {  // operand | name(arguments)
  ExprPtr operand;
  std::string name;
  ArgumentExprs arguments;
};
struct Test {  // operand is [not] name(arguments)
  ExprPtr operand;
  std::string name;
  ArgumentExprs arguments;
  bool negated = false;
};
struct Unary {
  enum class Op { negate, plus, logical_not };
  Op op;
  ExprPtr operand;
};
struct Binary {
  enum class Op { add, subtract, multiply, divide, floor_divide, modulo, power, concat, logical_and, logical_or };
  Op op;
  ExprPtr left;
  ExprPtr right;
};
struct Compare {  // first op1 second op2 third ...: chained as in Python
  enum class Op { equal, not_equal, less, less_equal, greater, greater_equal, in, not_in };
  ExprPtr first;
  std::vector<std::pair<Op, ExprPtr>> rest;
};
struct Conditional {  // then_value if condition else else_value (else_value may be null: undefined)
  ExprPtr condition;
  ExprPtr then_value;
  ExprPtr else_value;
};

struct Text {
  std::string text;
};
struct Output {  // {{ value }}
  ExprPtr value;
};
struct If {
  std::vector<std::pair<ExprPtr, Body>> branches;  // if, then each elif
  Body else_body;
};
struct For {
  std::vector<std::string> targets;  // `for a, b in ...` unpacks
  ExprPtr iterable;
  ExprPtr condition;  // `for x in xs if condition`, may be null
  Body body;
  Body else_body;  // runs when nothing was iterated
};
struct Set {
  std::vector<std::string> targets;  // several: tuple unpacking
  std::string attribute;             // non-empty: `set targets[0].attribute = value` on a namespace
  ExprPtr value;
};
struct SetBlock {  // {% set name %}body{% endset %}
  std::string target;
  Body body;
};
struct Macro {
  std::string name;
  std::vector<std::pair<std::string, ExprPtr>> parameters;  // default value may be null
  Body body;
};
struct Break {};
struct Continue {};

}  // namespace node

struct Expr {
  using Node = std::variant<node::Literal, node::Name, node::ListLiteral, node::DictLiteral, node::Attribute,
                            node::Subscript, node::Slice, node::Call, node::Filter, node::Test, node::Unary,
                            node::Binary, node::Compare, node::Conditional>;
  Node node;
  int line = 0;
  int height = 1;  // of the tree below this node: bounded by the parser so evaluation cannot overflow the stack
};

struct Stmt {
  using Node = std::variant<node::Text, node::Output, node::If, node::For, node::Set, node::SetBlock, node::Macro,
                            node::Break, node::Continue>;
  Node node;
  int line = 0;
};

}  // namespace parley::engine::jinja
