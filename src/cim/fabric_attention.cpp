// Attention, batched matmuls and the KV cache on the fabric (fabric_ops.hpp): where the
// inputs come from and where the op runs; what the compute costs is the dynamic-matmul
// policy's (dynamic_policy.hpp).
#include <algorithm>
#include <cmath>

#include "cimsim/cim/fabric_ops.hpp"
#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

namespace {

uint64_t share_of(uint64_t n, size_t parts) {
  return ceil_div(n, std::max<size_t>(1, parts));
}

}  // namespace

std::vector<uint32_t> FabricOps::tiles_of(const Loc& loc) const {
  std::vector<uint32_t> t;
  for (const auto& p : loc.parts) {
    t.push_back(p.tile);
  }
  if (t.empty()) {
    t.push_back(0);
  }
  return t;
}

Loc FabricOps::kv_source(KvStore& s, uint64_t bytes, uint64_t ready_ps) {
  // The cache as a stream leaving where it lives.
  Loc l;
  l.bytes = bytes;
  // Rows written by a streaming kv_write are there from its first row on (a causal prefill
  // reads them as they come).
  Window written{s.ready_first_ps, s.ready_last_ps};
  Window at = written.after(ready_ps);
  uint64_t ready = at.last;
  if (s.level == KvLevel::global_buffer) {
    uint32_t chip = io_.topology().chip_of(s.tiles.front());
    l.window = io_.global_buffer(chip, bytes, at, false);
    l.parts.push_back(Part{s.tiles.front(), bytes});
  } else if (s.level == KvLevel::offchip) {
    uint64_t t = io_.hbm(bytes, false, ready, s.hbm_stack, s.hbm_address);
    l.window = Window::at(t);
    l.parts.push_back(Part{s.tiles.front(), bytes});
  } else {
    l.window = at;
    for (uint32_t t : s.tiles) {
      l.parts.push_back(Part{t, share_of(bytes, s.tiles.size())});
    }
  }
  return l;
}

void FabricOps::op_attention(const trace::Op& op) {
  const trace::AttentionShape& a = op.attn;
  std::vector<const trace::Tensor*> acts;
  for (const auto& t : op.inputs) {
    if (t.kind == trace::TensorKind::activation) {
      acts.push_back(&t);
    }
  }
  KvStore* store = kv_.find(op);
  Loc q = acts.empty() ? input_loc(trace::Tensor{}) : input_loc(*acts[0]);
  q.window = q.window.after(phase_start_ps_);
  AttentionJob job;
  job.shape = &a;
  job.store = store;
  job.out_bytes = op.bytes_written();
  job.q_bytes = q.bytes;
  const uint32_t kv_bits = !op.inputs.empty() ? trace::dtype_bits(op.inputs.back().dtype) : 16;
  job.kv_bytes = ceil_div(
      checked_mul(checked_mul(2 * a.keys() * a.kv_heads, a.head_dim, "KV"), a.batch, "KV") *
          kv_bits,
      8);
  job.resident = store != nullptr && is_array_level(store->level);

  ExecCandidates where;
  where.store = store;
  where.pool = &plan_.pool_tiles;
  auto layer = plan_.layer_tiles.find(op.layer);
  where.layer = layer != plan_.layer_tiles.end() ? &layer->second : nullptr;
  where.input = tiles_of(q);
  job.exec = policy_.exec_tiles(where);
  const auto& exec = job.exec;
  std::vector<uint64_t> q_need(exec.size(), share_of(q.bytes, exec.size()));
  job.q_ready = io_.deliver(q, exec, q_need, 1.0, false);

  // K and V: from the cache or from this phase's activations.
  job.kv_ready = q.window;
  if (!job.resident) {
    std::vector<Loc> kv;
    if (store != nullptr) {
      kv.push_back(kv_source(*store, job.kv_bytes, q.window.first));
    } else {
      for (size_t i = 1; i < acts.size(); ++i) {
        kv.push_back(input_loc(*acts[i]));
      }
    }
    for (const Loc& l : kv) {
      if (store != nullptr && store->level == KvLevel::tile_buffer) {
        job.kv_ready = job.kv_ready.merge(l.window);
        continue;  // read in place
      }
      std::vector<uint64_t> need(exec.size(), share_of(l.bytes, exec.size()));
      for (const Window& w : io_.deliver(l, exec, need, 1.0, false)) {
        job.kv_ready = job.kv_ready.merge(w);
      }
    }
  } else {
    job.kv_ready = job.kv_ready.merge(Window{store->ready_first_ps, store->ready_last_ps});
  }
  // Bidirectional attention needs every key before its first output row.
  if (!a.causal) {
    job.kv_ready.first = job.kv_ready.last;
  }
  // Each exec tile holds the K and V it reads, whole when several query rows reuse them (a
  // single query streams them position by position), unless they are read in place from the
  // KV share or sit in arrays; and a row of Q and of output.
  const bool kv_delivered =
      !job.resident && !(store != nullptr && store->level == KvLevel::tile_buffer);
  const uint64_t rows = std::max<uint64_t>(1, a.q_len * a.batch);
  const uint64_t row = ceil_div(job.q_bytes, rows) + ceil_div(job.out_bytes, rows);
  for (size_t i = 0; i < exec.size(); ++i) {
    uint64_t kv = kv_delivered ? share_of(job.kv_bytes, exec.size()) : 0;
    kv = a.q_len > 1 ? kv : ceil_div(kv, std::max<uint64_t>(1, a.kv_len));
    job.q_ready[i] = job.q_ready[i].merge(hold(op, exec[i], kv + row, 1, job.kv_ready));
  }

  Loc out;
  out.window = policy_.attention(io_, job);
  for (uint32_t t : exec) {
    out.parts.push_back(Part{t, share_of(job.out_bytes, exec.size())});
  }
  out.bytes = job.out_bytes;
  publish(op, out, true);
  finish_op(op, q.window.first, out.window.last, policy_.attention_bound());
}

