// libsystemc supplies main() and calls sc_main.
#include <cstdlib>
#include <iostream>
#include <systemc>

#include "cimsim/cli/command.hpp"

namespace {
// SystemC prints its banner in sc_elab_and_sim(), before sc_main runs; a static initializer
// is the last chance to turn it off.
const int kQuietBanner = ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
}  // namespace

int sc_main(int argc, char* argv[]) {
  return cimsim::cli::main(argc, argv, std::cout, std::cerr);
}
