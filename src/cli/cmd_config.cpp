// cimsim config: print a machine or workload config as cimsim sees it - after "extends",
// inlined presets and --set overrides - once it has passed validation.
#include <ostream>

#include "cimsim/cli/command.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/config/describe.hpp"
#include "cimsim/exec/executor.hpp"
#include "cimsim/memory/config.hpp"
#include "cimsim/workload/workload.hpp"

namespace cimsim::cli {

Command cmd_config() {
  Command c;
  c.name = "config";
  c.summary =
      "print a machine, memory or workload config resolved (extends, presets, --set), validated";
  c.usage =
      "cimsim config (--machine NAME|FILE | --memory NAME|FILE | --workload NAME|FILE) "
      "[--set PATH=VALUE ...]";
  c.add_options = [](po::options_description& d) {
    d.add_options()("machine,m", po::value<std::string>(), "machine preset or file")(
        "workload,w", po::value<std::string>(), "workload preset or file")(
        "memory", po::value<std::string>(), "memory preset or file")(
        "defaults", po::bool_switch(), "workload only: print every parameter, defaults filled in");
    add_set_option(d);
  };
  c.run = [](const po::variables_map& vm, std::ostream& out) {
    std::vector<config::Assignment> sets = assignments(vm);
    if (vm.count("machine") + vm.count("workload") + vm.count("memory") != 1) {
      throw InputError("cimsim config",
                       "expected exactly one of --machine, --memory or --workload");
    }
    if (vm.count("memory") != 0) {
      std::string name = vm["memory"].as<std::string>();
      memory::load_memory_config(name, sets);  // validates
      config::ConfigDoc doc = config::load_config(config::memory_kind(), name);
      Json schema = memory::memory_schema();
      for (const auto& a : sets) {
        if (a.root == "memory") config::apply_assignment(doc, a, schema);
      }
      out << doc.root.dump(2) << "\n";
      return 0;
    }
    if (vm.count("machine") != 0) {
      config::ConfigDoc doc = exec::load_machine(vm["machine"].as<std::string>(), sets);
      out << doc.root.dump(2) << "\n";
      return 0;
    }
    std::string name = vm["workload"].as<std::string>();
    if (vm["defaults"].as<bool>()) {
      out << workload::workload_json(workload::load_workload(name, sets)).dump(2) << "\n";
      return 0;
    }
    // A Hugging Face config.json prints as the workload file it maps to.
    config::ConfigDoc doc = workload::workload_document(name, sets);
    workload::load_workload(name, sets);  // validates
    out << doc.root.dump(2) << "\n";
    return 0;
  };
  return c;
}

}  // namespace cimsim::cli