void FabricOps::op_kv_write(const trace::Op& op) {
  const trace::AttentionShape& a = op.attn;
  KvStore* s = kv_.find(op);
  Loc in;
  bool have = false;
  uint64_t bytes = 0;
  for (const auto& t : op.inputs) {
    if (t.kind != trace::TensorKind::activation) {
      continue;
    }
    Loc l = input_loc(t);
    bytes += t.bytes;
    if (!have) {
      in = l;
    } else {
      in.parts.insert(in.parts.end(), l.parts.begin(), l.parts.end());
      in.window = in.window.merge(l.window);
    }
    have = true;
  }
  in.bytes = bytes;
  in.window = in.window.after(phase_start_ps_);
  if (s == nullptr) {
    finish_op(op, in.window.first, in.window.last, "memory");
    return;
  }
  Window done = in.window;
  std::vector<uint64_t> need(s->tiles.size(), share_of(bytes, s->tiles.size()));
  std::vector<Window> got = io_.deliver(in, s->tiles, need, 1.0, false);
  Window arrived = got.front();
  for (const Window& w : got) {
    arrived = arrived.merge(w);
  }
  uint64_t first_new = a.kv_len > a.q_len ? a.kv_len - a.q_len : 0;
  switch (s->level) {
    case KvLevel::tile_buffer:
      for (size_t i = 0; i < s->tiles.size(); ++i) {
        TileJob job;
        job.kind = TileJob::Kind::buffer;
        job.rows = a.q_len * a.batch;
        job.write_bytes = need[i];
        job.in = got[i];
        Window w = io_.tile_job(s->tiles[i], job);
        done = i == 0 ? w : done.merge(w);
      }
      break;
    case KvLevel::global_buffer:
      done = io_.global_buffer(io_.topology().chip_of(s->tiles.front()), bytes, arrived, true);
      break;
    case KvLevel::offchip:
      done =
          Window::at(io_.hbm(bytes, true, arrived.last, s->hbm_stack, s->hbm_address + first_new));
      break;
    case KvLevel::sram_cim:
    case KvLevel::crossbar:
      done = policy_.kv_write(io_, *s, a, arrived);
      break;
  }
  s->written = std::max(s->written, a.kv_len);
  s->ready_first_ps = std::max(s->ready_first_ps, done.first);
  s->ready_last_ps = std::max(s->ready_last_ps, done.last);
  finish_op(op, in.window.first, done.last, "memory");
}

