// The `parley` binary: everything lives in the libraries; this only hands over the command line.
#include "cli/cli.h"

int main(int argc, char** argv) { return parley::cli::run(argc, argv); }
