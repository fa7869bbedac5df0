// Fuzzes the memory-trace reader (DRAMsim3 text: "0xADDR READ|WRITE CYCLE" per line) and the
// replay of what it reads on a small HBM2 preset, as `cimsim memtrace` does. Traces that end
// early enough also run with the independent timing checker, which must find nothing (with
// the checker every refresh is issued, so a trace idle for 10^18 cycles would take forever).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "cimsim/common/error.hpp"
#include "cimsim/memory/config.hpp"
#include "cimsim/memory/memtrace.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cimsim;
  static const memory::MemoryConfig config = memory::load_memory_config("hbm2", {});
  std::string path = fuzz::write_scratch("m.trc", data, size);
  try {
    memory::TraceReader reader(path);
    std::vector<memory::TraceRequest> requests;
    memory::Cycle last = 0;
    for (memory::TraceRequest r; reader.next(r);) {
      requests.push_back(r);
      last = std::max(last, r.cycle);
    }
    memory::ReplayOptions options;
    options.check_timing = last < 1000000;
    options.stall_on_full = size % 2 == 0;
    memory::ReplayResult result = memory::replay_requests(config, requests, options);
    if (result.violation_count != 0) {
      __builtin_trap();  // the controller broke a DRAM timing rule
    }
    (void)memory::memtrace_summary(
        memory::memtrace_report(config, path, result, options.check_timing));
  } catch (const InputError&) {
    // bad input, rejected as documented
  }
  return 0;
}
