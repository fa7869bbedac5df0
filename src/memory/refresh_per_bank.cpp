// Per-bank refresh: one REFpb every tREFIpb (default tREFI / banks), banks in round robin, so
// every bank is refreshed once per tREFI; only the refreshed bank is blocked (for tRFCpb).
#include <string>

#include "cimsim/memory/config.hpp"
#include "cimsim/memory/refresh.hpp"

namespace cimsim::memory {
namespace {

Cycle per_bank_interval(const MemoryConfig& c) {
  return c.timing.tREFIpb != 0 ? c.timing.tREFIpb : c.timing.tREFI / c.banks_per_unit();
}

class PerBankRefresh final : public RefreshPolicy {
 public:
  PerBankRefresh(const MemoryConfig& c, uint32_t unit)
      : banks_(c.banks_per_unit()),
        interval_(per_bank_interval(c)),
        due_(interval_ + static_cast<Cycle>(interval_) * unit / c.units()) {
    if (interval_ <= c.timing.tRFCpb / c.banks_per_unit() || interval_ == 0) {
      throw PolicyConfigError("timing.tREFIpb", "per-bank refresh interval " +
                                                    std::to_string(interval_) +
                                                    " cycles is too short for tRFCpb");
    }
  }
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

CIMSIM_REGISTER(RefreshAxis, config::NoParams, "per_bank",
                "one REFpb every tREFIpb, banks in round robin; only that bank waits tRFCpb",
                [](const config::NoParams&, const MemoryConfig& c,
                   uint32_t unit) -> std::unique_ptr<RefreshPolicy> {
                  return std::make_unique<PerBankRefresh>(c, unit);
                });

}  // namespace cimsim::memory
