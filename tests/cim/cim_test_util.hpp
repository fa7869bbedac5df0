// Shared helpers of the CIM tests: presets as CimConfig, a fabric on a stand-in memory, and
// running one fabric to the end of its trace.
#pragma once

#include <memory>
#include <string>

#include "cim/fixed_memory.hpp"
#include "cim/tiny_trace.hpp"
#include "cimsim/cim/config.hpp"
#include "cimsim/cim/fabric.hpp"
#include "cimsim/config/describe.hpp"
#include "cimsim/config/json_file.hpp"

namespace cimsim::test {

// A machine preset as the fabric's own config (the machine-level keys "type" and "memory"
// belong to the machine type, not the fabric).
inline cim::CimConfig preset(const std::string& name, const Json& patch = Json::object()) {
  config::ConfigDoc doc = config::load_config(config::machine_kind(), name);
  doc.root.erase("type");
  doc.root.erase("memory");
  doc.root.merge_patch(patch);
  return config::parse<cim::CimConfig>(doc);
}

inline cim::CimConfig parse_cim(const Json& j) {
  config::ConfigDoc doc;
  doc.root = j;
  doc.root_name = "machine";
  doc.file = "test.json";
  return config::parse<cim::CimConfig>(doc);
}

// A fabric on a 256 GB/s stand-in memory (one per test process: SystemC elaborates once).
// Several fabrics may share one simulation (elaborate them all, then sc_start once).
inline std::unique_ptr<cim::Fabric> make_fabric(const cim::CimConfig& c,
                                                const std::string& name = "fabric",
                                                exec::RunOptions o = {}) {
  memory::OffChipFactory mem = [](uint32_t, const std::string& n) {
    return std::make_unique<FixedMemory>(n.c_str(), 256.0, 100.0, 4.0);
  };
  return std::make_unique<cim::Fabric>(name.c_str(), c, config::to_json(c), name, o, mem);
}

// Sums a field of the report's per-op entries matching a phase kind and op kind.
inline double sum_ops(const Json& report, const std::string& phase_kind, const std::string& kind,
                      const std::string& field) {
  double s = 0;
  for (const auto& o : report["ops"]) {
    if (o["phase_kind"] == phase_kind && o["kind"] == kind) {
      s += o[field].get<double>();
    }
  }
  return s;
}

inline uint64_t action_count(const Json& report, const std::string& component,
                             const std::string& action) {
  for (const auto& c : report["components"]) {
    if (c["name"] == component) {
      return c["actions"][action]["count"].get<uint64_t>();
    }
  }
  return 0;
}

}  // namespace cimsim::test
