// cimsim info: what cimsim knows - machine, memory and workload presets, modes.
#include <ostream>

#include "cimsim/cli/command.hpp"
#include "cimsim/config/json_file.hpp"
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

void list_kind(std::ostream& out, const std::string& title, const config::PresetKind& kind) {
  out << title << " (" << kind.directory << "/):\n";
  for (const auto& name : config::list_presets(kind)) {
    out << "  " << name << std::string(name.size() < 18 ? 18 - name.size() : 1, ' ')
        << describe_preset(kind, name) << "\n";
  }
  out << "\n";
}

}  // namespace

Command cmd_info() {
  Command c;
  c.name = "info";
  c.summary = "list machine, memory and workload presets, machine types and modes";
  c.usage = "cimsim info";
  c.add_options = [](po::options_description&) {};
  c.run = [](const po::variables_map&, std::ostream& out) {
    list_kind(out, "machine presets (--machine)", config::machine_kind());
    list_kind(out, "memory presets (machine.memory, cimsim memtrace --memory)",
              config::memory_kind());
    list_kind(out, "workload presets (--workload)", config::workload_kind());
    out << "machine types (\"type\" in a machine config):\n";
    for (const auto& t : exec::machine_types()) {
      out << "  " << t.name << std::string(t.name.size() < 18 ? 18 - t.name.size() : 1, ' ')
          << t.summary << "\n";
    }
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
