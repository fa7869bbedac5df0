// cimsim schema: the JSON Schema of each config kind, generated from the declarations the
// parser itself uses (config/describe.hpp), so schema and parser cannot disagree.
#include <ostream>

#include "cimsim/cli/command.hpp"
#include "cimsim/common/atomic_file.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/exec/executor.hpp"
#include "cimsim/memory/config.hpp"
#include "cimsim/workload/workload.hpp"

namespace cimsim::cli {

// Every schema cimsim publishes, by the name used for its file: <name>.schema.json.
std::vector<std::pair<std::string, Json>> all_schemas() {
  std::vector<std::pair<std::string, Json>> out;
  out.emplace_back("workload", workload::workload_schema());
  out.emplace_back("memory", memory::memory_schema());
  for (const auto& t : exec::machine_types()) out.emplace_back("machine-" + t.name, t.schema());
  return out;
}

Command cmd_schema() {
  Command c;
  c.name = "schema";
  c.summary = "print the JSON Schema of a config kind, or write them all to a directory";
  c.usage = "cimsim schema (--kind NAME | --out-dir DIR)";
  c.add_options = [](po::options_description& d) {
    d.add_options()("kind", po::value<std::string>(), "workload, memory, machine-<type>")(
        "out-dir", po::value<std::string>(), "write every schema as <kind>.schema.json here");
  };
  c.run = [](const po::variables_map& vm, std::ostream& out) {
    auto schemas = all_schemas();
    if (vm.count("out-dir") != 0) {
      for (const auto& [name, schema] : schemas) {
        write_file_atomic(vm["out-dir"].as<std::string>() + "/" + name + ".schema.json",
                          schema.dump(2) + "\n");
      }
      return 0;
    }
    std::string known;
    for (const auto& [name, schema] : schemas) {
      known += (known.empty() ? "" : ", ") + name;
      if (vm.count("kind") != 0 && vm["kind"].as<std::string>() == name) {
        out << schema.dump(2) << "\n";
        return 0;
      }
    }
    throw InputError(
        "--kind",
        "expected one of: " + known +
            (vm.count("kind") ? ", got " + quote_for_message(vm["kind"].as<std::string>()) : ""));
  };
  return c;
}

}  // namespace cimsim::cli
