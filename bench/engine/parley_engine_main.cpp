// `parley-engine model …`: the engine's model commands on their own, the same code the `parley` binary runs for
// `parley model …` (useful for benchmarks and for building the engine without the server).
#include <CLI/CLI.hpp>

#include "engine/cli/model_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Parley engine: inspect, run, benchmark, build and download GGUF models"};
  app.require_subcommand(1);
  parley::engine::register_model_commands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
