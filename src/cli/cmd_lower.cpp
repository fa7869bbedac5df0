// cimsim lower: a workload's operation trace, written as JSON Lines and/or summarised; or
// the summary of an existing trace file (--trace).
#include <ostream>

#include "cimsim/cli/command.hpp"
#include "cimsim/common/atomic_file.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/trace/summary.hpp"
#include "cimsim/trace/trace_io.hpp"
#include "cimsim/workload/workload.hpp"

namespace cimsim::cli {
namespace {

std::string grouped(uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return out;
}

int summarise_file(const po::variables_map& vm, std::ostream& out) {
  for (const char* other : {"workload", "mode", "prompt", "generate", "batch", "set", "out"}) {
    if (vm.count(other) != 0) {
      throw InputError(std::string("--") + other,
                       "cannot be combined with --trace (which summarises an existing trace)");
    }
  }
  trace::TraceReader reader(vm["trace"].as<std::string>());
  out << trace::summary_text(trace::summarize(reader));
  return 0;
}

}  // namespace

Command cmd_lower() {
  Command c;
  c.name = "lower";
  c.summary = "lower a workload to its operation trace (JSON Lines) and/or summarise it";
  c.usage =
      "cimsim lower --workload NAME|FILE [--mode M] [--prompt N] [--generate N] [--batch N] "
      "[--set workload.PATH=VALUE ...] [--out FILE] [--summary]\n"
      "       cimsim lower --trace FILE";
  c.add_options = [](po::options_description& d) {
    add_workload_options(d);
    add_set_option(d);
    d.add_options()("out,o", po::value<std::string>(),
                    "write the trace (JSON Lines, docs/trace-format.md) to this file")(
        "summary", po::bool_switch(),
        "print totals: FLOPs, bytes, ops by kind, per phase (the default without --out)")(
        "trace", po::value<std::string>(), "summarise this existing trace file instead");
  };
  c.run = [](const po::variables_map& vm, std::ostream& out) {
    if (vm.count("trace") != 0) {
      return summarise_file(vm, out);
    }
    if (vm.count("workload") == 0) {
      throw InputError("--workload", "required: a workload preset (cimsim info) or file");
    }
    if (vm.count("out") != 0) {
      check_output_path(vm["out"].as<std::string>());
    }
    std::vector<config::Assignment> sets = assignments(vm);
    for (const auto& a : sets) {
      if (a.root != "workload") {
        throw InputError(a.text, "cimsim lower takes workload.* settings only");
      }
    }
    workload::Workload w = workload::load_workload(vm["workload"].as<std::string>(), sets);
    const bool summary = vm["summary"].as<bool>() || vm.count("out") == 0;
    if (vm.count("out") != 0) {
      const std::string path = vm["out"].as<std::string>();
      auto source = workload::lower(w);
      uint64_t ops = trace::write_trace_file(*source, path);
      out << "wrote " << grouped(ops) << " ops to " << path << "\n";
    }
    if (summary) {
      auto source = workload::lower(w);
      out << trace::summary_text(trace::summarize(*source));
      workload::ParameterCount p = workload::count_parameters(w.model);
      out << "\nmodel parameters: " << grouped(p.total) << " total, " << grouped(p.non_embedding)
          << " non-embedding";
      if (p.active != p.total) {
        out << ", " << grouped(p.active) << " active per token";  // mixture of experts
      }
      out << "\n";
    }
    return 0;
  };
  return c;
}

}  // namespace cimsim::cli
