// The Jinja subset: expected outputs are what Jinja2 (with transformers' trim_blocks/lstrip_blocks environment)
// prints for the same template.
#include "engine/jinja/template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace parley::engine::jinja {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

Result<std::string> try_render(std::string_view source, const json& context = json::object(),
                               const TemplateLimits& limits = {}) {
  auto parsed = Template::parse(source, limits);
  if (!parsed.ok()) return parsed.error();
  return parsed->render(context);
}

std::string render(std::string_view source, const json& context = json::object()) {
  auto result = try_render(source, context);
  EXPECT_TRUE(result.ok()) << source << " -> " << (result.ok() ? "" : result.error().message);
  return result.ok() ? *result : "";
}

std::string error_of(std::string_view source, const json& context = json::object(), const TemplateLimits& limits = {}) {
  auto result = try_render(source, context, limits);
  EXPECT_FALSE(result.ok()) << source << " rendered as " << (result.ok() ? *result : "");
  return result.ok() ? "" : result.error().message;
}

TEST(JinjaWhitespace, TrimBlocksAndLstripBlocks) {
  EXPECT_EQ(render("{% if true %}\n  yes\n{% endif %}\nend"), "  yes\nend");
  EXPECT_EQ(render("a\n    {% if true %}\nb\n    {% endif %}\nc"), "a\nb\nc");
  // lstrip_blocks does not touch {{ }}, and text before a tag on the same line stays.
  EXPECT_EQ(render("  {{ 'x' }}\n"), "  x");
  EXPECT_EQ(render("a {% if true %}b{% endif %}"), "a b");
}

TEST(JinjaWhitespace, MinusAndPlusModifiers) {
  EXPECT_EQ(render("a  \n  {{- 'b' -}}  \n  c"), "abc");
  EXPECT_EQ(render("a\n  {%- if true -%}\n  b\n{%- endif %}"), "ab");
  EXPECT_EQ(render("a\n  {%+ if true %}b{% endif %}"), "a\n  b");
  EXPECT_EQ(render("{# comment #}\nx  {#- trimmed -#}  y"), "xy");
}

TEST(JinjaWhitespace, OneTrailingNewlineRemovedAndNewlinesNormalised) {
  EXPECT_EQ(render("x\n\n"), "x\n");
  EXPECT_EQ(render("a\r\nb\rc"), "a\nb\nc");
}

TEST(JinjaWhitespace, RawBlocksAreLiteral) {
  EXPECT_EQ(render("{% raw %}{{ not evaluated }}{% endraw %}"), "{{ not evaluated }}");
}

TEST(JinjaExpressions, ArithmeticFollowsPython) {
  EXPECT_EQ(render("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 2 ** 3 ** 2 }}"), "7 9 64");
  EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }}"), "3 -4 2 -2");
  EXPECT_EQ(render("{{ 7 / 2 }} {{ 10 / 2 }} {{ 1 / 3 }} {{ 0.1 + 0.2 }}"), "3.5 5.0 0.3333333333333333 0.30000000000000004");
  EXPECT_EQ(render("{{ 1e20 }} {{ 1.5e-7 }} {{ 100.0 }} {{ 1e16 }} {{ 123.25 }} {{ 0.0001 }}"),
            "1e+20 1.5e-07 100.0 1e+16 123.25 0.0001");
  EXPECT_EQ(render("{{ -3 }} {{ - (2 + 1) }} {{ 'ab' * 3 }} {{ [0] * 2 }}"), "-3 -3 ababab [0, 0]");
  EXPECT_EQ(render("{{ true + 1 }} {{ 1 == 1.0 }} {{ 2 > 1.5 }}"), "2 True True");
}

TEST(JinjaExpressions, StringsListsAndDictsPrintAsPython) {
  EXPECT_EQ(render("{{ [1, 'a', none, true, 2.0] }}"), "[1, 'a', None, True, 2.0]");
  EXPECT_EQ(render("{{ {'a': 1, 'b': [\"it's\"]} }}"), "{'a': 1, 'b': [\"it's\"]}");
  EXPECT_EQ(render("{{ none }}|{{ undefined_name }}|{{ 'a' ~ 1 ~ none }}"), "None||a1None");
  EXPECT_EQ(render(R"({{ 'tab\there\n' "joined" '\u00e9\x41' }})"), "tab\there\njoined\xC3\xA9" "A");
}

