// The machine type "cim": a CIM fabric (config.hpp) with its off-chip memory
// (memory::MemoryConfig, "memory": "hbm2"), registered in src/exec/machine_types.cpp.
#pragma once

#include <string>

#include "cimsim/cim/config.hpp"
#include "cimsim/exec/executor.hpp"
#include "cimsim/memory/config.hpp"

namespace cimsim::cim {

// The machine config file: "type": "cim", every fabric key, and the off-chip memory.
struct CimMachineConfig : CimConfig {
  std::string type = "cim";
  memory::MemoryConfig memory;
};

exec::MachineType cim_machine_type();

}  // namespace cimsim::cim

namespace cimsim::config {
template <>
struct Describe<cim::CimMachineConfig> {
  static constexpr const char* doc = "a compute-in-memory machine (type \"cim\", docs/cim.md)";
  static void fields(Fields<cim::CimMachineConfig>& f);
};
}  // namespace cimsim::config
