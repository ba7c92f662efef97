// A Jinja template as chat templates use it: parsed once, rendered many times. The subset covers what Hugging Face
// chat templates are written in (see docs/ENGINE-TEXT.md): expressions with Python semantics, filters, tests,
// if/for/set/macro, loop controls, whitespace control with trim_blocks and lstrip_blocks. Malformed or hostile
// templates give an Error, never a crash; rendering is bounded in time, memory and recursion by TemplateLimits.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"
#include "engine/jinja/ast.h"
#include "engine/jinja/interpreter.h"
#include "engine/jinja/parser.h"
#include "engine/jinja/value.h"

namespace parley::engine::jinja {

struct TemplateLimits {
  std::size_t max_source_bytes = 1u << 20;
  ParseLimits parse;
  RenderLimits render;
};

class Template {
 public:
  // ErrorCode::unprocessable with "line N: ..." for syntax errors; payload_too_large for an oversized source.
  static Result<Template> parse(std::string_view source, const TemplateLimits& limits = {});

  // Renders with `variables` as the template's context. Errors (including raise_exception() from the template and
  // exceeded limits) are ErrorCode::unprocessable.
  Result<std::string> render(std::shared_ptr<const Object> variables) const;
  // The same with a JSON object's members as variables.
  Result<std::string> render(const nlohmann::json& context) const;

 private:
  Template(std::shared_ptr<const Body> body, TemplateLimits limits) : body_(std::move(body)), limits_(limits) {}

  std::shared_ptr<const Body> body_;
  TemplateLimits limits_;
};

}  // namespace parley::engine::jinja
