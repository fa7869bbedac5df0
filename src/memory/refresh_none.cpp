// No refresh (for experiments that isolate refresh overhead).
#include "cimsim/memory/refresh.hpp"

namespace cimsim::memory {
namespace {

class None final : public RefreshPolicy {
 public:
  Cycle due() const override { return ~Cycle{0}; }
  Command command() const override { return Command::kRefAb; }
  uint32_t bank() const override { return 0; }
  bool covers(uint32_t) const override { return false; }
  void refreshed() override {}
  Cycle interval() const override { return 0; }
  void skip(uint64_t) override {}
};

}  // namespace

std::unique_ptr<RefreshPolicy> make_no_refresh() {
  return std::make_unique<None>();
}

}  // namespace cimsim::memory
