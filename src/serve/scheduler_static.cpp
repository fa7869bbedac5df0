// Static batching (as a plain generate() loop serves): when the engine is idle, up to
// max_batch waiting requests form a batch with KV room for their whole prompt and output;
// the batch prefills together and decodes until its longest request is done. Requests that
// finish early stay in the batch as padding (they are computed, their tokens discarded), and
// nothing joins a batch while it runs.
#include <algorithm>
#include <memory>

#include "cimsim/serve/batching.hpp"

namespace cimsim::serve {
namespace {

struct StaticParams {
  uint64_t max_batch = 8;
};

class StaticBatching final : public BatchScheduler {
 public:
  explicit StaticBatching(const StaticParams& p) : p_(p) {}
  uint64_t max_sequences() const override { return p_.max_batch; }
  Iteration next(ServeState& state) override {
    Iteration it;
    bool all_done = std::all_of(batch_.begin(), batch_.end(), [&](uint64_t s) {
      return state.seqs[s].state == SeqState::finished;
    });
    if (all_done) {
      batch_.clear();
      while (batch_.size() < p_.max_batch && !state.waiting.empty()) {
        uint64_t seq = state.waiting.front();
        if (!state.admit_front(state.seqs[seq].request.output_tokens)) break;
        batch_.push_back(seq);
      }
      for (uint64_t seq : batch_) {
        const Sequence& s = state.seqs[seq];
        IterationItem item;
        item.seq = seq;
        item.q_tokens = s.prefill_target;
        item.kv_len = s.prefill_target;
        item.prefill = true;
        item.emits_token = true;
        it.items.push_back(item);
      }
      return it;
    }
    for (uint64_t seq : batch_) {
      const Sequence& s = state.seqs[seq];
      IterationItem item;
      item.seq = seq;
      item.q_tokens = 1;
      item.padding = s.state == SeqState::finished;
      // A padded row keeps attending over its (frozen) context.
      item.kv_len = s.cached + (item.padding ? 0 : 1);
      item.emits_token = !item.padding;
      it.items.push_back(item);
    }
    return it;
  }

 private:
  StaticParams p_;
  std::vector<uint64_t> batch_;
};

}  // namespace
}  // namespace cimsim::serve

namespace cimsim::config {
template <>
struct Describe<serve::StaticParams> {
  static constexpr const char* doc = "static batching";
  static void fields(Fields<serve::StaticParams>& f) {
    f.optional("max_batch", &serve::StaticParams::max_batch, "requests per batch", at_least(1));
  }
};

CIMSIM_REGISTER(serve::BatchSchedulerAxis, serve::StaticParams, "static",
                "fixed batches run to completion, finished requests kept as padding",
                [](const serve::StaticParams& p) {
                  return std::make_unique<serve::StaticBatching>(p);
                });
}  // namespace cimsim::config
