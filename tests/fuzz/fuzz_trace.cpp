// Fuzzes the op-trace reader (JSON Lines, docs/trace-format.md): the header, every op and the
// checks between them, then the summary the CLI prints for a trace (cimsim lower --trace).
#include <cstdint>
#include <string>

#include "cimsim/common/error.hpp"
#include "cimsim/trace/summary.hpp"
#include "cimsim/trace/trace_io.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cimsim;
  std::string path = fuzz::write_scratch("t.jsonl", data, size);
  try {
    trace::TraceReader reader(path);
    (void)trace::summary_text(trace::summarize(reader));
  } catch (const InputError&) {
    // bad input, rejected as documented
  }
  return 0;
}
