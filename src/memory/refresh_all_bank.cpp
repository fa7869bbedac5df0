// All-bank refresh: one REFab every tREFI; the whole pseudo-channel is closed and blocked for
// tRFC.
#include "cimsim/memory/refresh.hpp"

namespace cimsim::memory {
namespace {

class AllBank final : public RefreshPolicy {
 public:
  AllBank(const MemoryConfig& c, uint32_t unit)
      : interval_(c.timing.tREFI),
        due_(interval_ + static_cast<Cycle>(interval_) * unit / c.units()) {}
  Cycle due() const override { return due_; }
  Command command() const override { return Command::kRefAb; }
  uint32_t bank() const override { return 0; }
  bool covers(uint32_t) const override { return true; }
  void refreshed() override { due_ += interval_; }
  Cycle interval() const override { return interval_; }
  void skip(uint64_t n) override { due_ += n * interval_; }

 private:
  Cycle interval_;
  Cycle due_;
};

}  // namespace

std::unique_ptr<RefreshPolicy> make_all_bank_refresh(const MemoryConfig& config, uint32_t unit) {
  return std::make_unique<AllBank>(config, unit);
}

std::unique_ptr<RefreshPolicy> make_refresh(const MemoryConfig& config, uint32_t unit) {
  switch (config.controller.refresh) {
    case RefreshKind::kAllBank:
      return make_all_bank_refresh(config, unit);
    case RefreshKind::kPerBank:
      return make_per_bank_refresh(config, unit);
    case RefreshKind::kNone:
      return make_no_refresh();
  }
  return make_no_refresh();
}

}  // namespace cimsim::memory
