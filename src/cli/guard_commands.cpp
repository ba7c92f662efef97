// `parley guard check [--json] TEXT...` (the prompt-injection verdict) and `parley guard redact TEXT...` (the text
// with personal data replaced by typed placeholders). Both read standard input when no TEXT is given.
#include <iostream>
#include <cmath>
#include <iterator>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "guard/injection.h"
#include "guard/pii.h"

namespace parley::cli {
namespace {

std::string joined_or_stdin(const std::vector<std::string>& words) {
  if (words.empty()) return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  std::string text;
  for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
  return text;
}

}  // namespace

void add_guard_commands(CLI::App& app, Globals& globals) {
  auto* guard = app.add_subcommand("guard", "Prompt-injection and personal-data checks on a text");
  guard->require_subcommand(1);

  struct CheckOptions {
    std::vector<std::string> words;
    bool json = false;
  };
  auto check_options = std::make_shared<CheckOptions>();
  auto* check = guard->add_subcommand("check", "Is TEXT a prompt injection? (exit status 3 when it is)");
  check->add_option("text", check_options->words, "The text (standard input when absent)");
  check->add_flag("--json", check_options->json, R"(Print {"injection", "score", "reasons"})");
  check->callback(command_action(globals, [&globals, check_options]() -> Status {
    const auto verdict = guard::check_injection(joined_or_stdin(check_options->words));
    if (check_options->json) {
      std::cout << nlohmann::json{{"injection", verdict.injection},
                                  {"score", std::round(verdict.score * 1000) / 1000},
                                  {"reasons", verdict.reasons}}
                       .dump()
                << "\n";
    } else {
      std::cout << (verdict.injection ? "injection" : "no injection") << " (score " << verdict.score << ")";
      for (std::size_t i = 0; i < verdict.reasons.size(); ++i) std::cout << (i ? ", " : ": ") << verdict.reasons[i];
      std::cout << "\n";
    }
    if (verdict.injection) globals.exit_code = 3;
    return {};
  }));

  struct RedactOptions {
    std::vector<std::string> words;
    std::string types = "all";
  };
  auto redact_options = std::make_shared<RedactOptions>();
  auto* redact = guard->add_subcommand("redact", "Print TEXT with personal data replaced by [EMAIL], [PHONE], ...");
  redact->add_option("text", redact_options->words, "The text (standard input when absent)");
  redact->add_option("--types", redact_options->types,
                     "Which kinds: email, phone, card, iban, national_id, ip_address (comma-separated) or all")
      ->capture_default_str();
  redact->callback(command_action(globals, [redact_options]() -> Status {
    std::vector<std::string> unknown;
    const auto types = guard::parse_pii_types(redact_options->types, &unknown);
    if (!unknown.empty()) return make_error(ErrorCode::invalid_request, "unknown kind of personal data: " + unknown.front());
    std::string text = guard::redact_pii(joined_or_stdin(redact_options->words), types);
    std::cout << text << (text.ends_with('\n') ? "" : "\n");
    return {};
  }));
}

}  // namespace parley::cli
