// cimsim run: lower a workload once and execute the same trace on one or more machines.
#include <unistd.h>

#include <iostream>
#include <optional>
#include <ostream>

#include "cimsim/cli/command.hpp"
#include "cimsim/common/atomic_file.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/exec/executor.hpp"
#include "cimsim/report/csv.hpp"
#include "cimsim/report/report.hpp"
#include "cimsim/trace/trace_io.hpp"
#include "cimsim/workload/workload.hpp"
#include "progress.hpp"

namespace cimsim::cli {
Command cmd_run() {
  Command c;
  c.name = "run";
  c.summary = "run a workload's trace on one or more machines and write the report";
  c.usage =
      "cimsim run [--machine NAME|FILE ...] [--workload NAME|FILE] [--mode M] [--prompt N] "
      "[--generate N] [--batch N] [--set PATH=VALUE ...] [--out FILE] [--quiet]\n"
      "       cimsim run [--machine NAME|FILE ...] --trace FILE [--set machine.PATH=VALUE ...]";
  c.add_options = [](po::options_description& d) {
    add_machine_options(d);
    add_workload_options(d);
    add_set_option(d);
    add_output_options(d);
    d.add_options()("trace", po::value<std::string>(),
                    "execute this trace file (cimsim lower --out) instead of lowering a workload")(
        "no-fast-forward", po::bool_switch(),
        "simulate every op in full, even identical repeated work")(
        "check-timing", po::bool_switch(),
        "run the DRAM timing checker on every memory command (slow)")(
        "csv-dir", po::value<std::string>(),
        "also write phases.csv, layers.csv, ops.csv and components.csv here");
  };
  c.run = [](const po::variables_map& vm, std::ostream& out) {
    std::vector<config::Assignment> sets = assignments(vm);
    if (vm.count("out")) check_output_path(vm["out"].as<std::string>());
    if (vm.count("csv-dir")) check_output_dir(vm["csv-dir"].as<std::string>());
    trace::OpSourceFactory factory;
    std::optional<workload::Workload> w;
    if (vm.count("trace") != 0) {
      for (const auto& a : sets) {
        if (a.root != "machine") {
          throw InputError(a.text, "a trace file fixes the workload; only machine. settings apply");
        }
      }
      if (vm.count("workload") != 0) {
        throw InputError("--trace", "give either --trace or --workload, not both");
      }
      std::string path = vm["trace"].as<std::string>();
      factory = [path]() { return trace::open_trace(path); };
    } else {
      std::string workload_name =
          vm.count("workload") ? vm["workload"].as<std::string>() : std::string("gpt2-small");
      w = workload::load_workload(workload_name, sets);
      factory = [&w]() { return workload::lower(*w); };
    }

    std::vector<config::ConfigDoc> machines = load_machines(vm, sets);

    exec::RunOptions options;
    options.fast_forward = !vm["no-fast-forward"].as<bool>();
    options.check_memory_timing = vm["check-timing"].as<bool>();
    auto header_source = factory();
    bool quiet = vm["quiet"].as<bool>();
    ProgressBar progress(std::cerr, header_source->header().op_count * machines.size(),
                         !quiet && ::isatty(STDERR_FILENO) != 0);
    options.on_progress = [&progress](const std::string&, uint64_t, uint64_t) {
      progress.advance();
    };
    std::vector<Json> sections = exec::run_machines(machines, factory, options);
    progress.finish();
    Json report = report::make_report(header_source->header(), sections);
    if (vm.count("out")) report::write_report(vm["out"].as<std::string>(), report);
    if (vm.count("csv-dir")) report::write_csvs(report, vm["csv-dir"].as<std::string>());
    if (!quiet) {
      out << report::summary_text(report);
      if (vm.count("out")) out << "\nreport written to " << vm["out"].as<std::string>() << "\n";
    }
    return 0;
  };
  return c;
}

}  // namespace cimsim::cli
