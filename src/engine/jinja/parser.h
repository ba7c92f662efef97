// Parses the tokens of a template into a syntax tree. Supports the Jinja statements chat templates use: if/elif/else,
// for (with `else`, a filter condition and tuple targets), set (names, tuples, namespace attributes, blocks), macro,
// break/continue, and Hugging Face's `generation` block (rendered as its body).
#pragma once

#include <cstddef>
#include <vector>

#include "engine/jinja/ast.h"
#include "engine/jinja/lexer.h"

namespace parley::engine::jinja {

struct ParseLimits {
  int max_expression_depth = 128;  // height of one expression's tree
  int max_block_depth = 64;        // statements nested in statements
};

// Throws JinjaError (with the line) on a syntax error or when a limit is exceeded.
Body parse_template(const std::vector<Token>& tokens, const ParseLimits& limits);

}  // namespace parley::engine::jinja
