// `parley model …`: inspect, run, benchmark, build and download GGUF models with the built-in engine. The commands,
// their flags and their JSON output are a stable contract (extended, never broken).
//
// On failure a command prints "error: <message>" to stderr and throws CLI::RuntimeError(1), which CLI11's
// App::exit turns into exit status 1 without printing anything more.
#pragma once

#include <CLI/CLI.hpp>

namespace parley::engine {

void register_model_commands(CLI::App& root);

}  // namespace parley::engine