void FabricOps::op_kv_read(const trace::Op& op) {
  KvStore* s = kv_.find(op);
  uint64_t bytes = op.bytes_written();
  Loc out;
  if (s == nullptr) {
    out.window = Window::at(phase_start_ps_);
    out.parts.push_back(Part{0, bytes});
  } else {
    out = kv_source(*s, bytes, phase_start_ps_);
    if (s->level == KvLevel::tile_buffer) {
      Window all = out.window;
      for (size_t i = 0; i < s->tiles.size(); ++i) {
        TileJob job;
        job.kind = TileJob::Kind::buffer;
        job.read_bytes = share_of(bytes, s->tiles.size());
        job.in = out.window;
        all = all.merge(io_.tile_job(s->tiles[i], job));
      }
      out.window = all;
    }
  }
  out.bytes = bytes;
  publish(op, out, false);
  finish_op(op, phase_start_ps_, out.window.last, "memory");
}

void FabricOps::op_batched_matmul(const trace::Op& op) {
  // out[b] = A[b] x B[b], both operands activations (the split form of attention).
  std::vector<const trace::Tensor*> acts;
  for (const auto& t : op.inputs) {
    if (t.kind != trace::TensorKind::weight) {
      acts.push_back(&t);
    }
  }
  if (acts.empty()) {
    finish_op(op, phase_start_ps_, phase_start_ps_, "compute");
    return;
  }
  Loc a = input_loc(*acts[0]);
  a.window = a.window.after(phase_start_ps_);
  ExecCandidates where;
  where.pool = &plan_.pool_tiles;
  where.input = tiles_of(a);
  BatchedJob job;
  job.shape = &op.mm;
  job.exec = policy_.exec_tiles(where);
  job.read_bytes = op.bytes_read();
  job.write_bytes = op.bytes_written();
  const auto& exec = job.exec;
  std::vector<uint64_t> need(exec.size(), share_of(a.bytes, exec.size()));
  std::vector<Window> ready = io_.deliver(a, exec, need, 1.0, false);
  job.in = ready.front();
  for (const Window& w : ready) {
    job.in = job.in.merge(w);
  }
  for (size_t i = 1; i < acts.size(); ++i) {
    Loc b = input_loc(*acts[i]);
    std::vector<uint64_t> nb(exec.size(), share_of(acts[i]->bytes, exec.size()));
    for (const Window& w : io_.deliver(b, exec, nb, 1.0, false)) {
      job.in = job.in.merge(w);
    }
  }
  // Each exec tile holds its share of the second operand (K^T or V) when several rows of the
  // first reuse it (one row streams it), a row of the first and a row of output.
  uint64_t held = 0;
  for (size_t i = 1; i < acts.size(); ++i) {
    held += share_of(acts[i]->bytes, exec.size());
  }
  held = op.mm.m > 1 ? held : ceil_div(held, std::max<uint64_t>(1, op.mm.k));
  const uint64_t rows = std::max<uint64_t>(1, op.mm.m * op.mm.batch);
  const uint64_t row = ceil_div(share_of(a.bytes, exec.size()), rows) +
                       ceil_div(share_of(job.write_bytes, exec.size()), rows);
  Window spilled = job.in;
  for (uint32_t t : exec) {
    spilled = spilled.merge(hold(op, t, held + row, 1, job.in));
  }
  job.in = spilled;
  Loc out;
  out.window = policy_.batched_matmul(io_, job);
  for (uint32_t t : exec) {
    out.parts.push_back(Part{t, share_of(op.bytes_written(), exec.size())});
  }
  out.bytes = op.bytes_written();
  publish(op, out, false);
  finish_op(op, a.window.first, out.window.last, "compute");
}

}  // namespace cimsim::cim
