#include <cerrno>
#include <cstdlib>

#include "cimsim/cli/command.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/exec/executor.hpp"

namespace cimsim::cli {

void add_machine_options(po::options_description& desc) {
  desc.add_options()("machine,m", po::value<std::vector<std::string>>()->composing(),
                     "machine preset (cimsim info) or config file; repeat for a side-by-side run");
}

void add_workload_options(po::options_description& desc) {
  desc.add_options()("workload,w", po::value<std::string>(),
                     "workload preset (cimsim info) or config file")(
      "mode", po::value<std::string>(), "decoder | encoder | entp (sets workload.run.mode)")(
      "prompt", po::value<std::string>(), "prompt length P in tokens (workload.run.prompt)")(
      "generate", po::value<std::string>(), "tokens to generate G (workload.run.generate)")(
      "batch", po::value<std::string>(), "sequences run together (workload.run.batch)");
}

void add_set_option(po::options_description& desc) {
  desc.add_options()("set", po::value<std::vector<std::string>>()->composing(),
                     "override any config value: machine.PATH=VALUE or workload.PATH=VALUE "
                     "(repeatable; type checked)");
}

void add_output_options(po::options_description& desc) {
  desc.add_options()("out,o", po::value<std::string>(), "write the report (JSON) to this file")(
      "quiet,q", po::bool_switch(), "print nothing but errors");
}

uint64_t parse_count(const std::string& option, const std::string& text, uint64_t min_value) {
  bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  uint64_t value = 0;
  bool fits = false;
  if (digits) {
    errno = 0;
    value = std::strtoull(text.c_str(), nullptr, 10);
    fits = errno != ERANGE;
  }
  if (!digits || !fits || value < min_value) {
    throw InputError("--" + option, "expected an integer >= " + std::to_string(min_value) +
                                        (digits && !fits ? " (at most 18446744073709551615)" : "") +
                                        ", got " + quote_for_message(text));
  }
  return value;
}

std::vector<config::Assignment> assignments(const po::variables_map& vm, bool serve_root) {
  std::vector<config::Assignment> out;
  for (const char* flag : {"mode", "prompt", "generate", "batch"}) {
    if (vm.count(flag) == 0 || serve_root) continue;  // serve's --generate is not a count
    std::string value = vm[flag].as<std::string>();
    if (std::string(flag) != "mode")
      value = std::to_string(parse_count(flag, value, flag == std::string("generate") ? 0 : 1));
    else
      value = "\"" + value + "\"";
    config::Assignment a;
    a.root = "workload";
    a.path = std::string("run.") + flag;
    a.value = value;
    a.text = std::string("--") + flag + " " + vm[flag].as<std::string>();
    out.push_back(a);
  }
  if (vm.count("set") != 0) {
    for (const auto& s : vm["set"].as<std::vector<std::string>>()) {
      config::Assignment a = config::parse_assignment(s);
      if (a.root != "machine" && a.root != "workload" && a.root != "memory" &&
          !(serve_root && a.root == "serve")) {
        throw InputError("--set " + s, std::string("path must start with ") +
                                           (serve_root ? "machine., workload., memory. or serve."
                                                       : "machine., workload. or memory.") +
                                           ", got " + quote_for_message(a.root));
      }
      out.push_back(a);
    }
  }
  return out;
}

std::vector<config::ConfigDoc> load_machines(const po::variables_map& vm,
                                             const std::vector<config::Assignment>& sets) {
  // The default study's machines: the GPU baseline and the CIM fabric.
  std::vector<std::string> names = vm.count("machine")
                                       ? vm["machine"].as<std::vector<std::string>>()
                                       : std::vector<std::string>{"a100-sxm4-80gb", "isaac"};
  std::vector<config::ConfigDoc> machines;
  std::vector<bool> used(sets.size(), false);
  for (const auto& name : names) {
    std::vector<bool> applied;
    machines.push_back(exec::load_machine(name, sets, names.size() > 1 ? &applied : nullptr));
    for (size_t i = 0; i < applied.size(); ++i) used[i] = used[i] || applied[i];
  }
  if (names.size() > 1) {
    for (size_t i = 0; i < sets.size(); ++i) {
      if (sets[i].root == "machine" && !used[i]) {
        throw InputError(sets[i].text,
                         "no setting machine." + sets[i].path + " in any of the machines given");
      }
    }
  }
  return machines;
}

}  // namespace cimsim::cli
