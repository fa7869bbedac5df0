// Op dispatch (fabric_ops.hpp): programming, weight matmuls, vector ops, embeddings and the
// run loop. Attention and the KV cache are in fabric_attention.cpp.
#include "cimsim/cim/fabric_ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"

namespace cimsim::cim {

namespace {

uint64_t bytes_of(uint64_t elements, uint32_t bits) {
  return ceil_div(checked_mul(elements, bits, "tensor bits"), 8);
}

uint64_t scaled(uint64_t n, double share) {
  return static_cast<uint64_t>(std::ceil(static_cast<double>(n) * share));
}

OpMix scaled(const OpMix& m, double s) {
  return OpMix{scaled(m.add, s), scaled(m.mul, s), scaled(m.mac, s),
               scaled(m.exp, s), scaled(m.div, s), scaled(m.act, s)};
}

// Vector-unit operations of the mixture-of-experts ops. moe_route, per token of E experts:
// softmax (max and sum, exp, scale), k passes of compares for the top k, the k weights summed
// and scaled by the reciprocal of their sum. moe_combine, per routed element: scale, add.
OpMix moe_mix(const trace::Op& op, uint64_t rows, uint64_t e) {
  OpMix m;
  if (op.kind == trace::OpKind::moe_combine) {
    m.mul = e;
    m.add = e;
    return m;
  }
  const uint64_t k =
      op.outputs.empty() || op.outputs[0].shape.empty() ? 1 : op.outputs[0].shape.back();
  m.add = (2 + k) * e + k * rows;
  m.exp = e;
  m.mul = e + k * rows;
  m.div = 2 * rows;
  return m;
}

// Vector-unit operations of a row-wise or elementwise op (docs/cim.md lists them).
OpMix mix_for(const trace::Op& op) {
  uint64_t rows = op.rows.rows, e = checked_mul(op.rows.rows, op.rows.cols, "elements");
  OpMix m;
  switch (op.kind) {
    case trace::OpKind::softmax:
      m.add = 2 * e;  // running max, sum
      m.exp = e;
      m.mul = e;  // times the reciprocal of the sum
      m.div = rows;
      break;
    case trace::OpKind::layernorm:
      m.add = 4 * e;  // mean, variance, subtract, beta
      m.mul = 3 * e;  // square, normalise, gamma
      m.div = rows;   // reciprocal square root
      break;
    case trace::OpKind::rmsnorm:
      m.add = e;
      m.mul = 3 * e;
      m.div = rows;
      break;
    case trace::OpKind::gelu:
      m.act = e;  // x * sigmoid(1.702 x)
      m.mul = 2 * e;
      break;
    case trace::OpKind::silu:
      m.act = e;
      m.mul = e;
      break;
    case trace::OpKind::relu:
      m.add = e;
      break;
    case trace::OpKind::mul:
      m.mul = e;
      break;
    case trace::OpKind::rope:
      m.mul = 2 * e;
      m.add = e;
      break;
    case trace::OpKind::moe_route:
    case trace::OpKind::moe_combine:
      m = moe_mix(op, rows, e);
      break;
    default:  // add and anything elementwise
      m.add = e;
      break;
  }
  return m;
}

bool row_reduction(trace::OpKind k) {
  return k == trace::OpKind::softmax || k == trace::OpKind::layernorm ||
         k == trace::OpKind::rmsnorm || k == trace::OpKind::moe_route;
}

}  // namespace

FabricOps::FabricOps(const CimConfig& config, const FabricPlan& plan, KvPlacement& kv, FabricIo& io,
                     DynamicPolicy& policy, OpRecorder& recorder, ConfigWhere where)
    : cfg_(config),
      plan_(plan),
      kv_(kv),
      io_(io),
      policy_(policy),
      recorder_(recorder),
      where_(std::move(where)),
      buffers_(config, kv.global_buffer_free) {
  pe_owner_.assign(plan.mapping.total_pes, -1);
  pe_programs_.assign(plan.mapping.total_pes, 0);
}

FabricOpStats FabricOps::stats() const {
  FabricOpStats s = stats_;
  uint64_t setup_max = 0;
  for (uint32_t n : pe_programs_) {
    setup_max = std::max<uint64_t>(setup_max, n);
  }
  s.max_programs_per_pe = setup_max;
  return s;
}

void FabricOps::run(const trace::Op& op) {
  if (!have_phase_ || op.phase != phase_) {
    // A phase needs the previous phase's token: it starts when that phase has ended.
    phase_start_ps_ = phase_end_ps_;
    phase_ = op.phase;
    have_phase_ = true;
    live_.clear();
  }
  switch (op.kind) {
    case trace::OpKind::matmul:
      op_matmul(op);
      break;
    case trace::OpKind::embedding:
      op_embedding(op);
      break;
    case trace::OpKind::attention:
      op_attention(op);
      break;
    case trace::OpKind::batched_matmul:
      op_batched_matmul(op);
      break;
    case trace::OpKind::kv_write:
      op_kv_write(op);
      break;
    case trace::OpKind::kv_read:
      op_kv_read(op);
      break;
    default:
      op_vector(op);
      break;
  }
}

void FabricOps::finish_op(const trace::Op& op, uint64_t start_ps, uint64_t end_ps,
                          const std::string& bound) {
  report::OpCost cost;
  start_ps = std::max(start_ps, phase_start_ps_);
  end_ps = std::max(end_ps, start_ps);
  cost.start_ps = start_ps - t0_ps_;
  cost.end_ps = end_ps - t0_ps_;
  cost.bound = bound;
  cost.counts = io_.take_op_counts(cost.fast_forwarded);
  stats_.fast_forwarded_ops += cost.fast_forwarded ? 1 : 0;
  phase_end_ps_ = std::max(phase_end_ps_, end_ps);
  if (std::getenv("CIMSIM_DEBUG_OPS") != nullptr) {
    std::fprintf(stderr, "%-10s %-16s %12.3f %12.3f us\n", trace::phase_label(op.phase).c_str(),
                 op.name.c_str(), (start_ps - t0_ps_) * 1e-6, (end_ps - t0_ps_) * 1e-6);
  }
  recorder_.record_op(op, cost);
}

Window FabricOps::hold(const trace::Op& op, uint32_t tile, uint64_t need, uint64_t times,
                       const Window& ready) {
  const uint64_t excess = buffers_.excess(need);
  if (excess == 0) {
    return ready;
  }
  if (cfg_.activation_overflow == ActivationOverflow::error) {
    throw InputError(
        where_("machine.tile.buffer.capacity_bytes"),
        "op " + op.name + " needs " + std::to_string(need) + " bytes at once in tile " +
            std::to_string(tile) + "'s activation reserve, which holds " +
            std::to_string(buffers_.reserve_bytes()) + " (capacity_bytes x " +
            "activation_reserve_fraction); machine.activation_overflow is \"error\" (set it "
            "to \"spill\", or raise the capacity or the fraction)");
  }
  // Written out and read back: to the chip's global buffer when it has room, else to the
  // chip group's HBM stack (past the data allocated there).
  const uint64_t bytes = checked_mul(excess, std::max<uint64_t>(1, times), "spilled bytes");
  const uint32_t chip = io_.topology().chip_of(tile);
  if (buffers_.global_buffer_holds(chip, bytes)) {
    buffers_.spilled(bytes, true);
    Window w = io_.global_buffer(chip, bytes, ready, true);
    return io_.global_buffer(chip, bytes, w, false);
  }
  buffers_.spilled(bytes, false);
  const uint32_t stack = io_.stack_of_tile(tile);
  const uint64_t at = plan_.stack_used.at(stack);
  uint64_t t = io_.hbm(bytes, true, ready.last, stack, at);
  return Window::at(io_.hbm(bytes, false, t, stack, at));
}

void FabricOps::publish(const trace::Op& op, const Loc& out, bool activations_only) {
  for (const auto& o : op.outputs) {
    if (!activations_only || o.kind == trace::TensorKind::activation) {
      live_[o.id] = out;
    }
  }
}

Loc FabricOps::input_loc(const trace::Tensor& t) const {
  auto it = live_.find(t.id);
  if (it != live_.end()) {
    return it->second;
  }
  // Not produced in this phase (the phase's input): at the first weight tile, when the
  // phase starts.
  Loc l;
  uint32_t home = plan_.mapping.weights.empty() ? 0 : plan_.physical(0).first;
  l.parts.push_back(Part{home, t.bytes});
  l.bytes = t.bytes;
  l.window = Window::at(phase_start_ps_);
  return l;
}

void FabricOps::op_matmul(const trace::Op& op) {
  const trace::Tensor* wt = op.weight();
  const trace::Tensor* x = nullptr;
  for (const auto& t : op.inputs) {
    if (t.kind != trace::TensorKind::weight && x == nullptr) {
      x = &t;
    }
  }
  auto wi = wt != nullptr ? plan_.mapping.index.find(wt->id) : plan_.mapping.index.end();
  uint64_t m = checked_mul(op.mm.m, op.mm.batch, "matmul rows");
  if (wi == plan_.mapping.index.end() || x == nullptr || op.outputs.empty()) {
    digital_matmul(op, checked_mul(checked_mul(m, op.mm.n, "MACs"), op.mm.k, "MACs"));
    return;
  }
  const WeightPlacement& wp = plan_.mapping.weights[wi->second];
  Loc xin = input_loc(*x);
  xin.window = xin.window.after(phase_start_ps_);
  const uint32_t in_bits = trace::dtype_bits(x->dtype);
  const uint32_t out_bits = trace::dtype_bits(op.outputs[0].dtype);
  const uint64_t replicas = wp.replicas.size();
  bool bias = false;
  for (const auto& t : op.inputs) {
    bias = bias || (t.kind == trace::TensorKind::weight && t.shape.size() == 1);
  }

  Loc out;
  bool have_out = false;
  for (uint32_t r = 0; r < replicas; ++r) {
    uint64_t m_r = m / replicas + (r < m % replicas ? 1 : 0);
    if (m_r == 0) {
      continue;
    }
    const auto& strips = wp.replicas[r];
    std::vector<uint64_t> programmed = ensure_programmed(static_cast<uint32_t>(wi->second), r);
    std::vector<uint32_t> tiles;
    std::vector<uint64_t> need;
    std::vector<std::pair<uint32_t, uint32_t>> where;
    for (const auto& s : strips) {
      where.push_back(plan_.physical(s.first_vpe));
      tiles.push_back(where.back().first);
      need.push_back(bytes_of(m_r * (s.k1 - s.k0), in_bits));
    }
    std::vector<Window> arrive =
        io_.deliver(xin, tiles, need, static_cast<double>(m_r) / static_cast<double>(m), true);
    // Row-split strips: partial sums of one column range meet at its first strip's tile.
    std::unordered_map<uint64_t, std::pair<uint32_t, Window>> reducer;
    for (size_t i = 0; i < strips.size(); ++i) {
      const Strip& s = strips[i];
      TileJob job;
      job.kind = TileJob::Kind::mvm;
      job.strip = &s;
      job.pe0 = where[i].second;
      job.vectors = m_r;
      job.in = arrive[i].after(programmed[i]);
      job.in_bytes_per_vector = bytes_of(s.k1 - s.k0, in_bits);
      job.out_bytes_per_vector =
          s.row_split ? (s.n1 - s.n0) * cfg_.partial_sum_bytes : bytes_of(s.n1 - s.n0, out_bits);
      job.row_blocks = ceil_div(s.k1 - s.k0, cfg_.crossbar.rows);
      job.offset_correction = cfg_.signed_weights == SignedWeights::offset;
      // Rows stream through the strip: one row in and one row out at a time.
      job.in = hold(op, tiles[i], job.in_bytes_per_vector + job.out_bytes_per_vector, m_r, job.in);
      Window w = io_.tile_job(tiles[i], job);
      uint64_t out_bytes = bytes_of(m_r * (s.n1 - s.n0), out_bits);
      if (s.row_split) {
        auto it = reducer.find(s.n0);
        if (it == reducer.end()) {
          reducer.emplace(s.n0, std::make_pair(tiles[i], w));
          out.parts.push_back(Part{tiles[i], out_bytes});
        } else {
          Window arrived =
              io_.send(tiles[i], it->second.first, m_r * (s.n1 - s.n0) * cfg_.partial_sum_bytes, w);
          TileJob add;
          add.kind = TileJob::Kind::vector;
          add.rows = m_r;
          add.mix.add = m_r * (s.n1 - s.n0);
          // The reducer holds a row of its own partial sums and one of the incoming.
          add.in = hold(op, it->second.first, 2 * (s.n1 - s.n0) * cfg_.partial_sum_bytes, m_r,
                        arrived.merge(it->second.second));
          it->second.second = io_.tile_job(it->second.first, add);
          w = it->second.second;
        }
      } else {
        out.parts.push_back(Part{tiles[i], out_bytes});
      }
      out.window = have_out ? out.window.merge(w) : w;
      have_out = true;
    }
  }
  if (bias) {
    io_.counts().actions[io_.ids().tile_shift_add] += m * op.mm.n;
  }
  out.bytes = op.outputs[0].bytes;
  live_[op.outputs[0].id] = out;
  finish_op(op, xin.window.first, out.window.last, "compute");
}

void FabricOps::digital_matmul(const trace::Op& op, uint64_t macs) {
  // A weight the mapper did not place (used in a later phase only, or transposed): streamed
  // from off-chip memory through the vector units of the input's tiles.
  ++stats_.digital_fallback_ops;
  Loc xin;
  for (const auto& t : op.inputs) {
    if (t.kind != trace::TensorKind::weight && xin.parts.empty()) {
      xin = input_loc(t);
    }
  }
  if (xin.parts.empty()) {
    xin.parts.push_back(Part{0, 0});
  }
  uint64_t wbytes = 0;
  for (const auto& t : op.inputs) {
    wbytes += t.kind == trace::TensorKind::weight ? t.bytes : 0;
  }
  uint64_t t =
      io_.hbm(wbytes, false, xin.window.first, io_.stack_of_tile(xin.parts.front().tile), 0);
  Loc out;
  double n = static_cast<double>(xin.parts.size());
  bool have = false;
  for (const auto& p : xin.parts) {
    Window w = io_.send(io_.gateway_tile(io_.topology().chip_of(p.tile)), p.tile,
                        scaled(wbytes, 1.0 / n), Window::at(t));
    TileJob job;
    job.kind = TileJob::Kind::vector;
    job.rows = std::max<uint64_t>(1, op.mm.m * op.mm.batch);
    job.mix.mac = scaled(macs, 1.0 / n);
    job.read_bytes = scaled(op.bytes_read(), 1.0 / n);
    job.write_bytes = scaled(op.bytes_written(), 1.0 / n);
    job.in = w.merge(xin.window);
    Window done = io_.tile_job(p.tile, job);
    out.parts.push_back(Part{p.tile, scaled(op.bytes_written(), 1.0 / n)});
    out.window = have ? out.window.merge(done) : done;
    have = true;
  }
  publish(op, out, false);
  finish_op(op, xin.window.first, out.window.last, "memory");
}

void FabricOps::op_vector(const trace::Op& op) {
  std::vector<const trace::Tensor*> acts;
  for (const auto& t : op.inputs) {
    if (t.kind != trace::TensorKind::weight) {
      acts.push_back(&t);
    }
  }
  // Run where the most recently produced input lies (a residual add runs beside the matmul
  // that just produced its second operand, not where the residual stream began).
  for (size_t a = 1; a < acts.size(); ++a) {
    if (input_loc(*acts[a]).window.last > input_loc(*acts[0]).window.last) {
      std::swap(acts[0], acts[a]);
    }
  }
  Loc x = acts.empty() ? input_loc(op.outputs.empty() ? trace::Tensor{} : op.outputs[0])
                       : input_loc(*acts[0]);
  x.window = x.window.after(phase_start_ps_);
  uint64_t total = 0;
  for (const auto& p : x.parts) {
    total += p.bytes;
  }
  std::vector<uint32_t> tiles;
  std::vector<double> share;
  for (const auto& p : x.parts) {
    tiles.push_back(p.tile);
    share.push_back(total > 0 ? static_cast<double>(p.bytes) / static_cast<double>(total)
                              : 1.0 / static_cast<double>(x.parts.size()));
  }
  std::vector<Window> ready(tiles.size(), x.window);
  for (size_t a = 1; a < acts.size(); ++a) {
    Loc y = input_loc(*acts[a]);
    std::vector<uint64_t> need;
    need.reserve(share.size());
    for (double s : share) {
      need.push_back(scaled(acts[a]->bytes, s));
    }
    std::vector<Window> got = io_.deliver(y, tiles, need, 1.0, false);
    for (size_t i = 0; i < tiles.size(); ++i) {
      ready[i] = ready[i].merge(got[i]);
    }
  }
  OpMix mix = mix_for(op);
  Loc out;
  uint64_t out_bytes = op.bytes_written();
  uint64_t rows = std::max<uint64_t>(1, op.rows.rows);
  bool have = false;
  std::vector<Window> done(tiles.size());
  for (size_t i = 0; i < tiles.size(); ++i) {
    TileJob job;
    job.kind = TileJob::Kind::vector;
    job.rows = rows;
    job.mix = scaled(mix, share[i]);
    job.read_bytes = scaled(op.bytes_read(), share[i]);
    job.write_bytes = scaled(out_bytes, share[i]);
    job.in = hold(op, tiles[i], ceil_div(job.read_bytes + job.write_bytes, rows), rows, ready[i]);
    done[i] = io_.tile_job(tiles[i], job);
  }
  if (row_reduction(op.kind) && tiles.size() > 1) {
    // Row statistics of a row spread over tiles: partial results meet at the first tile and
    // go back (8 bytes per row each way).
    Loc partial;
    partial.window = done[0];
    for (size_t i = 0; i < tiles.size(); ++i) {
      Window w = io_.send(tiles[i], tiles[0], 8 * rows, done[i]);
      partial.window = partial.window.merge(w);
    }
    partial.parts.push_back(Part{tiles[0], 8 * rows});
    std::vector<uint64_t> need(tiles.size(), 8 * rows);
    done = io_.deliver(partial, tiles, need, 1.0, true);
  }
  for (size_t i = 0; i < tiles.size(); ++i) {
    out.parts.push_back(Part{tiles[i], scaled(out_bytes, share[i])});
    out.window = have ? out.window.merge(done[i]) : done[i];
    have = true;
  }
  out.bytes = out_bytes;
  publish(op, out, false);
  finish_op(op, x.window.first, out.window.last, "compute");
}

void FabricOps::op_embedding(const trace::Op& op) {
  // Rows of the embedding tables (token and position) gathered from off-chip memory into
  // the buffer of the tile that holds the first weight.
  uint64_t gather = 0, tables = 0;
  for (const auto& t : op.inputs) {
    if (t.kind == trace::TensorKind::weight) {
      gather += t.bytes;
      ++tables;
    }
  }
  uint64_t out_bytes = op.bytes_written();
  if (gather == 0) {
    gather = out_bytes;
  }
  uint64_t start = phase_start_ps_;
  uint64_t addr = plan_.embedding_address.empty() ? 0 : plan_.embedding_address.front();
  uint64_t t = io_.hbm(gather, false, start, 0, addr);
  uint32_t home = plan_.mapping.weights.empty() ? 0 : plan_.physical(0).first;
  Window w = io_.send(io_.gateway_tile(io_.topology().chip_of(home)), home, gather, Window::at(t));
  TileJob job;
  job.kind = TileJob::Kind::vector;
  job.rows = std::max<uint64_t>(1, op.rows.rows);
  job.mix.add = tables > 1 ? (tables - 1) * op.rows.rows * op.rows.cols : 0;
  job.read_bytes = gather;
  job.write_bytes = out_bytes;
  job.in = w;
  Loc out;
  out.window = io_.tile_job(home, job);
  out.parts.push_back(Part{home, out_bytes});
  out.bytes = out_bytes;
  publish(op, out, false);
  finish_op(op, start, out.window.last, "memory");
}

}  // namespace cimsim::cim
