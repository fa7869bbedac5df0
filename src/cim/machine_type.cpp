#include "cimsim/cim/machine_type.hpp"

#include <filesystem>

#include "cimsim/cim/config_fields.hpp"
#include "cimsim/cim/fabric.hpp"
#include "cimsim/memory/offchip.hpp"

namespace cimsim::cim {
namespace {

// The preset describes one stack; the fabric has one per chip group, each group's data in its
// own stack: the stack becomes the most significant address digit (the other digits keep
// their order, so each stack interleaves as the preset says).
memory::MemoryConfig per_chip_group(memory::MemoryConfig m, uint32_t stacks) {
  if (stacks > 1) {
    m.organisation.stacks = stacks;
    std::string& order = m.address_mapping.order;
    if (size_t at = order.find("St"); at != std::string::npos) {
      order.erase(at, 2);
    }
    order = "St" + order;
  }
  return m;
}

}  // namespace

exec::MachineType cim_machine_type() {
  exec::MachineType t;
  t.schema = [] {
    return config::file_schema<CimMachineConfig>(
        "https://cimsim.invalid/schema/machine-cim.schema.json", "cimsim machine of type cim");
  };
  t.resolve_references = [](config::ConfigDoc& doc) {
    config::resolve_references<CimMachineConfig>(doc);
  };
  t.validate = [](const config::ConfigDoc& doc) { config::parse<CimMachineConfig>(doc); };
  t.build = [](const config::ConfigDoc& doc, const std::string& module_name,
               const exec::RunOptions& options) -> std::unique_ptr<exec::Executor> {
    CimMachineConfig c = config::parse<CimMachineConfig>(doc);
    std::string report_name =
        c.name.empty() ? std::filesystem::path(doc.file).stem().string() : c.name;
    memory::MemoryConfig mem = c.memory;
    bool check = options.check_memory_timing;
    memory::OffChipFactory factory = [mem, check](uint32_t stacks, const std::string& name) {
      return memory::make_offchip_memory(name, per_chip_group(mem, stacks), check);
    };
    ConfigWhere where = [doc](const std::string& path) { return doc.where(path); };
    return std::make_unique<Fabric>(module_name.c_str(), c, config::to_json(c), report_name,
                                    options, factory, where);
  };
  return t;
}

CIMSIM_REGISTER(exec::MachineTypeAxis, config::NoParams, "cim",
                "compute-in-memory fabric: crossbar tiles (ReRAM or SRAM CIM), mesh, HBM",
                [](const config::NoParams&) { return cim_machine_type(); });

}  // namespace cimsim::cim

namespace cimsim::config {
void Describe<cim::CimMachineConfig>::fields(Fields<cim::CimMachineConfig>& f) {
  f.required("type", &cim::CimMachineConfig::type, "machine type: \"cim\"");
  cim::describe_cim_fields(f);
  f.required("memory", &cim::CimMachineConfig::memory,
             "off-chip memory: a preset name in configs/memory or an object");
  f.check([](const cim::CimMachineConfig& c, const Check& check) {
    if (c.type != "cim") check.fail("type", "expected \"cim\", got " + quote_for_message(c.type));
  });
}
}  // namespace cimsim::config
