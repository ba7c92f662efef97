// The `parley` command line. Commands use the same services as the HTTP API; their output and flags are a
// stable contract (extended, never broken).
#pragma once

namespace parley::cli {

// Parses arguments and runs the command; returns the process exit status (0 ok, 1 failed, 2 usage).
int run(int argc, char** argv);

}  // namespace parley::cli
