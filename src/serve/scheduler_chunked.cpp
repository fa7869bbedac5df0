// Chunked prefill (Agrawal et al., Sarathi-Serve, OSDI 2024): every iteration has a token
// budget; the decode steps of running sequences go first (one token each, so decodes never
// stall behind a long prompt), then prompt chunks of the sequences still prefilling, then
// newly admitted requests, in arrival order, until the budget is spent.
#include <algorithm>
#include <memory>

#include "cimsim/serve/batching.hpp"

namespace cimsim::serve {
namespace {

struct ChunkedParams {
  uint64_t token_budget = 512;
  uint64_t max_seqs = 256;
};

class Chunked final : public BatchScheduler {
 public:
  explicit Chunked(const ChunkedParams& p) : p_(p) {}
  uint64_t max_sequences() const override { return p_.max_seqs; }
  Iteration next(ServeState& state) override {
    Iteration it;
    add_decode_steps(state, it, p_.max_seqs);
    uint64_t budget = p_.token_budget > it.tokens() ? p_.token_budget - it.tokens() : 0;
    // Sequences part-way through their prompt, then new admissions.
    for (size_t i = 0; i < state.running.size() && budget > 0; ++i) {
      add_chunk(state, state.running[i], it, budget);
    }
    while (budget > 0 && !state.waiting.empty() && state.running.size() < p_.max_seqs &&
           it.items.size() < p_.max_seqs) {
      uint64_t seq = state.waiting.front();
      if (!state.admit_front()) break;
      add_chunk(state, seq, it, budget);
    }
    return it;
  }

 private:
  void add_chunk(const ServeState& state, uint64_t seq, Iteration& it, uint64_t& budget) const {
    const Sequence& s = state.seqs[seq];
    if (!s.prefilling() || it.items.size() >= p_.max_seqs) return;
    IterationItem item;
    item.seq = seq;
    item.q_tokens = std::min(budget, s.prefill_target - s.cached);
    item.kv_len = s.cached + item.q_tokens;
    item.prefill = true;
    item.emits_token = item.kv_len == s.prefill_target;
    it.items.push_back(item);
    budget -= item.q_tokens;
  }

  ChunkedParams p_;
};

}  // namespace
}  // namespace cimsim::serve

namespace cimsim::config {
template <>
struct Describe<serve::ChunkedParams> {
  static constexpr const char* doc = "chunked prefill";
  static void fields(Fields<serve::ChunkedParams>& f) {
    f.optional("token_budget", &serve::ChunkedParams::token_budget,
               "tokens per iteration, decodes and prompt chunks together (Sarathi-Serve's "
               "token budget; 512 is among the paper's settings)",
               at_least(1));
    f.optional("max_seqs", &serve::ChunkedParams::max_seqs,
               "most sequences in one iteration (vLLM max_num_seqs, default 256)", at_least(1));
  }
};

CIMSIM_REGISTER(serve::BatchSchedulerAxis, serve::ChunkedParams, "chunked",
                "token budget per iteration: decodes first, then prompt chunks (Sarathi-Serve)",
                [](const serve::ChunkedParams& p) { return std::make_unique<serve::Chunked>(p); });
}  // namespace cimsim::config
