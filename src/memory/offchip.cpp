// The one adapter from the HBM model (MemorySystem) to the off-chip interface (offchip.hpp).
#include "cimsim/memory/offchip.hpp"

#include "cimsim/memory/energy.hpp"
#include "cimsim/memory/memory_system.hpp"

namespace cimsim::memory {
namespace {

class HbmOffChip final : public OffChipMemory {
 public:
  HbmOffChip(const std::string& module_name, const MemoryConfig& config, bool check_timing)
      : hbm_(std::make_unique<MemorySystem>(module_name.c_str(), config, check_timing)) {}
  tlm::tlm_target_socket<32>& target() override { return hbm_->socket; }
  uint64_t capacity_bytes() const override { return hbm_->capacity_bytes(); }
  double peak_bandwidth_bytes_per_s() const override { return hbm_->peak_bandwidth_bytes_per_s(); }
  // ACT to RD (tRCDRD), then RL and the burst.
  double unloaded_latency_ps() const override {
    const MemoryConfig& c = hbm_->config();
    return static_cast<double>(c.timing.tRCDRD + c.timing.RL + c.burst_cycles()) * 1000.0 /
           hbm_->clock_ghz();
  }
  uint64_t access_bytes() const override { return hbm_->config().burst_bytes(); }
  void declare(stats::Registry& registry) override {
    hbm_->declare(registry, kOffChipName);
    background_.clear();
    for (Action a : {Action::kRefAb, Action::kRefPb, Action::kActiveStandbyCycle}) {
      for (size_t i = 0; i < registry.actions().size(); ++i) {
        const stats::ActionInfo& info = registry.actions()[i];
        if (is_offchip_action(info) && info.action == EnergyTable::action_name(a)) {
          background_.push_back(static_cast<stats::ActionId>(i));
        }
      }
    }
  }
  void add_counts(stats::Counts& counts) const override { hbm_->add_counts(counts); }
  std::vector<stats::ActionId> background_actions() const override { return background_; }

 private:
  std::unique_ptr<MemorySystem> hbm_;
  std::vector<stats::ActionId> background_;
};

}  // namespace

std::unique_ptr<OffChipMemory> make_offchip_memory(const std::string& module_name,
                                                   const MemoryConfig& config, bool check_timing) {
  return std::make_unique<HbmOffChip>(module_name, config, check_timing);
}

std::optional<stats::LinkId> find_offchip_link(const stats::Registry& registry) {
  for (size_t i = 0; i < registry.links().size(); ++i) {
    if (registry.links()[i].name == kOffChipName) {
      return static_cast<stats::LinkId>(i);
    }
  }
  return std::nullopt;
}

bool is_offchip_refresh(const stats::ActionInfo& a) {
  return is_offchip_action(a) && (a.action == EnergyTable::action_name(Action::kRefAb) ||
                                  a.action == EnergyTable::action_name(Action::kRefPb));
}

}  // namespace cimsim::memory
