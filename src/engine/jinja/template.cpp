#include "engine/jinja/template.h"

#include <new>

#include <nlohmann/json.hpp>

#include "engine/jinja/error.h"
#include "engine/jinja/lexer.h"

namespace parley::engine::jinja {
namespace {

Error template_error(std::string_view stage, const JinjaError& error) {
  std::string message = "chat template " + std::string(stage);
  if (error.line() > 0) message += " (line " + std::to_string(error.line()) + ")";
  return make_error(ErrorCode::unprocessable, message + ": " + error.what());
}

}  // namespace

Result<Template> Template::parse(std::string_view source, const TemplateLimits& limits) {
  if (source.size() > limits.max_source_bytes) {
    return make_error(ErrorCode::payload_too_large, "chat template larger than " +
                                                        std::to_string(limits.max_source_bytes) + " bytes");
  }
  try {
    auto body = std::make_shared<const Body>(parse_template(lex_template(source), limits.parse));
    return Template(std::move(body), limits);
  } catch (const JinjaError& error) {
    return template_error("syntax error", error);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::payload_too_large, "chat template too large to parse");
  }
}

Result<std::string> Template::render(std::shared_ptr<const Object> variables) const {
  try {
    Interpreter interpreter(limits_.render, std::move(variables));
    return interpreter.render(*body_);
  } catch (const JinjaError& error) {
    return template_error("rendering failed", error);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::payload_too_large, "chat template rendering ran out of memory");
  }
}

Result<std::string> Template::render(const nlohmann::json& context) const {
  if (!context.is_object()) return make_error(ErrorCode::invalid_request, "template context must be a JSON object");
  std::shared_ptr<Object> variables;
  try {
    const Value value = from_json(context);
    variables = value.object_ptr();
  } catch (const JinjaError& error) {
    return make_error(ErrorCode::invalid_request, std::string("template context: ") + error.what());
  }
  return render(std::move(variables));
}

}  // namespace parley::engine::jinja
