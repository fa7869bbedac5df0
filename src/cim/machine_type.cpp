#include "cimsim/cim/machine_type.hpp"

#include <filesystem>

#include "cimsim/cim/config_fields.hpp"
#include "cimsim/cim/fabric.hpp"
#include "cimsim/memory/memory_system.hpp"

namespace cimsim::cim {
namespace {

// The fabric's view of memory::MemorySystem.
class HbmAdapter : public OffChipMemory {
 public:
  HbmAdapter(const memory::MemoryConfig& config, bool check_timing, const std::string& name)
      : mem_(std::make_unique<memory::MemorySystem>(name.c_str(), config, check_timing)) {}
  tlm::tlm_target_socket<32>& target() override { return mem_->socket; }
  uint64_t capacity_bytes() const override { return mem_->capacity_bytes(); }
  double peak_bandwidth_bytes_per_s() const override { return mem_->peak_bandwidth_bytes_per_s(); }
  void declare(stats::Registry& registry) override { mem_->declare(registry, "hbm"); }
  void add_counts(stats::Counts& counts) const override { mem_->add_counts(counts); }

 private:
  std::unique_ptr<memory::MemorySystem> mem_;
};

// The preset describes one stack; the fabric has one per chip group, each group's data in its
// own stack: the stack becomes the most significant address digit (the other digits keep
// their order, so each stack interleaves as the preset says).
memory::MemoryConfig per_chip_group(memory::MemoryConfig m, uint32_t stacks) {
  if (stacks > 1) {
    m.organisation.stacks = stacks;
    std::string& order = m.address_mapping.order;
    order = "St" + order.erase(order.find("St"), 2);
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
    OffChipFactory factory = [mem, check](uint32_t stacks, const std::string& name) {
      return std::make_unique<HbmAdapter>(per_chip_group(mem, stacks), check, name);
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