TEST(JinjaExpressions, LogicReturnsOperands) {
  EXPECT_EQ(render("{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }}| {{ not [] }}"), "x b | True");
  EXPECT_EQ(render("{{ 'y' if 1 > 2 else 'n' }}|{{ 'y' if false }}|{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }}"), "n||True False");
  EXPECT_EQ(render("{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }}"),
            "True True True True");
  EXPECT_EQ(render("{{ 'x' in missing }}"), "False");
}

TEST(JinjaExpressions, FiltersBindTighterThanOperators) {
  EXPECT_EQ(render("{{ 'x' + ' y ' | trim }}"), "xy");
  EXPECT_EQ(render("{{ items | length - 1 }}", {{"items", {1, 2, 3}}}), "2");
  EXPECT_EQ(render("{{ -1 | abs }}"), "1");
}

TEST(JinjaExpressions, AttributesItemsAndSlices) {
  const json context = {{"m", {{"role", "user"}, {"content", "héllo"}}}, {"xs", {1, 2, 3, 4}}};
  EXPECT_EQ(render("{{ m.role }} {{ m['content'] }} {{ m.missing }}|{{ m.missing is defined }}", context),
            "user héllo |False");
  EXPECT_EQ(render("{{ xs[0] }} {{ xs[-1] }} {{ xs[1:3] }} {{ xs[::-1] }} {{ xs[::2] }} {{ xs[10] }}|", context),
            "1 4 [2, 3] [4, 3, 2, 1] [1, 3] |");
  EXPECT_EQ(render("{{ m.content[1:3] }} {{ m.content[-1] }} {{ m.content | length }}", context), "él o 5");
  EXPECT_EQ(render("{{ xs.0 }}", context), "1");
}

TEST(JinjaTests, TypeAndValueTests) {
  EXPECT_EQ(render("{{ x is defined }} {{ x is undefined }} {{ none is none }} {{ 'a' is string }}"),
            "False True True True");
  EXPECT_EQ(render("{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 1 is number }} {{ 1.5 is float }}"),
            "True True True True True");
  EXPECT_EQ(render("{{ {} is mapping }} {{ [] is iterable }} {{ 'a' is not none }} {{ false is false }}"),
            "True True True True");
  EXPECT_EQ(render("{{ 'a' is equalto 'a' }} {{ 2 is gt 1 }} {{ 'x' is in ['x'] }} {{ range is callable }}"),
            "True True True True");
}

TEST(JinjaStatements, ForLoopVariables) {
  EXPECT_EQ(render("{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ x }}{{ loop.revindex0 }}"
                   "{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %},{% endfor %}"),
            "1a2F,2b1,3c0L,");
  EXPECT_EQ(render("{% for x in [1, 2, 3] %}{{ loop.previtem | default('-') }}{{ loop.nextitem | default('-') }} "
                   "{{ loop.cycle('odd', 'even') }};{% endfor %}"),
            "-2 odd;13 even;2- odd;");
}

