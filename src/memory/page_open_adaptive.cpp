// Open-adaptive page: auto-precharge when no other queued request hits the row and one misses
// it (the row would only have to be closed again).
#include "cimsim/memory/page_policy.hpp"

namespace cimsim::memory {
namespace {
class OpenAdaptivePage final : public PagePolicy {
 public:
  bool auto_precharge(const QueueView (&queues)[2], int dir, size_t index) const override {
    const RowOutlook o = row_outlook(queues, dir, index);
    return !o.other_hit && o.miss;
  }
};
}  // namespace

CIMSIM_REGISTER(PagePolicyAxis, config::NoParams, "open_adaptive",
                "close the row unless a queued request hits it, and only if one misses it",
                [](const config::NoParams&) -> std::unique_ptr<PagePolicy> {
                  return std::make_unique<OpenAdaptivePage>();
                });

}  // namespace cimsim::memory
