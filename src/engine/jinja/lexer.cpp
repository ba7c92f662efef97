#include "engine/jinja/lexer.h"

#include <cerrno>
#include <cstdlib>

#include "common/utf8.h"
#include "engine/jinja/error.h"

namespace parley::engine::jinja {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string normalise_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();  // Jinja's keep_trailing_newline=False
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string source) : source_(std::move(source)) {}

  std::vector<Token> run() {
    bool strip_next_text = false;  // the previous tag ended with `-`
    while (pos_ < source_.size()) {
      const std::size_t tag = find_tag(pos_);
      std::string text = source_.substr(pos_, tag - pos_);
      const bool text_at_line_start = pos_ == 0 || source_[pos_ - 1] == '\n';
      const int text_line = line_;
      advance_to(tag);
      if (strip_next_text) {
        std::size_t first = 0;
        while (first < text.size() && is_space(text[first])) ++first;
        text.erase(0, first);
      }
      if (tag == source_.size()) {
        emit_text(std::move(text), text_line);
        break;
      }
      const char opener = source_[tag + 1];
      const char modifier = tag + 2 < source_.size() ? source_[tag + 2] : '\0';
      if (modifier == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      } else if (modifier != '+' && opener != '{') {
        lstrip_block_line(text, text_at_line_start);
      }
      emit_text(std::move(text), text_line);
      const std::size_t after_opener = tag + 2 + (modifier == '-' || modifier == '+' ? 1 : 0);
      advance_to(after_opener);
      if (opener == '#') {
        strip_next_text = skip_comment();
      } else if (opener == '%' && at_raw_tag()) {
        strip_next_text = lex_raw_block();
      } else {
        strip_next_text = lex_tag(opener == '{');
      }
    }
    tokens_.push_back(Token{Token::Kind::end, "", 0, 0.0, line_});
    return std::move(tokens_);
  }

 private:
  // The position of the next `{{`, `{%` or `{#`, or the end of the source.
  std::size_t find_tag(std::size_t from) const {
    for (std::size_t i = source_.find('{', from); i != std::string::npos; i = source_.find('{', i + 1)) {
      if (i + 1 < source_.size() && (source_[i + 1] == '{' || source_[i + 1] == '%' || source_[i + 1] == '#')) {
        return i;
      }
    }
    return source_.size();
  }

  // lstrip_blocks: spaces and tabs between the start of a line and a block or comment tag are removed.
  static void lstrip_block_line(std::string& text, bool text_at_line_start) {
    const std::size_t newline = text.rfind('\n');
    const std::size_t line_start = newline == std::string::npos ? 0 : newline + 1;
    if (newline == std::string::npos && !text_at_line_start) return;
    for (std::size_t i = line_start; i < text.size(); ++i) {
      if (text[i] != ' ' && text[i] != '\t') return;
    }
    text.erase(line_start);
  }

  void emit_text(std::string text, int line) {
    if (!text.empty()) tokens_.push_back(Token{Token::Kind::text, std::move(text), 0, 0.0, line});
  }

  void advance_to(std::size_t target) {
    for (; pos_ < target; ++pos_) {
      if (source_[pos_] == '\n') ++line_;
    }
  }

  // After a closing `-X}` every following whitespace goes; after a plain `%}` or `#}` one newline goes
  // (trim_blocks). Returns whether the next text must be left-stripped.
  bool finish_tag(char modifier, bool is_block_or_comment) {
    if (modifier == '-') return true;
    if (modifier != '+' && is_block_or_comment && pos_ < source_.size() && source_[pos_] == '\n') advance_to(pos_ + 1);
    return false;
  }

  bool skip_comment() {
    const int start_line = line_;
    const std::size_t close = source_.find("#}", pos_);
    if (close == std::string::npos) throw JinjaError("unterminated comment", start_line);
    const char modifier = close > pos_ && (source_[close - 1] == '-' || source_[close - 1] == '+') ? source_[close - 1]
                                                                                                   : '\0';
    advance_to(close + 2);
    return finish_tag(modifier, true);
  }

  // True when the block tag at pos_ is `{% raw %}` (pos_ is just after `{%` and its modifier).
  bool at_raw_tag() const {
    std::size_t i = pos_;
    while (i < source_.size() && is_space(source_[i])) ++i;
    if (source_.compare(i, 3, "raw") != 0) return false;
    i += 3;
    while (i < source_.size() && is_space(source_[i])) ++i;
    if (i < source_.size() && (source_[i] == '-' || source_[i] == '+')) ++i;
    return source_.compare(i, 2, "%}") == 0;
  }

  // `{% raw %}...{% endraw %}`: everything between the tags is text.
  bool lex_raw_block() {
    const int start_line = line_;
    const std::size_t open_end = source_.find("%}", pos_);
    const char open_modifier = source_[open_end - 1];
    advance_to(open_end + 2);
    if (finish_tag(open_modifier, true)) {
      while (pos_ < source_.size() && is_space(source_[pos_])) advance_to(pos_ + 1);
    }
    for (std::size_t tag = source_.find("{%", pos_); tag != std::string::npos; tag = source_.find("{%", tag + 2)) {
      std::size_t i = tag + 2;
      const char modifier = i < source_.size() ? source_[i] : '\0';
      if (modifier == '-' || modifier == '+') ++i;
      while (i < source_.size() && is_space(source_[i])) ++i;
      if (source_.compare(i, 6, "endraw") != 0) continue;
      i += 6;
      while (i < source_.size() && is_space(source_[i])) ++i;
      char close_modifier = '\0';
      if (i < source_.size() && (source_[i] == '-' || source_[i] == '+')) close_modifier = source_[i++];
      if (source_.compare(i, 2, "%}") != 0) continue;
      std::string text = source_.substr(pos_, tag - pos_);
      if (modifier == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      }
      const int text_line = line_;
      emit_text(std::move(text), text_line);
      advance_to(i + 2);
      return finish_tag(close_modifier, true);
    }
    throw JinjaError("unterminated raw block (missing {% endraw %})", start_line);
  }

  // The tokens of one `{{ ... }}` or `{% ... %}`; pos_ is just after the opener and its modifier.
  bool lex_tag(bool is_variable) {
    const int start_line = line_;
    tokens_.push_back(Token{is_variable ? Token::Kind::variable_begin : Token::Kind::block_begin, "", 0, 0.0, line_});
    const char closer = is_variable ? '}' : '%';
    int depth = 0;  // open brackets: `}}` inside a dict literal does not close the tag
    while (true) {
      while (pos_ < source_.size() && is_space(source_[pos_])) advance_to(pos_ + 1);
      if (pos_ >= source_.size()) {
        throw JinjaError(is_variable ? "unterminated '{{' (missing '}}')" : "unterminated '{%' (missing '%}')",
                         start_line);
      }
      const char c = source_[pos_];
      if (depth == 0) {
        char modifier = '\0';
        std::size_t close = pos_;
        if ((c == '-' || c == '+') && pos_ + 1 < source_.size() && source_[pos_ + 1] == closer) {
          modifier = c;
          ++close;
        }
        if (source_[close] == closer && close + 1 < source_.size() && source_[close + 1] == '}') {
          tokens_.push_back(Token{is_variable ? Token::Kind::variable_end : Token::Kind::block_end, "", 0, 0.0, line_});
          advance_to(close + 2);
          return finish_tag(modifier, !is_variable);
        }
      }
      if (c == '\'' || c == '"') {
        lex_string(c);
      } else if (is_digit(c)) {
        lex_number();
      } else if (is_name_start(c)) {
        std::size_t end = pos_;
        while (end < source_.size() && is_name_char(source_[end])) ++end;
        tokens_.push_back(Token{Token::Kind::name, source_.substr(pos_, end - pos_), 0, 0.0, line_});
        advance_to(end);
      } else {
        lex_operator(depth);
      }
    }
  }

  void lex_operator(int& depth) {
    static constexpr std::string_view kTwoCharOperators[] = {"//", "**", "==", "!=", "<=", ">="};
    for (const std::string_view op : kTwoCharOperators) {
      if (source_.compare(pos_, 2, op) == 0) {
        tokens_.push_back(Token{Token::Kind::op, std::string(op), 0, 0.0, line_});
        advance_to(pos_ + 2);
        return;
      }
    }
    const char c = source_[pos_];
    static constexpr std::string_view kOneCharOperators = "+-*/%~()[]{},.:|=<>";
    if (kOneCharOperators.find(c) == std::string_view::npos) {
      throw JinjaError(std::string("unexpected character '") + c + "' in expression", line_);
    }
    if (c == '(' || c == '[' || c == '{') ++depth;
    if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
    tokens_.push_back(Token{Token::Kind::op, std::string(1, c), 0, 0.0, line_});
    advance_to(pos_ + 1);
  }

  void lex_number() {
    const std::size_t start = pos_;
    std::size_t end = pos_;
    const auto digits = [&] {
      while (end < source_.size() && (is_digit(source_[end]) || (source_[end] == '_' && end + 1 < source_.size() &&
                                                                  is_digit(source_[end + 1])))) {
        ++end;
      }
    };
    digits();
    bool is_float = false;
    if (end + 1 < source_.size() && source_[end] == '.' && is_digit(source_[end + 1])) {
      is_float = true;
      ++end;
      digits();
    }
    if (end < source_.size() && (source_[end] == 'e' || source_[end] == 'E')) {
      std::size_t exponent = end + 1;
      if (exponent < source_.size() && (source_[exponent] == '+' || source_[exponent] == '-')) ++exponent;
      if (exponent < source_.size() && is_digit(source_[exponent])) {
        is_float = true;
        end = exponent;
        digits();
      }
    }
    std::string literal;
    for (std::size_t i = start; i < end; ++i) {
      if (source_[i] != '_') literal += source_[i];
    }
    Token token{is_float ? Token::Kind::floating : Token::Kind::integer, literal, 0, 0.0, line_};
    errno = 0;
    if (is_float) {
      token.floating = std::strtod(literal.c_str(), nullptr);
    } else {
      token.integer = std::strtoll(literal.c_str(), nullptr, 10);
      if (errno == ERANGE) throw JinjaError("integer literal out of range: " + literal, line_);
    }
    tokens_.push_back(std::move(token));
    advance_to(end);
  }

  // A Python string literal; escapes as Python's unicode-escape decodes them.
  void lex_string(char quote) {
    const int start_line = line_;
    std::string value;
    std::size_t i = pos_ + 1;
    while (true) {
      if (i >= source_.size()) throw JinjaError("unterminated string literal", start_line);
      const char c = source_[i];
      if (c == quote) break;
      if (c != '\\') {
        value += c;
        ++i;
        continue;
      }
      if (i + 1 >= source_.size()) throw JinjaError("unterminated string literal", start_line);
      const char e = source_[i + 1];
      i += 2;
      switch (e) {
        case '\n': break;
        case '\\': value += '\\'; break;
        case '\'': value += '\''; break;
        case '"': value += '"'; break;
        case 'a': value += '\a'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case 'n': value += '\n'; break;
        case 'r': value += '\r'; break;
        case 't': value += '\t'; break;
        case 'v': value += '\v'; break;
        case 'x':
        case 'u':
        case 'U': {
          const std::size_t width = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          char32_t cp = 0;
          for (std::size_t k = 0; k < width; ++k) {
            const int h = i + k < source_.size() ? hex_value(source_[i + k]) : -1;
            if (h < 0) throw JinjaError(std::string("truncated \\") + e + " escape in string literal", start_line);
            cp = cp * 16 + static_cast<char32_t>(h);
          }
          i += width;
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = U'\uFFFD';
          utf8_append(value, cp);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            char32_t cp = static_cast<char32_t>(e - '0');
            for (int k = 0; k < 2 && i < source_.size() && source_[i] >= '0' && source_[i] <= '7'; ++k, ++i) {
              cp = cp * 8 + static_cast<char32_t>(source_[i] - '0');
            }
            utf8_append(value, cp);
          } else {
            value += '\\';
            value += e;
          }
      }
    }
    tokens_.push_back(Token{Token::Kind::string, std::move(value), 0, 0.0, start_line});
    advance_to(i + 1);
  }

  std::string source_;
  std::size_t pos_ = 0;
  int line_ = 1;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> lex_template(std::string_view source) { return Lexer(normalise_newlines(source)).run(); }

}  // namespace parley::engine::jinja
