// Per-bank refresh: one REFpb every tREFIpb (default tREFI / banks), banks in round robin, so
// every bank is refreshed once per tREFI; only the refreshed bank is blocked (for tRFCpb).
#include "cimsim/memory/refresh.hpp"

namespace cimsim::memory {
namespace {

class PerBank final : public RefreshPolicy {
 public:
  PerBank(const MemoryConfig& c, uint32_t unit)
      : banks_(c.banks_per_unit()),
        interval_(c.timing.tREFIpb != 0 ? c.timing.tREFIpb : c.timing.tREFI / c.banks_per_unit()),
        due_(interval_ + static_cast<Cycle>(interval_) * unit / c.units()) {}
  Cycle due() const override { return due_; }
  Command command() const override { return Command::kRefPb; }
  uint32_t bank() const override { return bank_; }
  bool covers(uint32_t bank) const override { return bank == bank_; }
  void refreshed() override {
    due_ += interval_;
    bank_ = (bank_ + 1) % banks_;
  }
  Cycle interval() const override { return interval_; }
  void skip(uint64_t n) override {
    due_ += n * interval_;
    bank_ = static_cast<uint32_t>((bank_ + n % banks_) % banks_);
  }

 private:
  uint32_t banks_;
  Cycle interval_;
  Cycle due_;
  uint32_t bank_ = 0;
};

}  // namespace

std::unique_ptr<RefreshPolicy> make_per_bank_refresh(const MemoryConfig& config, uint32_t unit) {
  return std::make_unique<PerBank>(config, unit);
}

}  // namespace cimsim::memory
