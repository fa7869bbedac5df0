// Closed-adaptive page: auto-precharge unless another queued request hits the row.
#include "cimsim/memory/page_policy.hpp"

namespace cimsim::memory {
namespace {
class ClosedAdaptivePage final : public PagePolicy {
 public:
  bool auto_precharge(const QueueView (&queues)[2], int dir, size_t index) const override {
    return !row_outlook(queues, dir, index).other_hit;
  }
};
}  // namespace

CIMSIM_REGISTER(PagePolicyAxis, config::NoParams, "closed_adaptive",
                "close the row unless another queued request hits it",
                [](const config::NoParams&) -> std::unique_ptr<PagePolicy> {
                  return std::make_unique<ClosedAdaptivePage>();
                });

}  // namespace cimsim::memory
