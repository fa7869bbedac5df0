// Iteration-level serving state and the batching policies that drive it.
//
// A serving run is a loop of *iterations*: the batch scheduler picks, from the requests that
// have arrived, which sequences take part in the next forward pass and with how many tokens
// (a whole prompt, a chunk of one, or one decode token), the engine (a simulated machine)
// executes that iteration, and the state advances. The KV cache is paged (vLLM's
// PagedAttention, Kwon et al., SOSP 2023): a sequence holds ceil(tokens / block_tokens) blocks
// of a pool whose size the machine's memory sets; a scheduler admits a request only when its
// blocks fit, and a decode that cannot grow its sequence preempts the most recently admitted
// one (recomputation: it returns to the head of the queue and prefills again).
//
// Policies (one file each, registry axis "serve.scheduler", docs/serving.md):
//   static      batches formed when the engine is idle, run to completion (padding included)
//   continuous  Orca / vLLM: iteration-level admission; prefill iterations first
//   chunked     Sarathi-Serve: a token budget per iteration, decodes first, prompt chunks fill
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "cimsim/config/registry.hpp"
#include "cimsim/serve/requests.hpp"

namespace cimsim::serve {

// Fixed-size KV blocks shared by all sequences.
class KvBlockPool {
 public:
  KvBlockPool(uint64_t capacity_blocks, uint64_t block_tokens);
  uint64_t blocks_for(uint64_t tokens) const;
  uint64_t capacity_blocks() const { return capacity_; }
  uint64_t block_tokens() const { return block_tokens_; }
  uint64_t used_blocks() const { return used_; }
  uint64_t free_blocks() const { return capacity_ - used_; }
  // Takes `blocks` more (false, and nothing taken, if they are not free).
  bool take(uint64_t blocks);
  void give_back(uint64_t blocks);

 private:
  uint64_t capacity_;
  uint64_t block_tokens_;
  uint64_t used_ = 0;
};

enum class SeqState : uint8_t { pending, waiting, running, finished };

struct Sequence {
  Request request;
  SeqState state = SeqState::pending;
  uint64_t cached = 0;  // tokens whose keys and values are in the KV cache
  // `cached` at the end of the prefill that emits the next token: the prompt, plus, after a
  // preemption, every output token so far (recomputed as one prompt, as vLLM does).
  uint64_t prefill_target = 0;
  uint64_t generated = 0;  // output tokens produced so far
  uint64_t blocks = 0;     // KV blocks held
  uint64_t preemptions = 0;
  double first_token_s = -1;
  double finish_s = -1;
  bool prefilling() const { return cached < prefill_target; }
};

// One sequence's part of an iteration: `q_tokens` new tokens whose keys and values are
// appended, attending over `kv_len` tokens (the new ones included).
struct IterationItem {
  uint64_t seq = 0;  // index into ServeState::seqs
  uint64_t q_tokens = 0;
  uint64_t kv_len = 0;
  bool prefill = false;      // prompt (or recompute) tokens, not a decode step
  bool emits_token = false;  // the last prompt chunk, or a decode step
  bool padding = false;      // static batching: a finished sequence still in the batch
};

struct Iteration {
  std::vector<IterationItem> items;
  uint64_t tokens() const;
  uint64_t prefill_tokens() const;
  uint64_t decode_tokens() const;
  bool empty() const { return items.empty(); }
};

// Everything a scheduler may look at and change.
struct ServeState {
  explicit ServeState(KvBlockPool pool) : kv(pool) {}
  std::vector<Sequence> seqs;
  std::deque<uint64_t> waiting;   // arrived, not admitted (FCFS; preempted go to the front)
  std::vector<uint64_t> running;  // admitted, in admission order
  KvBlockPool kv;
  double now_s = 0;

  // Admits waiting.front() if the blocks of its whole prefill fit the pool (and, with
  // `extra_tokens`, that many more); true on success.
  bool admit_front(uint64_t extra_tokens = 0);
  // Grows a running sequence to hold `tokens` tokens of KV; false if the pool is full.
  bool grow(uint64_t seq, uint64_t tokens);
  // Returns the most recently admitted running sequence to the front of the queue.
  void preempt_last();
};

class BatchScheduler {
 public:
  virtual ~BatchScheduler() = default;
  // The next iteration (empty: nothing can run until another request arrives).
  virtual Iteration next(ServeState& state) = 0;
  // The most sequences it ever runs at once (its max_seqs or max_batch): a pool stated in
  // sequences (serve.kv_pool_sequences) defaults to it.
  virtual uint64_t max_sequences() const = 0;
};

struct BatchSchedulerAxis : config::Axis<std::unique_ptr<BatchScheduler>()> {
  static constexpr const char* key = "serve.scheduler";
  static constexpr const char* doc = "batching policy of a serving run";
};

// The decode step of every running sequence that has its context in the KV cache, growing
// each by one token; preempts (last admitted first) while the pool cannot hold the growth.
// Shared by the policies.
void add_decode_steps(ServeState& state, Iteration& it, uint64_t max_seqs);

}  // namespace cimsim::serve
