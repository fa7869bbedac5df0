// Closed page: every access auto-precharges (RDA/WRA).
#include "cimsim/memory/page_policy.hpp"

namespace cimsim::memory {
namespace {
class ClosedPage final : public PagePolicy {
 public:
  std::optional<bool> fixed() const override { return true; }
  bool auto_precharge(const QueueView (&)[2], int, size_t) const override { return true; }
};
}  // namespace

CIMSIM_REGISTER(PagePolicyAxis, config::NoParams, "closed", "every access auto-precharges",
                [](const config::NoParams&) -> std::unique_ptr<PagePolicy> {
                  return std::make_unique<ClosedPage>();
                });

}  // namespace cimsim::memory
