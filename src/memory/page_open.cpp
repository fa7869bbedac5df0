// Open page: rows stay open until a conflict (or a refresh) closes them.
#include "cimsim/memory/page_policy.hpp"

namespace cimsim::memory {
namespace {
class OpenPage final : public PagePolicy {
 public:
  std::optional<bool> fixed() const override { return false; }
  bool auto_precharge(const QueueView (&)[2], int, size_t) const override { return false; }
};
}  // namespace

CIMSIM_REGISTER(PagePolicyAxis, config::NoParams, "open",
                "rows stay open until a conflict or a refresh closes them",
                [](const config::NoParams&) -> std::unique_ptr<PagePolicy> {
                  return std::make_unique<OpenPage>();
                });

}  // namespace cimsim::memory
