// Registration of the "von_neumann" machine type.
#include <memory>

#include "cimsim/common/error.hpp"
#include "cimsim/memory/offchip.hpp"
#include "cimsim/vn/executor.hpp"

namespace cimsim::vn {

namespace {
std::unique_ptr<memory::OffChipMemory> make_memory(const MachineConfig& cfg,
                                                   const std::string& name,
                                                   const exec::RunOptions& options) {
#ifdef CIMSIM_VN_HAVE_MEMORY
  return memory::make_offchip_memory(name + "_hbm", cfg.memory, options.check_memory_timing);
#else
  (void)cfg;
  (void)name;
  (void)options;
  throw std::runtime_error("this build has no HBM memory model (src/memory)");
#endif
}
}  // namespace

exec::MachineType von_neumann_type() {
  exec::MachineType t;
  t.schema = machine_schema;
  t.resolve_references = [](config::ConfigDoc& doc) {
    config::resolve_references<MachineConfig>(doc);
  };
  t.validate = [](const config::ConfigDoc& doc) { (void)parse_machine(doc); };
  t.build = [](const config::ConfigDoc& doc, const std::string& name,
               const exec::RunOptions& options) -> std::unique_ptr<exec::Executor> {
    MachineConfig cfg = parse_machine(doc);
    auto memory = make_memory(cfg, name, options);
    if (cfg.node) {
      // Each pipeline stage in its own device's memory (node.hpp).
      memory = fold_memory(std::move(memory), cfg.node->pipeline_parallel, name + "_devices");
    }
    return std::make_unique<VnExecutor>(doc, std::move(cfg), name, options, std::move(memory));
  };
  return t;
}

CIMSIM_REGISTER(exec::MachineTypeAxis, config::NoParams, "von_neumann",
                "GPU/CPU: SMs or cores with matrix and SIMD units, shared memory, NoC, L2, HBM",
                [](const config::NoParams&) { return von_neumann_type(); });

}  // namespace cimsim::vn