TEST(JinjaStatements, ForLoopFilterElseAndUnpacking) {
  EXPECT_EQ(render("{% for x in [1, 5, 2, 7] if x > 1 %}{{ x }}/{{ loop.length }} {% endfor %}"), "5/3 2/3 7/3 ");
  EXPECT_EQ(render("{% for x in [] %}x{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% for k, v in d | items %}{{ k }}={{ v }};{% endfor %}", {{"d", {{"a", 1}, {"b", 2}}}}),
            "a=1;b=2;");
  EXPECT_EQ(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", {{"d", {{"a", 1}}}}), "a=1;");
  EXPECT_EQ(render("{% for c in 'héj' %}[{{ c }}]{% endfor %}"), "[h][é][j]");
  EXPECT_EQ(render("{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %}"), "xy");
}

TEST(JinjaStatements, BreakAndContinue) {
  EXPECT_EQ(render("{% for x in range(10) %}{% if x == 4 %}{% break %}{% endif %}"
                   "{% if x is odd %}{% continue %}{% endif %}{{ x }}{% endfor %}"),
            "02");
}

TEST(JinjaStatements, NestedLoopsHaveTheirOwnLoopVariable) {
  EXPECT_EQ(render("{% for a in [1, 2] %}{% for b in [1, 2, 3] %}{{ loop.index }}{% endfor %}{{ loop.index }} "
                   "{% endfor %}"),
            "1231 1232 ");
}

TEST(JinjaStatements, SetScopingAndNamespaces) {
  // A set inside a loop is local to it; a namespace carries values out.
  EXPECT_EQ(render("{% set x = 1 %}{% for i in [1, 2] %}{% set x = x + i %}{% endfor %}{{ x }}"), "1");
  EXPECT_EQ(render("{% set ns = namespace(total=0) %}{% for i in [1, 2, 3] %}{% set ns.total = ns.total + i %}"
                   "{% endfor %}{{ ns.total }}"),
            "6");
  EXPECT_EQ(render("{% if true %}{% set y = 'kept' %}{% endif %}{{ y }}"), "kept");
  EXPECT_EQ(render("{% set a, b = 1, 2 %}{{ b }}{{ a }}"), "21");
  EXPECT_EQ(render("{% set block %}one {{ 1 + 1 }}{% endset %}[{{ block }}]"), "[one 2]");
  EXPECT_THAT(error_of("{% set d = {} %}{% set d.x = 1 %}"), HasSubstr("namespace"));
}

TEST(JinjaStatements, Macros) {
  EXPECT_EQ(render("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}"
                   "{{ greet('Ann') }} {{ greet('Bo', punct='?') }}"),
            "Hi Ann! Hi Bo?");
  // Macros see top-level variables but not the caller's loop variables.
  EXPECT_EQ(render("{% set top = 'T' %}{% macro m() %}{{ top }}{{ x }}{% endmacro %}"
                   "{% for x in [1] %}{{ m() }}{% endfor %}"),
            "T");
}

TEST(JinjaStatements, GenerationBlockRendersItsBody) {
  EXPECT_EQ(render("{% generation %}answer{% endgeneration %}"), "answer");
}

TEST(JinjaFilters, StringFilters) {
  EXPECT_EQ(render("{{ '  a b  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ 'Hello' | upper }}{{ 'Hello' | lower }}"),
            "a b|a|HELLOhello");
  EXPECT_EQ(render("{{ 'hello world' | title }} {{ 'hELLO' | capitalize }} {{ 'aaa' | replace('a', 'b', 2) }}"),
            "Hello World Hello bba");
  EXPECT_EQ(render("{{ 'a\nb\n\nc' | indent(2) }}|{{ 'x' | indent(2, true) }}"), "a\n  b\n\n  c|  x");
  EXPECT_EQ(render("{{ '<a href=\"x\">' | e }}"), "&lt;a href=&#34;x&#34;&gt;");
  EXPECT_EQ(render("{{ 42 | string | length }} {{ '12' | int + 1 }} {{ 'x' | int(7) }} {{ '2.5' | float }}"),
            "2 13 7 2.5");
  EXPECT_EQ(render("{{ 2.5 | round }} {{ 3.14159 | round(2) }} {{ 2.1 | round(0, 'ceil') }}"), "2.0 3.14 3.0");
}

TEST(JinjaFilters, DefaultFilter) {
  EXPECT_EQ(render("{{ x | default('d') }} {{ '' | default('d') }} {{ '' | default('d', true) }} {{ x | d }}|"),
            "d  d |");
}

TEST(JinjaFilters, SequenceFilters) {
  const json context = {{"users", {{{"name", "b"}, {"role", "user"}}, {{"name", "A"}, {"role", "admin"}},
                                   {{"name", "c"}, {"role", "user"}}}}};
  EXPECT_EQ(render("{{ users | map(attribute='name') | join(', ') }}", context), "b, A, c");
  EXPECT_EQ(render("{{ users | selectattr('role', 'equalto', 'user') | map(attribute='name') | list }}", context),
            "['b', 'c']");
  EXPECT_EQ(render("{{ users | rejectattr('role', 'eq', 'user') | length }}", context), "1");
  EXPECT_EQ(render("{{ users | sort(attribute='name') | map(attribute='name') | join }}", context), "Abc");
  EXPECT_EQ(render("{{ [3, 1, 2] | sort(reverse=true) }} {{ [1, 2, 1, 3] | unique | list }}"), "[3, 2, 1] [1, 2, 3]");
  EXPECT_EQ(render("{{ [1, 2, 3] | first }}{{ [1, 2, 3] | last }}{{ [1, 2, 3] | sum }}{{ [4, 9] | max }}"), "1369");
  EXPECT_EQ(render("{{ [1, 0, 2, none] | select | list }} {{ [1, 2, 3, 4] | reject('odd') | list }}"),
            "[1, 2] [2, 4]");
  EXPECT_EQ(render("{{ ['a', 'b'] | map('upper') | join('-') }}"), "A-B");
  EXPECT_EQ(render("{{ {'b': 1, 'a': 2} | dictsort }}"), "[['a', 2], ['b', 1]]");
  EXPECT_EQ(render("{{ 'abc' | reverse }} {{ [1, 2] | reverse | list }} {{ 'ab' | list }}"), "cba [2, 1] ['a', 'b']");
}

TEST(JinjaFilters, ToJsonMatchesPythonJsonDumps) {
  const json context = {{"value", {{"a", {1, 2.5, "x\n\"é"}}, {"b", nullptr}, {"c", true}}}};
  EXPECT_EQ(render("{{ value | tojson }}", context), R"({"a": [1, 2.5, "x\n\"é"], "b": null, "c": true})");
  EXPECT_EQ(render("{{ value.a | tojson(indent=2) }}", context), "[\n  1,\n  2.5,\n  \"x\\n\\\"é\"\n]");
  EXPECT_EQ(render("{{ {} | tojson }}{{ [] | tojson(indent=4) }}{{ 'é' | tojson(ensure_ascii=true) }}"),
            "{}[]\"\\u00e9\"");
  EXPECT_EQ(render("{{ {'b': 1, 'a': {'c': 2}} | tojson(sort_keys=true, separators=(',', ':')) }}"),
            R"({"a":{"c":2},"b":1})");
}

