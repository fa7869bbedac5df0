#include "cimsim/vn/fast_forward.hpp"

#include <algorithm>
#include <cstdlib>

#include "cimsim/common/checked_math.hpp"

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

FastForwardMemo::FastForwardMemo(AddressMap& map, L2Module& l2, double peak_bytes_per_s,
                                 uint64_t gemv_max_rows, uint64_t m_quantum)
    : map_(map),
      l2_(l2),
      peak_bytes_per_s_(peak_bytes_per_s),
      gemv_max_rows_(gemv_max_rows),
      m_quantum_(std::max<uint64_t>(1, m_quantum)) {}

FastForwardMemo::~FastForwardMemo() = default;

void FastForwardMemo::set_ops(const std::vector<trace::Op>& ops,
                              const std::vector<uint32_t>& scratch) {
  scratch_ = scratch;
  op_tensors_.clear();
  for (const auto& op : ops) {
    for (const auto* list : {&op.inputs, &op.outputs}) {
      for (const auto& t : *list) {
        const TensorLoc* l = map_.find(t.id);
        op_tensors_.push_back(l != nullptr ? l->index : UINT32_MAX);
      }
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

uint64_t FastForwardMemo::matmul_rows(const std::vector<trace::Op>& ops) const {
  uint64_t m_rows = 0;
  for (const auto& op : ops) {
    if (op.kind == trace::OpKind::matmul && op.mm.m > gemv_max_rows_ && m_quantum_ > 1) {
      m_rows = op.mm.m;
    }
  }
  return m_rows;
}

FastForwardMemo::Key FastForwardMemo::key(const std::vector<trace::Op>& ops,
                                          uint64_t variant) const {
  uint64_t h = variant == 0 ? 0x1234 : mix(0x4321, variant);
  // A group with a tensor-core matmul of M rows is keyed by M rounded up to the MMA's M: its
  // kernels pad their rows to it, so the tiles, the thread blocks and their MACs are the same
  // for every M of that step, and what differs (the activation rows read and written) is left
  // to the trial replay's traffic check. This lets an ENTP pass, one token longer than the
  // last, replay the last pass's GEMMs.
  const uint64_t m_rows = matmul_rows(ops);
  const uint64_t m_key = m_rows == 0 ? 0 : ceil_div(m_rows, m_quantum_) * m_quantum_;
  auto rows = [&](uint64_t v) { return m_rows != 0 && v == m_rows ? m_key : v; };
  for (const auto& op : ops) {
    h = mix(h, static_cast<uint64_t>(op.kind));
    for (uint64_t v : {op.mm.batch, rows(op.mm.m), op.mm.n, op.mm.k, op.attn.batch, op.attn.heads,
                       op.attn.kv_heads, op.attn.head_dim, op.attn.q_len, op.attn.kv_len,
                       uint64_t{op.attn.causal}, op.attn.window, rows(op.rows.rows), op.rows.cols,
                       static_cast<uint64_t>(op.phase.kind)}) {
      h = mix(h, v);
    }
    for (const auto* list : {&op.inputs, &op.outputs}) {
      h = mix(h, list->size());
      for (const auto& t : *list) {
        h = mix(mix(h, static_cast<uint64_t>(t.kind)), static_cast<uint64_t>(t.dtype));
        // An activation's bytes follow from its shape (with the rows rounded as above).
        const bool rounded = m_rows != 0 && t.kind != trace::TensorKind::weight;
        h = mix(h, rounded ? 0 : t.bytes);
        for (uint64_t d : t.shape) {
          h = mix(h, rounded ? rows(d) : d);
        }
      }
    }
  }
  // L2 state as it concerns the op: which sectors of its own tensors (and of the scratch its
  // kernels use) are present and dirty, found by looking up the blocks of those tensors;
  // coarsely in h (the resident share of its own tensors), exactly in g. The rest of the L2 (what
  // the op would evict) is checked by the trial replay, not here.
  const L2Cache& cache = l2_.cache();
  const uint64_t bb = cache.block_bytes();
  uint64_t g = mix(h, 0x5151);
  auto add_tensor = [&](uint64_t role, uint32_t tensor, bool coarse) {
    const TensorLoc& loc = map_.at(tensor);
    const uint64_t first = loc.base / bb,
                   last = (loc.base + std::max<uint64_t>(loc.size, 1) - 1) / bb;
    L2Cache::BlockState b;
    uint64_t valid = 0, dirty = 0;
    for (uint64_t blk = first; blk <= last; ++blk) {
      if (cache.lookup(blk, b) && b.tensor == tensor) {
        valid += static_cast<uint64_t>(__builtin_popcountll(b.valid));
        dirty += static_cast<uint64_t>(__builtin_popcountll(b.dirty));
        for (uint64_t v : {role, blk - first, b.valid, b.dirty}) {
          g = mix(g, ~v);
        }
      }
    }
    if (coarse) {
      const uint64_t sectors = (last - first + 1) * 64;
      for (uint64_t v : {role, valid * 32 / sectors, dirty * 32 / sectors}) {
        h = mix(h, v);
      }
    }
  };
  for (size_t r = 0; r < op_tensors_.size(); ++r) {
    uint32_t t = op_tensors_[r];
    if (t == UINT32_MAX || role_of(t) != static_cast<int32_t>(r)) {
      continue;  // not placed, or already seen in an earlier role
    }
    add_tensor(r, t, true);
  }
  // Scratch (split-K partials, log-sum-exp) is written before it is read within an op, so
  // its state changes no fill; only the exact hash holds it (the trial replay decides).
  for (uint32_t t : scratch_) {
    if (role_of(t) >= kScratchRole) {
      add_tensor(static_cast<uint64_t>(kScratchRole) + t, t, false);
    }
  }
  return {h, g};
}

const Recording* FastForwardMemo::try_replay(const Key& key, std::vector<AddrRange>& writebacks,
                                             TrafficDelta& delta) {
  delta = TrafficDelta{};
  auto it = memo_.find(key.first);
  if (it == memo_.end()) {
    return nullptr;
  }
  auto& variants = it->second;
  L2Cache& cache = l2_.cache();
  // Recordings of the same L2 state first.
  std::vector<size_t> order;
  for (size_t v = 0; v < variants.size(); ++v) {
    if (variants[v]->check == key.second) {
      order.push_back(v);
    }
  }
  for (size_t v = 0; v < variants.size(); ++v) {
    if (variants[v]->check != key.second) {
      order.push_back(v);
    }
  }
  for (size_t v : order) {
    const Memo& m = *variants[v];
    // Replay the recorded accesses on the tags. The replay stands in for the op if the L2
    // asks the memory for exactly what it asked when the op was simulated, or for the same
    // fills plus write-backs of data the op evicts where the recorded op wrote nothing back:
    // then those write-backs are sent to the memory for real.
    // A recording of more rows than this op's tensors hold (its M rounded to the same key)
    // would touch addresses past them: not a candidate.
    const bool fits = std::all_of(m.log.begin(), m.log.end(), [&](const Memo::Access& a) {
      const TensorLoc& loc = map_.at(tensor_of(a.role));
      return a.offset >= 0 && static_cast<uint64_t>(a.offset) + a.bytes <= loc.size;
    });
    if (!fits) {
      ++trials_failed_;
      continue;
    }
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
    const bool same_writebacks =
        t.writebacks == m.traffic.writebacks && t.writeback_bytes == m.traffic.writeback_bytes;
    // Write-backs the recorded op did not have are simulated, but not their contention with
    // the op's own traffic (the replay adds their time at the memory's peak bandwidth, right
    // for a memory-bound op): allowed only where that time is a small part of the op's.
    const bool small_writebacks =
        same_fills && m.traffic.writebacks == 0 &&
        static_cast<double>(t.writeback_bytes) / peak_bytes_per_s_ * 1e12 <=
            kReplayWritebackShare * static_cast<double>(m.rec.duration_ps());
    // Traffic within a small share of the recording's: the recording stands in, corrected.
    const int64_t d_fill =
        static_cast<int64_t>(t.read_bytes) - static_cast<int64_t>(m.traffic.read_bytes);
    const int64_t d_wb =
        static_cast<int64_t>(t.writeback_bytes) - static_cast<int64_t>(m.traffic.writeback_bytes);
    const double recorded = static_cast<double>(m.traffic.read_bytes + m.traffic.writeback_bytes);
    // Near: the difference is a small share of the recording's traffic, or its time at peak
    // bandwidth a small share of the recording's time.
    const double diff = static_cast<double>(std::llabs(d_fill) + std::llabs(d_wb));
    const bool near =
        recorded > 0 && (diff <= kReplayTrafficShare * recorded ||
                         diff / peak_bytes_per_s_ * 1e12 <=
                             kReplayTrafficShare * static_cast<double>(m.rec.duration_ps()));
    if ((same_fills && (same_writebacks || small_writebacks)) || near) {
      cache.commit();
      if (!small_writebacks || same_writebacks) {
        writebacks.clear();  // the recording's write-backs stand in for them
      }
      if (!(same_fills && same_writebacks) && !small_writebacks) {
        delta.fill_bytes = d_fill;
        delta.writeback_bytes = d_wb;
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
