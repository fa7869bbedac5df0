// cimsim info: what cimsim knows - machine, memory and workload presets, modes.
#include <ostream>

#include "cimsim/cli/command.hpp"
#include "cimsim/config/json_file.hpp"
#include "cimsim/config/registry.hpp"
#include "cimsim/exec/executor.hpp"

namespace cimsim::cli {
namespace {

std::string describe_preset(const config::PresetKind& kind, const std::string& name) {
  try {
    config::ConfigDoc doc = config::load_config(kind, name);
    std::string type = doc.root.contains("type") && doc.root["type"].is_string()
                           ? "[" + doc.root["type"].get<std::string>() + "] "
                           : "";
    std::string text = doc.root.value("description", std::string("(no description)"));
    return type + text;
  } catch (const std::exception& e) {
    return std::string("(invalid: ") + e.what() + ")";
  }
}

std::string padded(const std::string& name) {
  return "  " + name + std::string(name.size() < 18 ? 18 - name.size() : 1, ' ');
}

void list_kind(std::ostream& out, const std::string& title, const config::PresetKind& kind) {
  out << title << " (" << kind.directory << "/):\n";
  for (const auto& name : config::list_presets(kind)) {
    out << padded(name) << describe_preset(kind, name) << "\n";
  }
  out << "\n";
}

// Every registry axis (config/registry.hpp) with its implementations and their parameters.
void list_implementations(std::ostream& out) {
  out << "implementations (one file each; docs/extending.md):\n";
  for (const auto& axis : config::registered_axes()) {
    out << "\n" << axis.key << ": " << axis.doc << "\n";
    for (const auto* impl : axis.implementations()) {
      out << padded(impl->name) << impl->description << "\n";
      Json params = impl->params_schema();
      for (auto it = params.begin(); it != params.end(); ++it) {
        std::string line = "      " + it.key();
        if (it.value().contains("default")) line += " = " + it.value()["default"].dump();
        out << line << ": " << it.value().value("description", "") << "\n";
      }
    }
  }
  out << "\n";
}

}  // namespace

Command cmd_info() {
  Command c;
  c.name = "info";
  c.summary = "list presets, modes and every registered implementation (machine types, policies)";
  c.usage = "cimsim info";
  c.add_options = [](po::options_description&) {};
  c.run = [](const po::variables_map&, std::ostream& out) {
    list_kind(out, "machine presets (--machine)", config::machine_kind());
    list_kind(out, "memory presets (machine.memory, cimsim memtrace --memory)",
              config::memory_kind());
    list_kind(out, "workload presets (--workload)", config::workload_kind());
    list_implementations(out);
    out << "\nmodes (--mode):\n"
           "  decoder           causal: prefill of P prompt tokens, then G-1 decode steps that "
           "read and append the KV cache\n"
           "  encoder           one bidirectional pass over P tokens (BERT-style)\n"
           "  entp              encoder-only next-token prediction: a full bidirectional pass "
           "over the prefix for each of G tokens, no KV cache\n";
    return 0;
  };
  return c;
}

}  // namespace cimsim::cli