TEST(JinjaMethods, StringMethods) {
  EXPECT_EQ(render("{{ '  x  '.strip() }}|{{ '\\n\\nx\\n'.lstrip('\\n') }}|{{ 'x--'.rstrip('-') }}"), "x|x\n|x");
  EXPECT_EQ(render("{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }}"),
            "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c']");
  EXPECT_EQ(render("{{ 'reason</think>answer'.split('</think>')[-1] }}"), "answer");
  EXPECT_EQ(render("{{ 'hello'.startswith('he') }} {{ 'hello'.endswith(('x', 'lo')) }} {{ 'abc'.upper() }}"),
            "True True ABC");
  EXPECT_EQ(render("{{ 'a-b-c'.replace('-', '+') }} {{ 'hello'.find('l') }} {{ ', '.join(['x', 'y']) }}"),
            "a+b+c 2 x, y");
  EXPECT_EQ(render("{{ d.get('a') }} {{ d.get('z', 'none') }} {{ d.get('z') }} {{ d.keys() | list }}",
                   {{"d", {{"a", 1}}}}),
            "1 none None ['a']");
}

TEST(JinjaGlobals, RangeNamespaceDictAndRaise) {
  EXPECT_EQ(render("{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ range(3, 0, -1) | list }}"),
            "[0, 1, 2] [1, 3, 5] [3, 2, 1]");
  EXPECT_EQ(render("{{ dict(a=1)['a'] }}"), "1");
  EXPECT_THAT(error_of("{{ raise_exception('roles must alternate') }}"), HasSubstr("roles must alternate"));
}

TEST(JinjaErrors, SyntaxErrorsNameTheLine) {
  EXPECT_THAT(error_of("line one\n{% if x %}\nno end"), HasSubstr("missing {% endif %}"));
  EXPECT_THAT(error_of("a\n\n{{ 1 + }}"), HasSubstr("line 3"));
  EXPECT_THAT(error_of("{{ 'unterminated }}"), HasSubstr("unterminated string"));
  EXPECT_THAT(error_of("{{ x"), HasSubstr("missing '}}'"));
  EXPECT_THAT(error_of("{% endfor %}"), HasSubstr("endfor"));
  EXPECT_THAT(error_of("{% include 'other.html' %}"), HasSubstr("include"));
  EXPECT_THAT(error_of("{% break %}"), HasSubstr("outside of a loop"));
  EXPECT_THAT(error_of("{# never closed"), HasSubstr("unterminated comment"));
  EXPECT_THAT(error_of("{{ 1 $ 2 }}"), HasSubstr("unexpected character"));
}

