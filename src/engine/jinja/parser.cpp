#include "engine/jinja/parser.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "engine/jinja/error.h"

namespace parley::engine::jinja {
namespace {

int depth_of(const ExprPtr& expr);

int max_depth(std::initializer_list<const ExprPtr*> children) {
  int depth = 0;
  for (const ExprPtr* child : children) depth = std::max(depth, depth_of(*child));
  return depth;
}

int max_depth_of_arguments(const ArgumentExprs& arguments) {
  int depth = 0;
  for (const auto& arg : arguments.positional) depth = std::max(depth, depth_of(arg));
  for (const auto& [name, arg] : arguments.keyword) depth = std::max(depth, depth_of(arg));
  return depth;
}

// The height of an expression tree; computed bottom-up as the parser builds it (see Parser::make).
struct ExprHeight {
  int operator()(const node::Literal&) const { return 0; }
  int operator()(const node::Name&) const { return 0; }
  int operator()(const node::ListLiteral& n) const {
    int depth = 0;
    for (const auto& item : n.items) depth = std::max(depth, depth_of(item));
    return depth;
  }
  int operator()(const node::DictLiteral& n) const {
    int depth = 0;
    for (const auto& [key, value] : n.entries) depth = std::max({depth, depth_of(key), depth_of(value)});
    return depth;
  }
  int operator()(const node::Attribute& n) const { return depth_of(n.object); }
  int operator()(const node::Subscript& n) const { return max_depth({&n.object, &n.index}); }
  int operator()(const node::Slice& n) const { return max_depth({&n.object, &n.start, &n.stop, &n.step}); }
  int operator()(const node::Call& n) const {
    return std::max(depth_of(n.callee), max_depth_of_arguments(n.arguments));
  }
  int operator()(const node::Filter& n) const {
    return std::max(depth_of(n.operand), max_depth_of_arguments(n.arguments));
  }
  int operator()(const node::Test& n) const {
    return std::max(depth_of(n.operand), max_depth_of_arguments(n.arguments));
  }
  int operator()(const node::Unary& n) const { return depth_of(n.operand); }
  int operator()(const node::Binary& n) const { return max_depth({&n.left, &n.right}); }
  int operator()(const node::Compare& n) const {
    int depth = depth_of(n.first);
    for (const auto& [op, operand] : n.rest) depth = std::max(depth, depth_of(operand));
    return depth;
  }
  int operator()(const node::Conditional& n) const {
    return max_depth({&n.condition, &n.then_value, &n.else_value});
  }
};

int depth_of(const ExprPtr& expr) { return expr ? expr->height : 0; }

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, const ParseLimits& limits) : tokens_(tokens), limits_(limits) {}

  Body parse() { return parse_body({}); }

