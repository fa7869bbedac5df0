// Attention, batched matmuls and the KV cache on the fabric, under the three dynamic_matmul
// policies (dynamic.hpp explains them).
#include <algorithm>
#include <cmath>

#include "cimsim/cim/fabric.hpp"
#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

namespace {

uint64_t share_of(uint64_t n, size_t parts) {
  return ceil_div(n, std::max<size_t>(1, parts));
}

bool is_array(KvLevel l) {
  return l == KvLevel::sram_cim || l == KvLevel::crossbar;
}

}  // namespace

std::vector<uint32_t> Fabric::tiles_of(const Loc& loc) const {
  std::vector<uint32_t> t;
  for (const auto& p : loc.parts) {
    t.push_back(p.tile);
  }
  if (t.empty()) {
    t.push_back(0);
  }
  return t;
}

KvStore* Fabric::store_for(const trace::Op& op) {
  for (const auto& list : {&op.inputs, &op.outputs}) {
    for (const auto& t : *list) {
      if (t.kind != trace::TensorKind::kv_cache) {
        continue;
      }
      auto it = store_index_.find(t.id);
      if (it != store_index_.end()) {
        return &stores_[it->second];
      }
    }
  }
  return nullptr;
}

Fabric::Loc Fabric::kv_source(KvStore& s, uint64_t bytes, uint64_t ready_ps) {
  // The cache as a stream leaving where it lives.
  Loc l;
  l.bytes = bytes;
  // Rows written by a streaming kv_write are there from its first row on (a causal prefill
  // reads them as they come).
  Window written{s.ready_first_ps, s.ready_last_ps};
  Window at = written.after(ready_ps);
  uint64_t ready = at.last;
  if (s.level == KvLevel::global_buffer) {
    uint32_t chip = topo_->chip_of(s.tiles.front());
    l.window = global_buffer(chip, bytes, at, false);
    l.parts.push_back(Part{s.tiles.front(), bytes});
  } else if (s.level == KvLevel::offchip) {
    uint64_t t = hbm(bytes, false, ready, s.hbm_address);
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

uint64_t Fabric::arrays_available(const std::vector<uint32_t>& tiles) const {
  uint64_t per_tile = cfg_.dynamic_matmul == DynamicMatmul::sram_cim
                          ? cfg_.sram_cim.arrays_per_tile
                          : uint64_t{cfg_.pe.crossbars} * cfg_.tile.pes;
  return std::max<uint64_t>(1, per_tile * tiles.size());
}

Fabric::ArrayCost Fabric::array_matmul(uint64_t k, uint64_t n, uint64_t vectors, uint64_t instances,
                                       uint64_t new_cols, uint64_t new_rows) {
  ArrayCost c;
  const ArrayModel& a = *arrays_;
  const uint64_t R = a.rows(), C = a.cols(), cells = a.cells_per_value();
  c.arrays = ceil_div(k, R) * ceil_div(n * cells, C) * instances;
  // Writes: new columns touch every row of the operand (a partial-row write each); new rows
  // are whole rows. Arrays are written in parallel, rows of one array one after another.
  uint64_t rows_serial = 0, rows_total = 0;
  if (new_cols > 0) {
    rows_serial = std::min(k, R);
    rows_total = k * ceil_div(new_cols * cells, C);
    c.cells_written += k * new_cols * cells;
  }
  if (new_rows > 0) {
    rows_serial = std::max(rows_serial, std::min(new_rows, R));
    rows_total += new_rows * ceil_div(n * cells, C);
    c.cells_written += new_rows * n * cells;
  }
  c.cells_written *= instances;
  rows_total *= instances;
  c.write_ps = ns_to_ps(a.row_write_ns() * static_cast<double>(rows_serial));
  if (c.cells_written > 0) {
    stats_.dynamic_cells += c.cells_written;
    stats_.dynamic_rows += rows_total;
    if (a.is_sram()) {
      cur_.actions[ids_.sram_write_bit] += c.cells_written;
      cur_.write_bytes[ids_.sram_cim] += ceil_div(c.cells_written, 8);
      stats_.dynamic_bits += c.cells_written;
    } else {
      const auto& p = cfg_.crossbar.program;
      cur_.actions[ids_.xbar_program_cell] +=
          static_cast<uint64_t>(std::llround(static_cast<double>(c.cells_written) * p.iterations));
      if (p.verify_ns > 0) {
        cur_.actions[ids_.xbar_verify_row] +=
            static_cast<uint64_t>(std::llround(static_cast<double>(rows_total) * p.iterations));
      }
      stats_.dynamic_bits += c.cells_written * cfg_.crossbar.bits_per_cell;
    }
  }
  // MVMs: every instance's arrays in parallel.
  if (vectors > 0) {
    c.mvm_ps = a.mvm_timing(k, n).run_ps(vectors);
    MvmCounts m = a.mvm_counts(k, n).scaled(checked_mul(vectors, instances, "MVMs"));
    if (a.is_sram()) {
      cur_.actions[ids_.sram_row_step] += m.row_reads;
    } else {
      cur_.actions[ids_.dac] += m.dac_conversions;
      cur_.actions[ids_.xbar_read_row] += m.row_reads;
      cur_.actions[ids_.sample_hold] += m.samples;
      cur_.actions[ids_.adc] += m.adc_conversions;
      cur_.actions[ids_.pe_shift_add] += m.shift_adds;
      cur_.actions[ids_.adder_tree] += m.adder_tree;
    }
  }
  return c;
}

Window Fabric::reserve_arrays(const std::vector<uint32_t>& tiles, const Window& in,
                              uint64_t round_ps, uint64_t rounds) {
  Window out = in;
  bool have = false;
  for (uint32_t t : tiles) {
    TileJob job;
    job.kind = TileJob::Kind::reserve;
    job.resource = cfg_.dynamic_matmul == DynamicMatmul::sram_cim ? TileJob::Resource::sram_cim
                                                                  : TileJob::Resource::pes;
    job.pe0 = 0;
    job.pes = cfg_.tile.pes;
    job.in = in;
    job.per_item_ps = round_ps;
    job.items = rounds;
    Window w = tile_job(t, job);
    out = have ? out.merge(w) : w;
    have = true;
  }
  return out;
}

void Fabric::op_attention(const trace::Op& op) {
  const trace::AttentionShape& a = op.attn;
  std::vector<const trace::Tensor*> acts;
  for (const auto& t : op.inputs) {
    if (t.kind == trace::TensorKind::activation) {
      acts.push_back(&t);
    }
  }
  KvStore* store = store_for(op);
  Loc q = acts.empty() ? input_loc(trace::Tensor{}) : input_loc(*acts[0]);
  q.window = q.window.after(phase_start_ps_);
  const uint64_t out_bytes = op.bytes_written();
  const uint32_t kv_bits = !op.inputs.empty() ? trace::dtype_bits(op.inputs.back().dtype) : 16;
  const uint64_t kv_bytes = ceil_div(
      checked_mul(checked_mul(2 * a.keys() * a.kv_heads, a.head_dim, "KV"), a.batch, "KV") *
          kv_bits,
      8);
  const bool arrays = cfg_.dynamic_matmul != DynamicMatmul::digital;
  const bool resident = store != nullptr && is_array(store->level);

  // Where it runs: beside the cache; else on the write_xbar pool, or on the vector units (and
  // SRAM CIM arrays) of every tile that holds the layer's weights, heads spread over them.
  std::vector<uint32_t> exec;
  auto layer = layer_tiles_.find(op.layer);
  if (store != nullptr && (store->level == KvLevel::tile_buffer || resident)) {
    exec = store->tiles;
  } else if (arrays && cfg_.dynamic_matmul == DynamicMatmul::write_xbar && !pool_tiles_.empty()) {
    exec = pool_tiles_;
  } else if (layer != layer_tiles_.end() && !layer->second.empty()) {
    exec = layer->second;
  } else {
    exec = tiles_of(q);
  }
  std::vector<uint64_t> q_need(exec.size(), share_of(q.bytes, exec.size()));
  std::vector<Window> ready = deliver(q, exec, q_need, 1.0, false);

  // K and V: from the cache or from this phase's activations.
  Window kv_ready = q.window;
  if (!resident) {
    std::vector<Loc> kv;
    if (store != nullptr) {
      kv.push_back(kv_source(*store, kv_bytes, q.window.first));
    } else {
      for (size_t i = 1; i < acts.size(); ++i) {
        kv.push_back(input_loc(*acts[i]));
      }
    }
    for (const Loc& l : kv) {
      if (store != nullptr && store->level == KvLevel::tile_buffer) {
        kv_ready = kv_ready.merge(l.window);
        continue;  // read in place by the vector units
      }
      std::vector<uint64_t> need(exec.size(), share_of(l.bytes, exec.size()));
      for (const Window& w : deliver(l, exec, need, 1.0, false)) {
        kv_ready = kv_ready.merge(w);
      }
    }
  } else {
    kv_ready = kv_ready.merge(Window{store->ready_first_ps, store->ready_last_ps});
  }
  // Bidirectional attention needs every key before its first output row.
  if (!a.causal) {
    kv_ready.first = kv_ready.last;
  }

  Loc out;
  uint64_t rows = std::max<uint64_t>(1, a.q_len * a.batch);
  if (!arrays) {
    AttentionWork w = attention_work(a);
    for (size_t i = 0; i < exec.size(); ++i) {
      TileJob job;
      job.kind = TileJob::Kind::vector;
      job.rows = rows;
      job.mix.mac = share_of(w.macs, exec.size());
      job.mix.exp = share_of(w.exps, exec.size());
      job.mix.add = share_of(w.adds, exec.size());
      job.mix.mul = share_of(w.muls, exec.size());
      job.mix.div = share_of(w.divs, exec.size());
      job.read_bytes = share_of(kv_bytes + q.bytes, exec.size());
      job.write_bytes = share_of(out_bytes, exec.size());
      job.in = ready[i].merge(kv_ready);
      Window done = tile_job(exec[i], job);
      out.window = i == 0 ? done : out.window.merge(done);
    }
  } else {
    // K^T and V into the arrays (only the new positions when the cache lives there), then
    // QK^T, softmax on the vector units, PV.
    uint64_t group = std::max<uint64_t>(1, a.heads / std::max<uint64_t>(1, a.kv_heads));
    uint64_t inst = a.kv_heads * a.batch;
    uint64_t vectors = a.q_len * group;
    // A sliding window's queries drive only the keys they see (a.keys(), from first_key()).
    uint64_t new_pos =
        resident ? (a.kv_len > store->written ? a.kv_len - store->written : 0) : a.keys();
    ArrayCost qk = array_matmul(a.head_dim, a.keys(), vectors, inst, new_pos, 0);
    ArrayCost pv = array_matmul(a.keys(), a.head_dim, vectors, inst, 0, new_pos);
    uint64_t rounds = resident ? 1 : ceil_div(qk.arrays + pv.arrays, arrays_available(exec));
    stats_.dynamic_rounds += rounds;
    if (resident) {
      for (uint64_t p = store->written; p < a.kv_len && p < store->writes_per_position.size();
           ++p) {
        ++store->writes_per_position[p];
      }
      store->written = std::max(store->written, a.kv_len);
    } else if (!arrays_->is_sram()) {
      pool_cell_writes_ += qk.cells_written + pv.cells_written;
    }
    // Softmax over every stored position (the arrays compute all of them).
    uint64_t e = checked_mul(checked_mul(a.q_len * a.heads, a.keys(), "scores"), a.batch, "scores");
    const auto& vu = cfg_.tile.vector_unit;
    uint64_t cycles =
        ceil_div(4 * e + 2 * e * vu.transcendental_cycles, uint64_t{vu.lanes} * exec.size());
    cur_.actions[ids_.vu_add] += 2 * e;
    cur_.actions[ids_.vu_exp] += e;
    cur_.actions[ids_.vu_mul] += 2 * e;
    cur_.actions[ids_.vu_div] += a.q_len * a.heads * a.batch;
    uint64_t softmax_ps = cycles * tile_ctx_.cycle_ps / rounds;
    uint64_t round = std::max(qk.write_ps, pv.write_ps) + qk.mvm_ps + softmax_ps + pv.mvm_ps;
    Window in = kv_ready;
    for (const Window& w : ready) {
      in = in.merge(w);
    }
    out.window = reserve_arrays(exec, in, round, rounds);
  }
  for (uint32_t t : exec) {
    out.parts.push_back(Part{t, share_of(out_bytes, exec.size())});
  }
  out.bytes = out_bytes;
  for (const auto& o : op.outputs) {
    if (o.kind == trace::TensorKind::activation) {
      live_[o.id] = out;
    }
  }
  finish_op(op, q.window.first, out.window.last, arrays ? "dynamic_cim" : "compute");
}

void Fabric::op_kv_write(const trace::Op& op) {
  const trace::AttentionShape& a = op.attn;
  KvStore* s = store_for(op);
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
  std::vector<Window> got = deliver(in, s->tiles, need, 1.0, false);
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
        Window w = tile_job(s->tiles[i], job);
        done = i == 0 ? w : done.merge(w);
      }
      break;
    case KvLevel::global_buffer:
      done = global_buffer(topo_->chip_of(s->tiles.front()), bytes, arrived, true);
      break;
    case KvLevel::offchip:
      done = Window::at(hbm(bytes, true, arrived.last, s->hbm_address + first_new));
      break;
    case KvLevel::sram_cim:
    case KvLevel::crossbar: {
      uint64_t inst = a.kv_heads * a.batch;
      ArrayCost k = array_matmul(a.head_dim, a.kv_len, 0, inst, a.q_len, 0);
      ArrayCost v = array_matmul(a.kv_len, a.head_dim, 0, inst, 0, a.q_len);
      done = reserve_arrays(s->tiles, arrived, std::max(k.write_ps, v.write_ps), 1);
      for (uint64_t p = first_new; p < a.kv_len && p < s->writes_per_position.size(); ++p) {
        ++s->writes_per_position[p];
      }
      break;
    }
  }
  s->written = std::max(s->written, a.kv_len);
  s->ready_first_ps = std::max(s->ready_first_ps, done.first);
  s->ready_last_ps = std::max(s->ready_last_ps, done.last);
  finish_op(op, in.window.first, done.last, "memory");
}

