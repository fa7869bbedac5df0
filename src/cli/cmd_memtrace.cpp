// cimsim memtrace: replay a DRAMsim3-format memory trace on a memory preset and report
// bandwidth, latency, row-buffer behaviour, commands and energy.
#include <ostream>

#include "cimsim/cli/command.hpp"
#include "cimsim/common/atomic_file.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/memory/memtrace.hpp"

namespace cimsim::cli {

Command cmd_memtrace() {
  Command c;
  c.name = "memtrace";
  c.summary = "replay a memory trace (DRAMsim3 format) on an HBM preset";
  c.usage =
      "cimsim memtrace --memory PRESET|FILE --trace FILE [--set memory.PATH=VALUE ...] "
      "[--out FILE] [--check-timing] [--quiet]";
  c.add_options = [](po::options_description& d) {
    d.add_options()("memory", po::value<std::string>()->required(),
                    "memory preset (cimsim info) or config file")(
        "trace", po::value<std::string>()->required(),
        "trace file: one \"0xADDR READ|WRITE CYCLE [REQUESTOR]\" per line")(
        "set", po::value<std::vector<std::string>>()->composing(),
        "override a memory setting: memory.PATH=VALUE (repeatable; type checked)")(
        "check-timing", po::bool_switch(),
        "check every DRAM command with the independent timing checker (slower)");
    add_output_options(d);
  };
  c.run = [](const po::variables_map& vm, std::ostream& out) {
    if (vm.count("out") != 0) {
      check_output_path(vm["out"].as<std::string>());
    }
    std::vector<config::Assignment> sets;
    if (vm.count("set") != 0) {
      for (const auto& s : vm["set"].as<std::vector<std::string>>()) {
        config::Assignment a = config::parse_assignment(s);
        if (a.root != "memory") {
          throw InputError("--set " + s,
                           "path must start with memory., got " + quote_for_message(a.root));
        }
        sets.push_back(a);
      }
    }
    memory::MemoryConfig config = memory::load_memory_config(vm["memory"].as<std::string>(), sets);
    std::string trace_path = vm["trace"].as<std::string>();
    memory::TraceReader reader(trace_path);
    memory::ReplayOptions options;
    options.check_timing = vm["check-timing"].as<bool>();
    memory::ReplayResult result = memory::replay_trace(config, reader, options);
    Json report = memory::memtrace_report(config, trace_path, result, options.check_timing);
    if (vm.count("out") != 0) {
      write_file_atomic(vm["out"].as<std::string>(), report.dump(2) + "\n");
    }
    if (!vm["quiet"].as<bool>()) {
      out << memory::memtrace_summary(report);
    }
    if (result.violation_count != 0) {
      throw std::runtime_error("the timing checker found " +
                               std::to_string(result.violation_count) +
                               " violations (a controller bug; see the report)");
    }
    return 0;
  };
  return c;
}

}  // namespace cimsim::cli