 private:
  // ---- token stream ----
  const Token& current() const { return tokens_[pos_]; }
  const Token& peek(std::size_t ahead = 1) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  void advance() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }
  bool is_op(std::string_view op) const { return current().kind == Token::Kind::op && current().text == op; }
  bool is_name(std::string_view name) const {
    return current().kind == Token::Kind::name && current().text == name;
  }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(std::string_view name) {
    if (!is_name(name)) return false;
    advance();
    return true;
  }
  [[noreturn]] void fail(const std::string& message) const { throw JinjaError(message, current().line); }

  static std::string describe(const Token& token) {
    switch (token.kind) {
      case Token::Kind::text: return "template text";
      case Token::Kind::variable_begin: return "'{{'";
      case Token::Kind::variable_end: return "'}}'";
      case Token::Kind::block_begin: return "'{%'";
      case Token::Kind::block_end: return "'%}'";
      case Token::Kind::end: return "end of template";
      case Token::Kind::string: return "string literal";
      default: return "'" + token.text + "'";
    }
  }
  void expect_op(std::string_view op) {
    if (!skip_op(op)) fail("expected '" + std::string(op) + "', found " + describe(current()));
  }
  void expect_kind(Token::Kind kind, std::string_view what) {
    if (current().kind != kind) fail("expected " + std::string(what) + ", found " + describe(current()));
    advance();
  }
  std::string expect_identifier() {
    if (current().kind != Token::Kind::name) fail("expected a name, found " + describe(current()));
    std::string name = current().text;
    advance();
    return name;
  }
  void expect_block_end() { expect_kind(Token::Kind::block_end, "'%}'"); }

  ExprPtr make(Expr::Node node, int line) {
    auto expr = std::make_unique<Expr>();
    expr->node = std::move(node);
    expr->line = line;
    expr->height = 1 + std::visit(ExprHeight{}, expr->node);
    if (expr->height > limits_.max_expression_depth) {
      throw JinjaError("expression nested too deeply (limit " + std::to_string(limits_.max_expression_depth) + ")",
                       line);
    }
    return expr;
  }

  static StmtPtr make_stmt(Stmt::Node node, int line) {
    auto stmt = std::make_unique<Stmt>();
    stmt->node = std::move(node);
    stmt->line = line;
    return stmt;
  }

  // ---- statements ----

  // Statements up to a block tag whose keyword is one of `terminators` (left unconsumed, positioned at the keyword),
  // or to the end of the template when `terminators` is empty.
  Body parse_body(std::initializer_list<std::string_view> terminators) {
    Body body;
    while (true) {
      const Token& token = current();
      switch (token.kind) {
        case Token::Kind::end:
          if (terminators.size() != 0) {
            fail("unexpected end of template: missing {% " + std::string(*(terminators.end() - 1)) + " %}");
          }
          return body;
        case Token::Kind::text:
          body.push_back(make_stmt(node::Text{token.text}, token.line));
          advance();
          break;
        case Token::Kind::variable_begin: {
          advance();
          ExprPtr value = parse_tuple(false);
          expect_kind(Token::Kind::variable_end, "'}}'");
          body.push_back(make_stmt(node::Output{std::move(value)}, token.line));
          break;
        }
        case Token::Kind::block_begin: {
          const Token& keyword = peek();
          if (keyword.kind == Token::Kind::name &&
              std::find(terminators.begin(), terminators.end(), keyword.text) != terminators.end()) {
            advance();
            return body;
          }
          advance();
          parse_statement(body);
          break;
        }
        default: fail("unexpected " + describe(token));
      }
    }
  }

  // One statement after `{%`; appends to `body` (a `generation` block appends its whole body).
  void parse_statement(Body& body) {
    const int line = current().line;
    if (current().kind != Token::Kind::name) fail("expected a statement keyword, found " + describe(current()));
    const std::string keyword = current().text;
    advance();
    if (++block_depth_ > limits_.max_block_depth) {
      fail("statements nested too deeply (limit " + std::to_string(limits_.max_block_depth) + ")");
    }
    if (keyword == "if") {
      body.push_back(make_stmt(parse_if(), line));
    } else if (keyword == "for") {
      body.push_back(make_stmt(parse_for(), line));
    } else if (keyword == "set") {
      body.push_back(parse_set(line));
    } else if (keyword == "macro") {
      body.push_back(make_stmt(parse_macro(), line));
    } else if (keyword == "break" || keyword == "continue") {
      if (loop_depth_ == 0) fail("'" + keyword + "' outside of a loop");
      expect_block_end();
      body.push_back(keyword == "break" ? make_stmt(node::Break{}, line) : make_stmt(node::Continue{}, line));
    } else if (keyword == "generation") {
      expect_block_end();
      Body inner = parse_body({"endgeneration"});
      advance();
      expect_block_end();
      for (auto& stmt : inner) body.push_back(std::move(stmt));
    } else if (keyword.starts_with("end") || keyword == "elif" || keyword == "else") {
      throw JinjaError("unexpected {% " + keyword + " %} (no open block it could close)", line);
    } else {
      throw JinjaError("unsupported or unknown tag '" + keyword + "'", line);
    }
    --block_depth_;
  }

  node::If parse_if() {
    node::If result;
    ExprPtr condition = parse_tuple(false);
    expect_block_end();
    while (true) {
      Body branch = parse_body({"elif", "else", "endif"});
      result.branches.emplace_back(std::move(condition), std::move(branch));
      const std::string keyword = current().text;
      advance();
      if (keyword == "elif") {
        condition = parse_tuple(false);
        expect_block_end();
        continue;
      }
      expect_block_end();
      if (keyword == "else") {
        result.else_body = parse_body({"endif"});
        advance();
        expect_block_end();
      }
      return result;
    }
  }

  std::vector<std::string> parse_targets() {
    std::vector<std::string> targets;
    const bool parenthesised = skip_op("(");
    do {
      targets.push_back(expect_identifier());
    } while (skip_op(","));
    if (parenthesised) expect_op(")");
    return targets;
  }

  node::For parse_for() {
    node::For result;
    result.targets = parse_targets();
    if (!skip_name("in")) fail("expected 'in' in for loop, found " + describe(current()));
    result.iterable = parse_tuple(true);
    if (skip_name("if")) result.condition = parse_expression(true);
    if (is_name("recursive")) fail("recursive loops are not supported");
    expect_block_end();
    ++loop_depth_;
    result.body = parse_body({"else", "endfor"});
    --loop_depth_;
    const bool has_else = current().text == "else";
    advance();
    expect_block_end();
    if (has_else) {
      result.else_body = parse_body({"endfor"});
      advance();
      expect_block_end();
    }
    return result;
  }

  StmtPtr parse_set(int line) {
    std::vector<std::string> targets;
    std::string attribute;
    targets.push_back(expect_identifier());
    if (skip_op(".")) {
      attribute = expect_identifier();
    } else {
      while (skip_op(",")) targets.push_back(expect_identifier());
    }
    if (current().kind == Token::Kind::block_end && targets.size() == 1 && attribute.empty()) {
      advance();
      node::SetBlock block{targets.front(), parse_body({"endset"})};
      advance();
      expect_block_end();
      return make_stmt(std::move(block), line);
    }
    expect_op("=");
    ExprPtr value = parse_tuple(false);
    expect_block_end();
    return make_stmt(node::Set{std::move(targets), std::move(attribute), std::move(value)}, line);
  }

  node::Macro parse_macro() {
    node::Macro result;
    result.name = expect_identifier();
    expect_op("(");
    while (!is_op(")")) {
      if (!result.parameters.empty()) expect_op(",");
      std::string name = expect_identifier();
      ExprPtr default_value;
      if (skip_op("=")) default_value = parse_expression(true);
      result.parameters.emplace_back(std::move(name), std::move(default_value));
    }
    advance();
    expect_block_end();
    const int saved_loop_depth = loop_depth_;
    loop_depth_ = 0;  // `break` inside a macro cannot leave the caller's loop
    result.body = parse_body({"endmacro"});
    loop_depth_ = saved_loop_depth;
    advance();
    expect_block_end();
    return result;
  }

  // ---- expressions ----

  bool at_tuple_end() const {
    const Token& token = current();
    return token.kind == Token::Kind::variable_end || token.kind == Token::Kind::block_end ||
           token.kind == Token::Kind::end || (token.kind == Token::Kind::op && token.text == ")");
  }

  // An expression, or a tuple of expressions separated by commas (`set a, b = 1, 2`). In a for loop's iterable the
  // conditional expression is not parsed (`if` introduces the loop filter).
  ExprPtr parse_tuple(bool for_iterable, bool explicit_parentheses = false) {
    const int line = current().line;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (at_tuple_end()) break;
      items.push_back(parse_expression(!for_iterable));
      if (is_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items.front());
      if (!explicit_parentheses) fail("expected an expression, found " + describe(current()));
    }
    return make(node::ListLiteral{std::move(items)}, line);
  }

  ExprPtr parse_expression(bool with_conditional) {
    ExprPtr expr = parse_or();
    if (!with_conditional) return expr;
    while (is_name("if")) {
      const int line = current().line;
      advance();
      ExprPtr condition = parse_or();
      ExprPtr else_value;
      if (skip_name("else")) else_value = parse_expression(true);
      expr = make(node::Conditional{std::move(condition), std::move(expr), std::move(else_value)}, line);
    }
    return expr;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      const int line = current().line;
      advance();
      left = make(node::Binary{node::Binary::Op::logical_or, std::move(left), parse_and()}, line);
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      const int line = current().line;
      advance();
      left = make(node::Binary{node::Binary::Op::logical_and, std::move(left), parse_not()}, line);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      const int line = current().line;
      advance();
      DepthGuard guard(*this);
      return make(node::Unary{node::Unary::Op::logical_not, parse_not()}, line);
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const int line = current().line;
    ExprPtr first = parse_math1();
    std::vector<std::pair<node::Compare::Op, ExprPtr>> rest;
    while (true) {
      using Op = node::Compare::Op;
      std::optional<Op> op;
      if (current().kind == Token::Kind::op) {
        const std::string& text = current().text;
        if (text == "==") op = Op::equal;
        else if (text == "!=") op = Op::not_equal;
        else if (text == "<") op = Op::less;
        else if (text == "<=") op = Op::less_equal;
        else if (text == ">") op = Op::greater;
        else if (text == ">=") op = Op::greater_equal;
        if (op) advance();
      } else if (is_name("in")) {
        op = Op::in;
        advance();
      } else if (is_name("not") && peek().kind == Token::Kind::name && peek().text == "in") {
        op = Op::not_in;
        advance();
        advance();
      }
      if (!op) break;
      rest.emplace_back(*op, parse_math1());
    }
    if (rest.empty()) return first;
    return make(node::Compare{std::move(first), std::move(rest)}, line);
  }

  template <typename Next>
  ExprPtr parse_binary_level(std::initializer_list<std::pair<std::string_view, node::Binary::Op>> operators,
                             Next next) {
    ExprPtr left = (this->*next)();
    while (current().kind == Token::Kind::op) {
      const auto found = std::find_if(operators.begin(), operators.end(),
                                      [&](const auto& entry) { return entry.first == current().text; });
      if (found == operators.end()) break;
      const int line = current().line;
      advance();
      left = make(node::Binary{found->second, std::move(left), (this->*next)()}, line);
    }
    return left;
  }

  ExprPtr parse_math1() {
    return parse_binary_level({{"+", node::Binary::Op::add}, {"-", node::Binary::Op::subtract}},
                              &Parser::parse_concat);
  }
  ExprPtr parse_concat() { return parse_binary_level({{"~", node::Binary::Op::concat}}, &Parser::parse_math2); }
  ExprPtr parse_math2() {
    return parse_binary_level({{"*", node::Binary::Op::multiply},
                               {"/", node::Binary::Op::divide},
                               {"//", node::Binary::Op::floor_divide},
                               {"%", node::Binary::Op::modulo}},
                              &Parser::parse_pow);
  }
  ExprPtr parse_pow() { return parse_binary_level({{"**", node::Binary::Op::power}}, &Parser::parse_unary_filtered); }
  ExprPtr parse_unary_filtered() { return parse_unary(true); }

  // Recursion through nested parentheses, brackets and unary operators is bounded like the tree height, so that a
  // hostile template cannot exhaust the stack before the height check sees the finished node.
  struct DepthGuard {
    explicit DepthGuard(Parser& parser) : parser_(parser) {
      if (++parser_.recursion_ > parser_.limits_.max_expression_depth) {
        parser_.fail("expression nested too deeply (limit " + std::to_string(parser_.limits_.max_expression_depth) +
                     ")");
      }
    }
    ~DepthGuard() { --parser_.recursion_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    Parser& parser_;
  };

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    const int line = current().line;
    ExprPtr expr;
    if (is_op("-") || is_op("+")) {
      const auto op = is_op("-") ? node::Unary::Op::negate : node::Unary::Op::plus;
      advance();
      expr = make(node::Unary{op, parse_unary(false)}, line);
    } else {
      expr = parse_primary();
    }
    expr = parse_postfix(std::move(expr));
    if (with_filter) expr = parse_filter_chain(std::move(expr));
    return expr;
  }

  ExprPtr parse_primary() {
    const Token& token = current();
    const int line = token.line;
    switch (token.kind) {
      case Token::Kind::name: {
        const std::string& name = token.text;
        advance();
        if (name == "true" || name == "True") return make(node::Literal{Value::boolean(true)}, line);
        if (name == "false" || name == "False") return make(node::Literal{Value::boolean(false)}, line);
        if (name == "none" || name == "None") return make(node::Literal{Value::none()}, line);
        return make(node::Name{name}, line);
      }
      case Token::Kind::string: {
        std::string text = token.text;
        advance();
        while (current().kind == Token::Kind::string) {  // adjacent literals concatenate
          text += current().text;
          advance();
        }
        return make(node::Literal{Value::string(std::move(text))}, line);
      }
      case Token::Kind::integer: {
        const int64_t value = token.integer;
        advance();
        return make(node::Literal{Value::integer(value)}, line);
      }
      case Token::Kind::floating: {
        const double value = token.floating;
        advance();
        return make(node::Literal{Value::floating(value)}, line);
      }
      case Token::Kind::op:
        if (token.text == "(") {
          advance();
          ExprPtr inner = parse_tuple(false, true);
          expect_op(")");
          return inner;
        }
        if (token.text == "[") return parse_list();
        if (token.text == "{") return parse_dict();
        break;
      default: break;
    }
    fail("unexpected " + describe(token) + " in expression");
  }

  ExprPtr parse_list() {
    const int line = current().line;
    advance();
    std::vector<ExprPtr> items;
    while (!is_op("]")) {
      if (!items.empty()) expect_op(",");
      if (is_op("]")) break;  // trailing comma
      items.push_back(parse_expression(true));
    }
    advance();
    return make(node::ListLiteral{std::move(items)}, line);
  }

  ExprPtr parse_dict() {
    const int line = current().line;
    advance();
    std::vector<std::pair<ExprPtr, ExprPtr>> entries;
    while (!is_op("}")) {
      if (!entries.empty()) expect_op(",");
      if (is_op("}")) break;
      ExprPtr key = parse_expression(true);
      expect_op(":");
      entries.emplace_back(std::move(key), parse_expression(true));
    }
    advance();
    return make(node::DictLiteral{std::move(entries)}, line);
  }

  ExprPtr parse_postfix(ExprPtr expr) {
    while (true) {
      if (is_op(".") || is_op("[")) {
        expr = parse_subscript(std::move(expr));
      } else if (is_op("(")) {
        expr = parse_call(std::move(expr));
      } else {
        return expr;
      }
    }
  }

  ExprPtr parse_filter_chain(ExprPtr expr) {
    while (true) {
      if (is_op("|")) {
        expr = parse_filter(std::move(expr));
      } else if (is_name("is")) {
        expr = parse_test(std::move(expr));
      } else if (is_op("(")) {
        expr = parse_call(std::move(expr));
      } else {
        return expr;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr object) {
    const int line = current().line;
    if (skip_op(".")) {
      if (current().kind == Token::Kind::integer) {  // foo.0 is foo[0]
        ExprPtr index = make(node::Literal{Value::integer(current().integer)}, line);
        advance();
        return make(node::Subscript{std::move(object), std::move(index)}, line);
      }
      return make(node::Attribute{std::move(object), expect_identifier()}, line);
    }
    expect_op("[");
    ExprPtr start;
    if (!is_op(":")) {
      start = parse_expression(true);
      if (!is_op(":")) {
        expect_op("]");
        return make(node::Subscript{std::move(object), std::move(start)}, line);
      }
    }
    advance();  // the first ':'
    ExprPtr stop;
    ExprPtr step;
    if (!is_op("]") && !is_op(":")) stop = parse_expression(true);
    if (skip_op(":") && !is_op("]")) step = parse_expression(true);
    expect_op("]");
    return make(node::Slice{std::move(object), std::move(start), std::move(stop), std::move(step)}, line);
  }

  ArgumentExprs parse_arguments() {
    expect_op("(");
    ArgumentExprs arguments;
    bool first = true;
    while (!is_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (is_op(")")) break;
      if (is_op("*") || is_op("**")) fail("*args and **kwargs are not supported");
      if (current().kind == Token::Kind::name && peek().kind == Token::Kind::op && peek().text == "=") {
        std::string name = current().text;
        advance();
        advance();
        arguments.keyword.emplace_back(std::move(name), parse_expression(true));
      } else {
        if (!arguments.keyword.empty()) fail("positional argument after keyword argument");
        arguments.positional.push_back(parse_expression(true));
      }
    }
    advance();
    return arguments;
  }

  ExprPtr parse_call(ExprPtr callee) {
    const int line = current().line;
    return make(node::Call{std::move(callee), parse_arguments()}, line);
  }

  std::string parse_dotted_name() {
    std::string name = expect_identifier();
    while (is_op(".") && peek().kind == Token::Kind::name) {
      advance();
      name += '.';
      name += expect_identifier();
    }
    return name;
  }

  ExprPtr parse_filter(ExprPtr operand) {
    const int line = current().line;
    advance();  // '|'
    node::Filter filter{std::move(operand), parse_dotted_name(), {}};
    if (is_op("(")) filter.arguments = parse_arguments();
    return make(std::move(filter), line);
  }

  ExprPtr parse_test(ExprPtr operand) {
    const int line = current().line;
    advance();  // 'is'
    const bool negated = skip_name("not");
    node::Test test{std::move(operand), parse_dotted_name(), {}, negated};
    if (is_op("(")) {
      test.arguments = parse_arguments();
    } else if (starts_test_argument()) {
      // `x is divisibleby 3`: one argument without parentheses.
      test.arguments.positional.push_back(parse_postfix(parse_primary()));
    }
    return make(std::move(test), line);
  }

  bool starts_test_argument() const {
    const Token& token = current();
    switch (token.kind) {
      case Token::Kind::string:
      case Token::Kind::integer:
      case Token::Kind::floating: return true;
      case Token::Kind::op: return token.text == "[" || token.text == "{";
      case Token::Kind::name: {
        static constexpr std::string_view kKeywords[] = {"else", "or", "and", "if", "in", "not", "is"};
        return std::find(std::begin(kKeywords), std::end(kKeywords), token.text) == std::end(kKeywords);
      }
      default: return false;
    }
  }

  const std::vector<Token>& tokens_;
  const ParseLimits& limits_;
  std::size_t pos_ = 0;
  int block_depth_ = 0;
  int loop_depth_ = 0;
  int recursion_ = 0;
};

}  // namespace

Body parse_template(const std::vector<Token>& tokens, const ParseLimits& limits) {
  if (tokens.empty()) return {};
  return Parser(tokens, limits).parse();
}

}  // namespace parley::engine::jinja
