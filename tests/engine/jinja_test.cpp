#include "engine/jinja/template.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace parley::engine::jinja {
namespace {

std::string render(std::string_view source, const nlohmann::json& context = nlohmann::json::object()) {
  auto parsed = Template::parse(source);
  if (!parsed.ok()) return "PARSE ERROR: " + parsed.error().message;
  auto rendered = parsed->render(context);
  if (!rendered.ok()) return "RENDER ERROR: " + rendered.error().message;
  return *rendered;
}

TEST(Jinja, Smoke) { EXPECT_EQ(render("Hello {{ name }}!", {{"name", "world"}}), "Hello world!"); }

}  // namespace
}  // namespace parley::engine::jinja