void Fabric::op_kv_read(const trace::Op& op) {
  KvStore* s = store_for(op);
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
        all = all.merge(tile_job(s->tiles[i], job));
      }
      out.window = all;
    }
  }
  out.bytes = bytes;
  for (const auto& o : op.outputs) {
    live_[o.id] = out;
  }
  finish_op(op, phase_start_ps_, out.window.last, "memory");
}

void Fabric::op_batched_matmul(const trace::Op& op) {
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
  std::vector<uint32_t> exec = tiles_of(a);
  if (cfg_.dynamic_matmul == DynamicMatmul::write_xbar && !pool_tiles_.empty()) {
    exec = pool_tiles_;
  }
  std::vector<uint64_t> need(exec.size(), share_of(a.bytes, exec.size()));
  std::vector<Window> ready = deliver(a, exec, need, 1.0, false);
  Window in = ready.front();
  for (const Window& w : ready) {
    in = in.merge(w);
  }
  for (size_t i = 1; i < acts.size(); ++i) {
    Loc b = input_loc(*acts[i]);
    std::vector<uint64_t> nb(exec.size(), share_of(acts[i]->bytes, exec.size()));
    for (const Window& w : deliver(b, exec, nb, 1.0, false)) {
      in = in.merge(w);
    }
  }
  const auto& mm = op.mm;
  Loc out;
  if (cfg_.dynamic_matmul == DynamicMatmul::digital) {
    uint64_t macs = checked_mul(checked_mul(mm.batch * mm.m, mm.n, "MACs"), mm.k, "MACs");
    for (size_t i = 0; i < exec.size(); ++i) {
      TileJob job;
      job.kind = TileJob::Kind::vector;
      job.rows = std::max<uint64_t>(1, mm.m * mm.batch);
      job.mix.mac = share_of(macs, exec.size());
      job.read_bytes = share_of(op.bytes_read(), exec.size());
      job.write_bytes = share_of(op.bytes_written(), exec.size());
      job.in = in;
      Window w = tile_job(exec[i], job);
      out.window = i == 0 ? w : out.window.merge(w);
    }
  } else {
    ArrayCost c = array_matmul(mm.k, mm.n, mm.m, mm.batch, mm.n, 0);
    uint64_t rounds = ceil_div(c.arrays, arrays_available(exec));
    if (!arrays_->is_sram()) {
      pool_cell_writes_ += c.cells_written;
    }
    stats_.dynamic_rounds += rounds;
    out.window = reserve_arrays(exec, in, c.write_ps + c.mvm_ps, rounds);
  }
  for (uint32_t t : exec) {
    out.parts.push_back(Part{t, share_of(op.bytes_written(), exec.size())});
  }
  out.bytes = op.bytes_written();
  for (const auto& o : op.outputs) {
    live_[o.id] = out;
  }
  finish_op(op, a.window.first, out.window.last, "compute");
}

}  // namespace cimsim::cim
