// Sanitizer options every executable of a CIMSIM_SANITIZE build starts with (the test
// executables, the cimsim CLI they run as a child, the fuzzers). Compiled in rather than
// set by ctest so that they also hold for gtest's test discovery, for the binary run from the
// Python tools, and by hand. ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS override them.
// Why each option: docs/testing.md, "Sanitizers".

#define CIMSIM_SANITIZER_HOOK extern "C" __attribute__((used, visibility("default"))) const char*

// SystemC runs SC_THREADs as QuickThreads coroutines on stacks of its own, which ASan cannot
// follow: its fake stacks for use-after-return detection would be mixed up at each switch.
CIMSIM_SANITIZER_HOOK __asan_default_options() {
  return "detect_stack_use_after_return=0:halt_on_error=1:abort_on_error=0:detect_leaks=1:"
         "check_initialization_order=1:strict_init_order=1:detect_odr_violation=2";
}

CIMSIM_SANITIZER_HOOK __ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}

CIMSIM_SANITIZER_HOOK __lsan_default_options() {
  return "suppressions=" CIMSIM_LSAN_SUPPRESSIONS ":print_suppressions=0";
}
