// The fabric's plumbing (tile jobs, transfers, off-chip accesses) and its weight, vector and
// embedding ops. Attention and the KV cache are in fabric_attention.cpp.
#include <algorithm>
#include <cmath>

#include "cimsim/cim/fabric.hpp"
#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

namespace {

uint64_t now_ps() {
  return static_cast<uint64_t>(sc_core::sc_time_stamp().value());
}

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

std::pair<uint32_t, uint32_t> Fabric::physical(uint64_t vpe) const {
  uint64_t p = vpe < mapping_.total_pes && (mapping_.fits || vpe < mapping_.weight_region)
                   ? vpe
                   : vpe % mapping_.weight_region;
  return {static_cast<uint32_t>(p / cfg_.tile.pes), static_cast<uint32_t>(p % cfg_.tile.pes)};
}

Window Fabric::tile_job(uint32_t tile, TileJob& job) {
  job.counts = &cur_;
  job_payload_.set_extension(&job);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  tile_socket_[static_cast<int>(tile)]->b_transport(job_payload_, delay);
  job_payload_.clear_extension(&job);
  return job.out;
}

Window Fabric::send(uint32_t from, uint32_t to, uint64_t bytes, const Window& ready) {
  if (from == to || bytes == 0) {
    return ready;
  }
  TileJob job;
  job.kind = TileJob::Kind::send;
  job.dst_router = topo_->router_of(to);
  job.bytes = bytes;
  job.in = ready;
  return tile_job(from, job);
}

std::vector<Window> Fabric::deliver(const Loc& src, const std::vector<uint32_t>& dst,
                                    const std::vector<uint64_t>& bytes, double fraction,
                                    bool broadcast) {
  // Gather at the first destination, then a path multicast through the destinations'
  // routers; each hop carries what the destinations still ahead need (the largest need for
  // a broadcast of the same data, which is how inputs reach a weight's strips).
  std::vector<Window> out(dst.size(), src.window);
  if (dst.empty()) {
    return out;
  }
  uint32_t hub = dst[0];
  Window at_hub = src.window;
  bool any = false;
  for (const Part& p : src.parts) {
    Window w =
        p.tile == hub ? src.window : send(p.tile, hub, scaled(p.bytes, fraction), src.window);
    at_hub = any ? at_hub.merge(w) : w;
    any = true;
  }
  std::vector<uint64_t> ahead(dst.size() + 1, 0);
  for (size_t i = dst.size(); i-- > 0;) {
    ahead[i] = broadcast ? std::max(bytes[i], ahead[i + 1]) : bytes[i] + ahead[i + 1];
  }
  uint32_t prev = hub;
  Window prev_w = at_hub;
  for (size_t i = 0; i < dst.size(); ++i) {
    if (dst[i] == hub) {
      out[i] = at_hub;
      continue;
    }
    if (topo_->router_of(dst[i]) != topo_->router_of(prev)) {
      prev_w = send(prev, dst[i], ahead[i], prev_w);
      prev = dst[i];
    }
    out[i] = prev_w;
  }
  return out;
}

void Fabric::hbm_stream(uint64_t bytes, bool write, uint64_t& addr) {
  // Transactions of at most 4 MiB keep the memory model's queues small.
  const uint64_t cap = mem_->capacity_bytes();
  const uint64_t chunk = std::max<uint64_t>(1, std::min<uint64_t>(cap / 2, uint64_t{4} << 20));
  while (bytes > 0) {
    uint64_t len = std::min(bytes, chunk);
    if (addr + len > cap) {
      addr = 0;
    }
    mem_payload_.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    mem_payload_.set_address(addr);
    mem_payload_.set_data_ptr(nullptr);
    mem_payload_.set_data_length(static_cast<unsigned int>(len));
    mem_payload_.set_streaming_width(static_cast<unsigned int>(len));
    mem_payload_.set_byte_enable_ptr(nullptr);
    mem_payload_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    mem_socket_->b_transport(mem_payload_, delay);
    if (delay > sc_core::SC_ZERO_TIME) {
      sc_core::wait(delay);
    }
    bytes -= len;
    addr += len;
  }
}

uint64_t Fabric::hbm(uint64_t bytes, bool write, uint64_t ready_ps, uint64_t address) {
  uint64_t now = now_ps();
  if (ready_ps > now) {
    sc_core::wait(sc_core::sc_time(static_cast<double>(ready_ps - now), sc_core::SC_PS));
  }
  if (bytes == 0) {
    return now_ps();
  }
  uint64_t addr = address % mem_->capacity_bytes();
  if (!options().fast_forward || bytes < 4 * kStreamSample) {
    hbm_stream(bytes, write, addr);
    return now_ps();
  }
  // Fast path for a long sequential stream: simulate a warm-up sample and a measured sample
  // in full, then charge the rest at the measured steady-state rate (time and every memory
  // action except refreshes, which the memory issues itself when it catches up). A test
  // shows the whole run within 1% of the full simulation; fast_forward=false simulates all.
  hbm_stream(kStreamSample, write, addr);
  stats::Counts before;
  before.reset(registry());
  mem_->add_counts(before);
  uint64_t t_before = now_ps();
  hbm_stream(kStreamSample, write, addr);
  stats::Counts after;
  after.reset(registry());
  mem_->add_counts(after);
  uint64_t rest = bytes - 2 * kStreamSample;
  double scale = static_cast<double>(rest) / static_cast<double>(kStreamSample);
  const stats::Counts sample = after - before;
  for (size_t i = 0; i < sample.actions.size(); ++i) {
    if (!hbm_scalable_[i]) continue;
    ff_counts_.actions[i] +=
        static_cast<uint64_t>(std::llround(static_cast<double>(sample.actions[i]) * scale));
  }
  (write ? ff_counts_.write_bytes : ff_counts_.read_bytes)[hbm_link_] += rest;
  ff_bytes_ += rest;
  op_fast_forwarded_ = true;
  auto extra =
      static_cast<uint64_t>(std::llround(static_cast<double>(now_ps() - t_before) * scale));
  sc_core::wait(sc_core::sc_time(static_cast<double>(extra), sc_core::SC_PS));
  return now_ps();
}

Window Fabric::global_buffer(uint32_t chip, uint64_t bytes, const Window& ready, bool write) {
  const auto& g = cfg_.chip.global_buffer;
  uint64_t busy = g.bandwidth_gbytes_s > 0
                      ? static_cast<uint64_t>(
                            std::ceil(static_cast<double>(bytes) * 1000.0 / g.bandwidth_gbytes_s))
                      : 0;
  uint64_t lat = ns_to_ps(g.latency_ns);
  uint64_t start = std::max(ready.first, gb_free_[chip]);
  gb_free_[chip] = start + busy;
  cur_.actions[ids_.gb_byte] += bytes;
  (write ? cur_.write_bytes : cur_.read_bytes)[ids_.global_buffer] += bytes;
  return Window{start + lat, std::max(ready.last, start + busy) + lat};
}

Fabric::Loc Fabric::input_loc(const trace::Tensor& t) const {
  auto it = live_.find(t.id);
  if (it != live_.end()) {
    return it->second;
  }
  // Not produced in this phase (the phase's input): at the first weight tile, when the
  // phase starts.
  Loc l;
  uint32_t home = mapping_.weights.empty() ? 0 : physical(0).first;
  l.parts.push_back(Part{home, t.bytes});
  l.bytes = t.bytes;
  l.window = Window::at(phase_start_ps_);
  return l;
}

std::vector<uint64_t> Fabric::ensure_programmed(uint32_t w, uint32_t r) {
  const auto& strips = mapping_.weights[w].replicas[r];
  std::vector<uint64_t> ready(strips.size(), 0);
  if (mapping_.fits) {
    return ready;
  }
  // Which strips are not where the op needs them? Load their weights from off-chip memory
  // in one transfer, then program them (each after the PEs finish what they hold now).
  uint64_t first = strip_ids_[w][r];
  std::vector<size_t> stale;
  uint64_t bytes = 0;
  for (size_t i = 0; i < strips.size(); ++i) {
    const Strip& s = strips[i];
    bool ok = true;
    for (uint64_t p = s.first_vpe; p < s.first_vpe + s.pes && ok; ++p) {
      ok = pe_owner_[p % mapping_.weight_region] == static_cast<int64_t>(first + i);
    }
    if (!ok) {
      stale.push_back(i);
      bytes += ceil_div(strips[i].cells * cfg_.crossbar.bits_per_cell, 8);
    }
  }
  if (stale.empty()) {
    return ready;
  }
  uint64_t t = hbm(bytes, false, now_ps(), 0);
  for (size_t i : stale) {
    const Strip& s = strips[i];
    auto [tile, pe] = physical(s.first_vpe);
    uint64_t b = ceil_div(s.cells * cfg_.crossbar.bits_per_cell, 8);
    Window arrive = send(gateway_tile(topo_->chip_of(tile)), tile, b, Window::at(t));
    TileJob job;
    job.kind = TileJob::Kind::program;
    job.strip = &s;
    job.pe0 = pe;
    job.in = arrive;
    job.bytes = b;
    ready[i] = tile_job(tile, job).last;
    for (uint64_t p = s.first_vpe; p < s.first_vpe + s.pes; ++p) {
      pe_owner_[p % mapping_.weight_region] = static_cast<int64_t>(first + i);
      ++pe_programs_[p % mapping_.weight_region];
    }
    ++stats_.reprogrammed_strips;
    stats_.reprogrammed_cells += s.cells;
    stats_.reprogrammed_bytes += b;
  }
  return ready;
}

void Fabric::op_matmul(const trace::Op& op) {
  const trace::Tensor* wt = op.weight();
  const trace::Tensor* x = nullptr;
  for (const auto& t : op.inputs) {
    if (t.kind != trace::TensorKind::weight && x == nullptr) {
      x = &t;
    }
  }
  auto wi = wt != nullptr ? mapping_.index.find(wt->id) : mapping_.index.end();
  uint64_t m = checked_mul(op.mm.m, op.mm.batch, "matmul rows");
  if (wi == mapping_.index.end() || x == nullptr || op.outputs.empty()) {
    digital_matmul(op, checked_mul(checked_mul(m, op.mm.n, "MACs"), op.mm.k, "MACs"));
    return;
  }
  const WeightPlacement& wp = mapping_.weights[wi->second];
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
      where.push_back(physical(s.first_vpe));
      tiles.push_back(where.back().first);
      need.push_back(bytes_of(m_r * (s.k1 - s.k0), in_bits));
    }
    std::vector<Window> arrive =
        deliver(xin, tiles, need, static_cast<double>(m_r) / static_cast<double>(m), true);
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
      Window w = tile_job(tiles[i], job);
      uint64_t out_bytes = bytes_of(m_r * (s.n1 - s.n0), out_bits);
      if (s.row_split) {
        auto it = reducer.find(s.n0);
        if (it == reducer.end()) {
          reducer.emplace(s.n0, std::make_pair(tiles[i], w));
          out.parts.push_back(Part{tiles[i], out_bytes});
        } else {
          Window arrived =
              send(tiles[i], it->second.first, m_r * (s.n1 - s.n0) * cfg_.partial_sum_bytes, w);
          TileJob add;
          add.kind = TileJob::Kind::vector;
          add.rows = m_r;
          add.mix.add = m_r * (s.n1 - s.n0);
          add.in = arrived.merge(it->second.second);
          it->second.second = tile_job(it->second.first, add);
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
    cur_.actions[ids_.tile_shift_add] += m * op.mm.n;
  }
  out.bytes = op.outputs[0].bytes;
  live_[op.outputs[0].id] = out;
  finish_op(op, xin.window.first, out.window.last, "compute");
}

void Fabric::digital_matmul(const trace::Op& op, uint64_t macs) {
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
  uint64_t t = hbm(wbytes, false, xin.window.first, 0);
  Loc out;
  double n = static_cast<double>(xin.parts.size());
  bool have = false;
  for (const auto& p : xin.parts) {
    Window w =
        send(gateway_tile(topo_->chip_of(p.tile)), p.tile, scaled(wbytes, 1.0 / n), Window::at(t));
    TileJob job;
    job.kind = TileJob::Kind::vector;
    job.rows = std::max<uint64_t>(1, op.mm.m * op.mm.batch);
    job.mix.mac = scaled(macs, 1.0 / n);
    job.read_bytes = scaled(op.bytes_read(), 1.0 / n);
    job.write_bytes = scaled(op.bytes_written(), 1.0 / n);
    job.in = w.merge(xin.window);
    Window done = tile_job(p.tile, job);
    out.parts.push_back(Part{p.tile, scaled(op.bytes_written(), 1.0 / n)});
    out.window = have ? out.window.merge(done) : done;
    have = true;
  }
  for (const auto& o : op.outputs) {
    live_[o.id] = out;
  }
  finish_op(op, xin.window.first, out.window.last, "memory");
}

void Fabric::op_vector(const trace::Op& op) {
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
    std::vector<Window> got = deliver(y, tiles, need, 1.0, false);
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
    job.in = ready[i];
    done[i] = tile_job(tiles[i], job);
  }
  if (row_reduction(op.kind) && tiles.size() > 1) {
    // Row statistics of a row spread over tiles: partial results meet at the first tile and
    // go back (8 bytes per row each way).
    Loc partial;
    partial.window = done[0];
    for (size_t i = 0; i < tiles.size(); ++i) {
      Window w = send(tiles[i], tiles[0], 8 * rows, done[i]);
      partial.window = partial.window.merge(w);
    }
    partial.parts.push_back(Part{tiles[0], 8 * rows});
    std::vector<uint64_t> need(tiles.size(), 8 * rows);
    done = deliver(partial, tiles, need, 1.0, true);
  }
  for (size_t i = 0; i < tiles.size(); ++i) {
    out.parts.push_back(Part{tiles[i], scaled(out_bytes, share[i])});
    out.window = have ? out.window.merge(done[i]) : done[i];
    have = true;
  }
  out.bytes = out_bytes;
  for (const auto& o : op.outputs) {
    live_[o.id] = out;
  }
  finish_op(op, x.window.first, out.window.last, "compute");
}

void Fabric::op_embedding(const trace::Op& op) {
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
  uint64_t addr = embedding_address_.empty() ? 0 : embedding_address_.front();
  uint64_t t = hbm(gather, false, start, addr);
  uint32_t home = mapping_.weights.empty() ? 0 : physical(0).first;
  Window w = send(gateway_tile(topo_->chip_of(home)), home, gather, Window::at(t));
  TileJob job;
  job.kind = TileJob::Kind::vector;
  job.rows = std::max<uint64_t>(1, op.rows.rows);
  job.mix.add = tables > 1 ? (tables - 1) * op.rows.rows * op.rows.cols : 0;
  job.read_bytes = gather;
  job.write_bytes = out_bytes;
  job.in = w;
  Loc out;
  out.window = tile_job(home, job);
  out.parts.push_back(Part{home, out_bytes});
  out.bytes = out_bytes;
  for (const auto& o : op.outputs) {
    live_[o.id] = out;
  }
  finish_op(op, start, out.window.last, "memory");
}

}  // namespace cimsim::cim
