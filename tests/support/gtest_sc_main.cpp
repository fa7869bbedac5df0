// sc_main for every test executable: libsystemc supplies main() and calls sc_main, so the
// tests link GTest::gtest (not gtest_main) and run from here. Every SystemC warning or error
// becomes a test failure (the VCML lesson), so a model cannot misbehave quietly.
#include <gtest/gtest.h>

#include <cstdlib>
#include <systemc>

namespace {
// SystemC prints its banner before sc_main runs; a static initializer turns it off.
const int kQuietBanner = ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);

void fail_on_report(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  if (report.get_severity() >= sc_core::SC_WARNING) {
    ADD_FAILURE() << "SystemC "
                  << (report.get_severity() == sc_core::SC_WARNING ? "warning" : "error") << " ["
                  << report.get_msg_type() << "]: " << report.get_msg();
  }
  if (report.get_severity() >= sc_core::SC_ERROR) throw sc_core::sc_report(report);
}
}  // namespace

int sc_main(int argc, char* argv[]) {
  sc_core::sc_report_handler::set_handler(fail_on_report);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
