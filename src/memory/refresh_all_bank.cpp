// All-bank refresh: one REFab every tREFI; the whole pseudo-channel is closed and blocked for
// tRFC.
#include "cimsim/memory/config.hpp"
#include "cimsim/memory/refresh.hpp"

namespace cimsim::memory {
namespace {

class AllBankRefresh final : public RefreshPolicy {
 public:
  AllBankRefresh(const MemoryConfig& c, uint32_t unit)
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

CIMSIM_REGISTER(RefreshAxis, config::NoParams, "all_bank",
                "one REFab every tREFI; the pseudo-channel closes its rows and waits tRFC",
                [](const config::NoParams&, const MemoryConfig& c,
                   uint32_t unit) -> std::unique_ptr<RefreshPolicy> {
                  return std::make_unique<AllBankRefresh>(c, unit);
                });

}  // namespace cimsim::memory
