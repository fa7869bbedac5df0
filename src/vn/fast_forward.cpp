#include "cimsim/vn/fast_forward.hpp"

#include <algorithm>

namespace cimsim::vn {

namespace {
uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 29);
}
constexpr int32_t kOther = -1;
constexpr int32_t kScratchRole = 1000;
}  // namespace

struct FastForwardMemo::Memo {
  // One L2 access of the op, in role terms: which of the op's tensors (or which scratch
  // tensor) and where in it.
  struct Access {
    int32_t role = 0;
    bool write = false;
    int64_t offset = 0;
    uint64_t bytes = 0;
  };
  uint64_t check = 0;
  Recording rec;
  std::vector<Access> log;
  L2Traffic traffic;  // what the op asked of the memory
};

FastForwardMemo::FastForwardMemo(AddressMap& map, L2Module& l2, double peak_bytes_per_s)
    : map_(map), l2_(l2), peak_bytes_per_s_(peak_bytes_per_s) {}

FastForwardMemo::~FastForwardMemo() = default;

void FastForwardMemo::set_op(const trace::Op& op) {
  op_tensors_.clear();
  for (const auto* list : {&op.inputs, &op.outputs}) {
    for (const auto& t : *list) {
      const TensorLoc* l = map_.find(t.id);
      op_tensors_.push_back(l != nullptr ? l->index : UINT32_MAX);
    }
  }
}

int32_t FastForwardMemo::role_of(uint32_t tensor) const {
  for (size_t i = 0; i < op_tensors_.size(); ++i) {
    if (op_tensors_[i] == tensor) {
      return static_cast<int32_t>(i);
    }
  }
  return map_.is_scratch(tensor) ? kScratchRole + static_cast<int32_t>(tensor) : kOther;
}

uint32_t FastForwardMemo::tensor_of(int32_t role) const {
  return role >= kScratchRole ? static_cast<uint32_t>(role - kScratchRole)
                              : op_tensors_[static_cast<size_t>(role)];
}

FastForwardMemo::Key FastForwardMemo::key(const trace::Op& op) const {
  uint64_t h = mix(0x1234, static_cast<uint64_t>(op.kind));
  for (uint64_t v : {op.mm.batch, op.mm.m, op.mm.n, op.mm.k, op.attn.batch, op.attn.heads,
                     op.attn.kv_heads, op.attn.head_dim, op.attn.q_len, op.attn.kv_len,
                     uint64_t{op.attn.causal}, op.rows.rows, op.rows.cols}) {
    h = mix(h, v);
  }
  for (const auto* list : {&op.inputs, &op.outputs}) {
    h = mix(h, list->size());
    for (const auto& t : *list) {
      h = mix(mix(mix(h, static_cast<uint64_t>(t.kind)), static_cast<uint64_t>(t.dtype)), t.bytes);
      for (uint64_t d : t.shape) {
        h = mix(h, d);
      }
    }
  }
  // L2 state as it concerns the op: exactly which sectors of its own tensors (and of scratch)
  // are present and dirty, found by looking up the blocks of those tensors. The rest of the
  // L2 (what the op would evict) is checked by the trial replay, not here.
  const L2Cache& cache = l2_.cache();
  const uint64_t bb = cache.block_bytes();
  uint64_t g = mix(h, 0x5151);
  auto add_tensor = [&](uint64_t role, uint32_t tensor) {
    const TensorLoc& loc = map_.at(tensor);
    const uint64_t first = loc.base / bb,
                   last = (loc.base + std::max<uint64_t>(loc.size, 1) - 1) / bb;
    L2Cache::BlockState b;
    for (uint64_t blk = first; blk <= last; ++blk) {
      if (cache.lookup(blk, b) && b.tensor == tensor) {
        for (uint64_t v : {role, blk - first, b.valid, b.dirty}) {
          h = mix(h, v);
          g = mix(g, ~v);
        }
      }
    }
  };
  for (size_t r = 0; r < op_tensors_.size(); ++r) {
    uint32_t t = op_tensors_[r];
    if (t == UINT32_MAX || role_of(t) != static_cast<int32_t>(r)) {
      continue;  // not placed, or already seen in an earlier role
    }
    add_tensor(r, t);
  }
  for (uint32_t t : map_.scratch_indices()) {
    if (role_of(t) >= kScratchRole) {
      add_tensor(static_cast<uint64_t>(kScratchRole) + t, t);
    }
  }
  return {h, g};
}

