// Registration of the "von_neumann" machine type and the adapter to the HBM memory system.
#include <memory>

#include "cimsim/common/error.hpp"
#include "cimsim/vn/executor.hpp"

#ifdef CIMSIM_VN_HAVE_MEMORY
#include "cimsim/memory/memory_system.hpp"
#endif

namespace cimsim::vn {

namespace {
#ifdef CIMSIM_VN_HAVE_MEMORY
class HbmBackend : public MemoryBackend {
 public:
  HbmBackend(const std::string& name, const memory::MemoryConfig& cfg, const exec::RunOptions& o)
      : hbm_(std::make_unique<memory::MemorySystem>(name.c_str(), cfg, o.check_memory_timing)) {}
  tlm::tlm_target_socket<32>& target() override { return hbm_->socket; }
  void declare(stats::Registry& r) override {
    hbm_->declare(r, "hbm");
    background_.clear();
    for (auto a :
         {memory::Action::kRefAb, memory::Action::kRefPb, memory::Action::kActiveStandbyCycle}) {
      for (size_t i = 0; i < r.actions().size(); ++i) {
        if (r.actions()[i].component == "hbm" &&
            r.actions()[i].action == memory::EnergyTable::action_name(a)) {
          background_.push_back(static_cast<stats::ActionId>(i));
        }
      }
    }
  }
  std::vector<stats::ActionId> background_actions() const override { return background_; }
  void add_counts(stats::Counts& c) const override { hbm_->add_counts(c); }
  uint64_t capacity_bytes() const override { return hbm_->capacity_bytes(); }
  double peak_bandwidth_bytes_per_s() const override { return hbm_->peak_bandwidth_bytes_per_s(); }
  uint64_t access_bytes() const override { return hbm_->config().burst_bytes(); }
  double unloaded_latency_ps() const override {
    const auto& t = hbm_->config().timing;
    return static_cast<double>(t.tRCDRD + t.RL +
                               hbm_->config().organisation.burst_length /
                                   hbm_->config().organisation.data_rate) *
           1000.0 / hbm_->clock_ghz();
  }

 private:
  std::unique_ptr<memory::MemorySystem> hbm_;
  std::vector<stats::ActionId> background_;
};
#endif

std::unique_ptr<MemoryBackend> make_memory(const MachineConfig& cfg, const std::string& name,
                                           const exec::RunOptions& options) {
#ifdef CIMSIM_VN_HAVE_MEMORY
  return std::make_unique<HbmBackend>(name + "_hbm", cfg.memory, options);
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