TEST(JinjaErrors, RuntimeErrorsAreReported) {
  EXPECT_THAT(error_of("{{ 'a' + 1 }}"), HasSubstr("unsupported operand types for +: 'str' and 'int'"));
  EXPECT_THAT(error_of("{{ x + 1 }}"), HasSubstr("'x' is undefined"));
  EXPECT_THAT(error_of("{{ nothing() }}"), HasSubstr("'nothing' is undefined"));
  EXPECT_THAT(error_of("{{ 1 | no_such_filter }}"), HasSubstr("unknown filter 'no_such_filter'"));
  EXPECT_THAT(error_of("{{ 1 is no_such_test }}"), HasSubstr("unknown test"));
  EXPECT_THAT(error_of("{{ 1 // 0 }}"), HasSubstr("by zero"));
  EXPECT_THAT(error_of("{{ 9223372036854775807 + 1 }}"), HasSubstr("overflow"));
  EXPECT_THAT(error_of("{% for x in none %}{% endfor %}"), HasSubstr("not iterable"));
  EXPECT_THAT(error_of("{% for a, b in [[1, 2, 3]] %}{% endfor %}"), HasSubstr("unpack"));
  EXPECT_THAT(error_of("{{ [1][::0] }}"), HasSubstr("zero"));
}

TEST(JinjaLimits, DeeplyNestedExpressionsAreRefusedAtParseTime) {
  const std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  EXPECT_THAT(error_of(deep), HasSubstr("nested too deeply"));
  std::string chain = "{{ 1";
  for (int i = 0; i < 5000; ++i) chain += " + 1";
  EXPECT_THAT(error_of(chain + " }}"), HasSubstr("nested too deeply"));
  std::string blocks;
  for (int i = 0; i < 200; ++i) blocks += "{% if true %}";
  EXPECT_THAT(error_of(blocks), HasSubstr("nested too deeply"));
}

TEST(JinjaLimits, RecursiveMacrosStop) {
  EXPECT_THAT(error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"), HasSubstr("too deeply"));
}

TEST(JinjaLimits, OutputSizeIsBounded) {
  TemplateLimits limits;
  limits.render.max_output_bytes = 1000;
  EXPECT_THAT(error_of("{% for i in range(100) %}0123456789abcdef{% endfor %}", json::object(), limits),
              HasSubstr("limit"));
  EXPECT_THAT(error_of("{{ 'x' * 100000 }}", json::object(), limits), HasSubstr("limit"));
  EXPECT_THAT(error_of("{% set ns = namespace(s='ab') %}{% for i in range(20) %}{% set ns.s = ns.s ~ ns.s %}"
                       "{% endfor %}",
                       json::object(), limits),
              HasSubstr("limit"));
}

TEST(JinjaLimits, LoopIterationsAndStepsAreBounded) {
  TemplateLimits limits;
  limits.render.max_loop_iterations = 1000;
  EXPECT_THAT(error_of("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}", json::object(),
                       limits),
              HasSubstr("loop iterations"));
  EXPECT_THAT(error_of("{{ range(1000000) | length }}"), HasSubstr("range() too big"));
  limits = {};
  limits.render.max_steps = 5000;
  EXPECT_THAT(error_of("{% for i in range(10000) %}{% endfor %}", json::object(), limits), HasSubstr("steps"));
}

TEST(JinjaLimits, SelfContainingNamespaceCannotBePrintedForever) {
  EXPECT_THAT(error_of("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}"), HasSubstr("nested too deeply"));
  EXPECT_THAT(error_of("{% set ns = namespace() %}{% set ns.me = [ns] %}{{ ns | tojson }}"),
              HasSubstr("nested too deeply"));
}

TEST(JinjaLimits, OversizedSourceIsRefused) {
  TemplateLimits limits;
  limits.max_source_bytes = 10;
  auto parsed = Template::parse("01234567890", limits);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, ErrorCode::payload_too_large);
}

}  // namespace
}  // namespace parley::engine::jinja
