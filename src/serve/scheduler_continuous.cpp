// Continuous batching (Yu et al., Orca, OSDI 2022; Kwon et al., vLLM, SOSP 2023): the batch
// is re-formed at every iteration. As vLLM's default (v0) scheduler does, an iteration is
// either a prefill of newly admitted requests (preferred whenever one can be admitted) or a
// decode step of every running sequence; admission needs the request's KV blocks, a free slot
// under max_seqs and room under max_batched_tokens.
#include <memory>

#include "cimsim/serve/batching.hpp"

namespace cimsim::serve {
namespace {

struct ContinuousParams {
  uint64_t max_seqs = 256;
  uint64_t max_batched_tokens = 4096;
};

class Continuous final : public BatchScheduler {
 public:
  explicit Continuous(const ContinuousParams& p) : p_(p) {}
  uint64_t max_sequences() const override { return p_.max_seqs; }
  Iteration next(ServeState& state) override {
    Iteration it;
    uint64_t tokens = 0;
    while (!state.waiting.empty() && state.running.size() < p_.max_seqs) {
      const Sequence& s = state.seqs[state.waiting.front()];
      uint64_t need = s.request.prompt_tokens + s.generated;
      // A prompt longer than the budget runs alone (vLLM rejects it; serving it keeps the
      // trace whole and its cost honest).
      if (!it.empty() && tokens + need > p_.max_batched_tokens) break;
      uint64_t seq = state.waiting.front();
      if (!state.admit_front()) break;
      IterationItem item;
      item.seq = seq;
      item.q_tokens = need;
      item.kv_len = need;
      item.prefill = true;
      item.emits_token = true;
      it.items.push_back(item);
      tokens += need;
    }
    if (!it.empty()) return it;
    add_decode_steps(state, it, p_.max_seqs);
    return it;
  }

 private:
  ContinuousParams p_;
};

}  // namespace
}  // namespace cimsim::serve

namespace cimsim::config {
template <>
struct Describe<serve::ContinuousParams> {
  static constexpr const char* doc = "continuous batching";
  static void fields(Fields<serve::ContinuousParams>& f) {
    f.optional("max_seqs", &serve::ContinuousParams::max_seqs,
               "most sequences in one iteration (vLLM max_num_seqs, default 256)", at_least(1));
    f.optional("max_batched_tokens", &serve::ContinuousParams::max_batched_tokens,
               "most prompt tokens in one prefill iteration (vLLM max_num_batched_tokens)",
               at_least(1));
  }
};

CIMSIM_REGISTER(serve::BatchSchedulerAxis, serve::ContinuousParams, "continuous",
                "iteration-level batching, prefill iterations first (Orca, vLLM)",
                [](const serve::ContinuousParams& p) {
                  return std::make_unique<serve::Continuous>(p);
                });
}  // namespace cimsim::config
