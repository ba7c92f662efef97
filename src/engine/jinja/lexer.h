// Splits a Jinja template into tokens: runs of literal text, and the tokens of the expressions and statements inside
// `{{ }}` and `{% %}` (comments `{# #}` are dropped). Whitespace control follows the environment chat templates are
// written for (Hugging Face transformers): trim_blocks and lstrip_blocks on, `-` and `+` modifiers, one trailing
// newline of the template removed, and newlines normalised to "\n".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::engine::jinja {

struct Token {
  enum class Kind {
    text,            // literal template data, already whitespace-controlled
    variable_begin,  // {{
    variable_end,    // }}
    block_begin,     // {%
    block_end,       // %}
    name,            // identifiers and keywords (if, for, and, true, ...)
    string,          // a string literal, escapes decoded
    integer,
    floating,
    op,              // an operator or punctuation: + - * / // % ** ~ == != < <= > >= = ( ) [ ] { } , . : |
    end,             // end of input
  };
  Kind kind = Kind::end;
  std::string text;  // the identifier, decoded string, operator or literal text
  int64_t integer = 0;
  double floating = 0.0;
  int line = 1;
};

// Throws JinjaError (with the line) for unterminated tags, comments, strings and raw blocks, and for bad literals.
std::vector<Token> lex_template(std::string_view source);

}  // namespace parley::engine::jinja
