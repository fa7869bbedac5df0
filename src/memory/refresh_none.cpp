// No refresh (for experiments that isolate refresh overhead).
#include "cimsim/memory/refresh.hpp"

namespace cimsim::memory {
namespace {

class NoRefresh final : public RefreshPolicy {
 public:
  Cycle due() const override { return kNever; }
  Command command() const override { return Command::kRefAb; }
  uint32_t bank() const override { return 0; }
  bool covers(uint32_t) const override { return false; }
  void refreshed() override {}
  Cycle interval() const override { return 0; }
  void skip(uint64_t) override {}
};

}  // namespace

CIMSIM_REGISTER(RefreshAxis, config::NoParams, "none", "no refresh (isolates its overhead)",
                [](const config::NoParams&, const MemoryConfig&, uint32_t)
                    -> std::unique_ptr<RefreshPolicy> { return std::make_unique<NoRefresh>(); });

}  // namespace cimsim::memory
