// `parley model …`: inspect, run, benchmark, build and download GGUF models with the built-in engine. The commands,
// their flags and their JSON output are a stable contract (extended, never broken).
//
// On failure a command prints "error: <message>" to stderr and throws CLI::RuntimeError(1), which CLI11's
// App::exit turns into exit status 1 without printing anything more.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string_view>

#include "common/result.h"

namespace parley::engine {

// `source_policy`: where `model pull` may download from (see PullRequest::source_policy).
void register_model_commands(CLI::App& root, std::function<Status(std::string_view url)> source_policy = {});

}  // namespace parley::engine
