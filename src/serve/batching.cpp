// Serving state: the paged KV pool, admission, growth and preemption (batching.hpp).
#include "cimsim/serve/batching.hpp"

#include <algorithm>
#include <stdexcept>

#include "cimsim/common/checked_math.hpp"

namespace cimsim::serve {

KvBlockPool::KvBlockPool(uint64_t capacity_blocks, uint64_t block_tokens)
    : capacity_(capacity_blocks), block_tokens_(block_tokens) {
  if (block_tokens == 0) throw std::logic_error("KvBlockPool: block_tokens is 0");
}

uint64_t KvBlockPool::blocks_for(uint64_t tokens) const {
  return ceil_div(tokens, block_tokens_);
}

bool KvBlockPool::take(uint64_t blocks) {
  if (blocks > free_blocks()) return false;
  used_ += blocks;
  return true;
}

void KvBlockPool::give_back(uint64_t blocks) {
  if (blocks > used_) throw std::logic_error("KvBlockPool: more blocks returned than taken");
  used_ -= blocks;
}

uint64_t Iteration::tokens() const {
  uint64_t n = 0;
  for (const auto& i : items) n += i.q_tokens;
  return n;
}

uint64_t Iteration::prefill_tokens() const {
  uint64_t n = 0;
  for (const auto& i : items) n += i.prefill ? i.q_tokens : 0;
  return n;
}

uint64_t Iteration::decode_tokens() const {
  return tokens() - prefill_tokens();
}

bool ServeState::admit_front(uint64_t extra_tokens) {
  if (waiting.empty()) return false;
  Sequence& s = seqs[waiting.front()];
  uint64_t target = s.request.prompt_tokens + s.generated;
  uint64_t blocks = kv.blocks_for(target + extra_tokens);
  if (!kv.take(blocks)) return false;
  s.blocks = blocks;
  s.cached = 0;
  s.prefill_target = target;
  s.state = SeqState::running;
  running.push_back(waiting.front());
  waiting.pop_front();
  return true;
}

bool ServeState::grow(uint64_t seq, uint64_t tokens) {
  Sequence& s = seqs[seq];
  uint64_t need = kv.blocks_for(tokens);
  if (need <= s.blocks) return true;
  if (!kv.take(need - s.blocks)) return false;
  s.blocks = need;
  return true;
}

void ServeState::preempt_last() {
  uint64_t victim = running.back();
  running.pop_back();
  Sequence& s = seqs[victim];
  kv.give_back(s.blocks);
  s.blocks = 0;
  s.cached = 0;
  s.prefill_target = 0;
  s.state = SeqState::waiting;
  ++s.preemptions;
  waiting.push_front(victim);
}

void add_decode_steps(ServeState& state, Iteration& it, uint64_t max_seqs) {
  // Grow every decoding sequence by one token; when the pool is full, preempt the most
  // recently admitted sequence (which may be the one being grown) and try again.
  std::vector<uint64_t> decoding;
  for (size_t i = 0; i < state.running.size(); ++i) {
    uint64_t seq = state.running[i];
    if (state.seqs[seq].prefilling()) continue;
    while (!state.grow(seq, state.seqs[seq].cached + 1)) {
      uint64_t last = state.running.back();
      state.preempt_last();
      decoding.erase(std::remove(decoding.begin(), decoding.end(), last), decoding.end());
      if (last == seq) break;
    }
    if (state.seqs[seq].state == SeqState::running) decoding.push_back(seq);
  }
  for (uint64_t seq : decoding) {
    if (it.items.size() >= max_seqs) break;
    const Sequence& s = state.seqs[seq];
    IterationItem item;
    item.seq = seq;
    item.q_tokens = 1;
    item.kv_len = s.cached + 1;
    item.emits_token = true;
    it.items.push_back(item);
  }
}

}  // namespace cimsim::serve
