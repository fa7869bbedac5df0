// BLISS, the Blacklisting memory scheduler (Subramanian, Lee, Seshadri, Rastogi and Mutlu,
// "The Blacklisting Memory Scheduler: Achieving High Performance and Fairness at Low Cost",
// ICCD 2014). A requestor (application, SM, stream) that has had more than
// `blacklisting_threshold` requests served one after another is blacklisted; requests of
// requestors not on the blacklist go first, then row hits, then older requests. The blacklist
// is cleared every `clearing_interval_cycles`. The defaults are the paper's (threshold 4,
// clearing interval 10000 cycles; here memory-controller cycles).
//
// Here each pseudo-channel has its own blacklist and streak counter (the paper's per-channel
// controller). Requests that carry no requestor id (0) count as one requestor.
#include <algorithm>
#include <vector>

#include "cimsim/memory/scheduler.hpp"

namespace cimsim::memory {
namespace {

struct BlissParams {
  uint32_t blacklisting_threshold = 4;
  uint64_t clearing_interval_cycles = 10000;
};

class BlissScheduler final : public Scheduler {
 public:
  explicit BlissScheduler(const BlissParams& p)
      : threshold_(p.blacklisting_threshold), interval_(p.clearing_interval_cycles) {}

  // The first of: not blacklisted and a hit, not blacklisted, a hit, the oldest.
  size_t choose(const BurstRequest* queue, size_t size, const BankView& bank) const override {
    size_t best = 0;
    uint32_t best_rank = 4;
    for (size_t i = 0; i < size && best_rank != 0; ++i) {
      const uint32_t r = rank(queue[i], bank.open && queue[i].row == bank.row);
      if (r < best_rank) {
        best_rank = r;
        best = i;
      }
    }
    return best;
  }
  uint64_t priority(Command command, const BurstRequest& r) const override {
    return (uint64_t{rank(r, is_column(command))} << 62) | r.seq;
  }

  bool observes_service() const override { return true; }
  bool served(const BurstRequest& r, Cycle t) override {
    if (r.requestor == last_ && streak_ != 0) {
      ++streak_;
    } else {
      last_ = r.requestor;
      streak_ = 1;
    }
    if (streak_ <= threshold_ || blacklisted(r.requestor)) {
      return false;
    }
    blacklist(r.requestor);
    next_clear_ = (t / interval_ + 1) * interval_;
    return true;
  }
  // Clearing an empty blacklist changes nothing: no change is announced while it is empty.
  Cycle next_change() const override { return listed_.empty() ? kNever : next_clear_; }
  Cycle advance(Cycle t) override {
    const Cycle cleared = t / interval_ * interval_;
    for (size_t word : listed_) {
      bits_[word] = 0;
    }
    listed_.clear();
    return cleared;
  }

 private:
  // 0 best: 2 x blacklisted + not a hit.
  uint32_t rank(const BurstRequest& r, bool hit) const {
    return (blacklisted(r.requestor) ? 2u : 0u) + (hit ? 0u : 1u);
  }
  bool blacklisted(RequestorId id) const {
    const size_t word = id / 64;
    return word < bits_.size() && ((bits_[word] >> (id % 64)) & 1u) != 0;
  }
  void blacklist(RequestorId id) {
    const size_t word = id / 64;
    if (word >= bits_.size()) {
      bits_.resize(word + 1, 0);
    }
    if (bits_[word] == 0) {
      listed_.push_back(word);
    }
    bits_[word] |= uint64_t{1} << (id % 64);
  }

  uint32_t threshold_;
  Cycle interval_;
  RequestorId last_ = 0;
  uint32_t streak_ = 0;  // requests of last_ served one after another
  Cycle next_clear_ = kNever;
  std::vector<uint64_t> bits_;  // the blacklist, one bit per requestor id
  std::vector<size_t> listed_;  // words of bits_ that are not zero
};

}  // namespace
}  // namespace cimsim::memory

namespace cimsim::config {
template <>
struct Describe<memory::BlissParams> {
  static constexpr const char* doc = "BLISS parameters (Subramanian et al., ICCD 2014)";
  static void fields(Fields<memory::BlissParams>& f) {
    f.optional("blacklisting_threshold", &memory::BlissParams::blacklisting_threshold,
               "a requestor with more requests than this served in a row is blacklisted",
               in_range(1, 1 << 20));
    f.optional("clearing_interval_cycles", &memory::BlissParams::clearing_interval_cycles,
               "the blacklist is cleared every this many memory cycles", in_range(1, 1e12));
  }
};
}  // namespace cimsim::config

namespace cimsim::memory {

CIMSIM_REGISTER(SchedulerAxis, BlissParams, "bliss",
                "blacklisting: requestors with long streaks of served requests go last, then "
                "row hits first (Subramanian et al., ICCD 2014)",
                [](const BlissParams& p, const SchedulerSetup&) -> std::unique_ptr<Scheduler> {
                  return std::make_unique<BlissScheduler>(p);
                });

}  // namespace cimsim::memory
