// What every harness shares at link time: SystemC's sc_main (libsystemc's main is not used,
// libFuzzer brings its own; the symbol must exist), and the initialisation that points the
// preset search at the source tree.
#include "fuzz_support.hpp"

int sc_main(int, char*[]) {
  return 0;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  cimsim::fuzz::default_data_dir();
  return 0;
}