const Recording* FastForwardMemo::try_replay(const Key& key, std::vector<AddrRange>& writebacks) {
  auto it = memo_.find(key.first);
  if (it == memo_.end()) {
    return nullptr;
  }
  auto& variants = it->second;
  L2Cache& cache = l2_.cache();
  for (size_t v = 0; v < variants.size(); ++v) {
    const Memo& m = *variants[v];
    if (m.check != key.second) {
      continue;
    }
    // Replay the recorded accesses on the tags. The replay stands in for the op if the L2
    // asks the memory for exactly what it asked when the op was simulated, or for the same
    // fills plus write-backs of data the op evicts where the recorded op wrote nothing back:
    // then those write-backs are sent to the memory for real.
    cache.begin_trial();
    L2Traffic t;
    writebacks.clear();
    for (const auto& a : m.log) {
      uint32_t tensor = tensor_of(a.role);
      l2_.apply_untimed(
          L2Access{static_cast<uint64_t>(static_cast<int64_t>(map_.at(tensor).base) + a.offset),
                   a.bytes, tensor, a.write},
          t, writebacks);
    }
    const bool same_fills = t.fill_bytes == m.traffic.fill_bytes &&
                            t.read_requests == m.traffic.read_requests &&
                            t.read_bytes == m.traffic.read_bytes;
    const bool exact = same_fills && t.writebacks == m.traffic.writebacks &&
                       t.writeback_bytes == m.traffic.writeback_bytes;
    // Write-backs the recorded op did not have are simulated, but not their contention with
    // the op's own traffic (the replay adds their time at the memory's peak bandwidth, right
    // for a memory-bound op): allowed only where that time is a small part of the op's.
    const bool small_writebacks =
        same_fills && m.traffic.writebacks == 0 &&
        static_cast<double>(t.writeback_bytes) / peak_bytes_per_s_ * 1e12 <=
            kReplayWritebackShare * static_cast<double>(m.rec.duration_ps);
    if (exact || small_writebacks) {
      cache.commit();
      if (exact) {
        writebacks.clear();
      }
      if (v > 0) {
        std::rotate(variants.begin(), variants.begin() + static_cast<std::ptrdiff_t>(v),
                    variants.begin() + static_cast<std::ptrdiff_t>(v) + 1);
      }
      return &variants.front()->rec;
    }
    cache.rollback();
    ++trials_failed_;
  }
  return nullptr;
}

void FastForwardMemo::remember(const Key& key, const Recording& rec,
                               const std::vector<L2Access>& log, const L2Traffic& traffic) {
  auto m = std::make_unique<Memo>();
  m->check = key.second;
  m->rec = rec;
  m->traffic = traffic;
  m->log.reserve(log.size());
  for (const auto& a : log) {
    int32_t role = role_of(a.tensor);
    if (role == kOther) {
      return;  // touches data the op does not name: cannot be mapped onto another op
    }
    m->log.push_back(Memo::Access{
        role, a.write, static_cast<int64_t>(a.addr) - static_cast<int64_t>(map_.at(a.tensor).base),
        a.bytes});
  }
  auto& variants = memo_[key.first];
  variants.insert(variants.begin(), std::move(m));
  if (variants.size() > kMaxVariants) {
    variants.pop_back();
  }
}

}  // namespace cimsim::vn
