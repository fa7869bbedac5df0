#include "cimsim/cim/tile.hpp"

#include <algorithm>
#include <cmath>

#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

OpMix& OpMix::operator+=(const OpMix& o) {
  add += o.add;
  mul += o.mul;
  mac += o.mac;
  exp += o.exp;
  div += o.div;
  act += o.act;
  return *this;
}

Tile::Tile(const sc_core::sc_module_name& name, const TileContext& ctx)
    : sc_core::sc_module(name),
      socket("socket"),
      noc("noc"),
      ctx_(ctx),
      packet_bytes_(std::max<uint64_t>(1, ctx.config->router.flit_bits / 8)),
      inbox_packets_per_pe_(
          static_cast<uint64_t>(static_cast<double>(ctx.config->tile.buffer.capacity_bytes) *
                                ctx.config->activation_reserve_fraction) /
          packet_bytes_ / std::max<uint32_t>(1, ctx.config->tile.pes)) {
  socket.register_b_transport(this, &Tile::b_transport);
  pe_free_.assign(ctx.config->tile.pes, 0);
}

uint64_t Tile::pes_free(uint32_t pe0, uint32_t pes) const {
  uint64_t t = 0;
  for (uint32_t i = pe0; i < pe0 + pes && i < pe_free_.size(); ++i) {
    t = std::max(t, pe_free_[i]);
  }
  return t;
}

void Tile::hold_pes(uint32_t pe0, uint32_t pes, uint64_t until) {
  for (uint32_t i = pe0; i < pe0 + pes && i < pe_free_.size(); ++i) {
    pe_free_[i] = std::max(pe_free_[i], until);
  }
}

FlowStats Tile::flow_stats() const {
  FlowStats f;
  for (const auto& [pes, buffer] : inbox_) {
    f += buffer.stats();
  }
  return f;
}

uint64_t Tile::accesses(uint64_t bytes, uint32_t width_bits) const {
  return ceil_div(checked_mul(bytes, 8, "bits"), width_bits);
}

Window Tile::stream(uint64_t& free, const Window& in, uint64_t fill, uint64_t per_item,
                    uint64_t items) const {
  StreamTiming t = stream_closed_form(free, in, fill, per_item, items);
  free = t.busy_until_ps;
  return t.out;
}

uint64_t Tile::port_cycles(uint64_t accesses) const {
  const StorageConfig& b = ctx_.config->tile.buffer;
  return ceil_div(accesses, std::min(b.ports, b.banks));
}

Window Tile::book_port(const Window& in, uint64_t accesses, uint64_t items) {
  if (accesses == 0) {
    return Window{};  // nothing on the port: no wait for it, no time booked on it
  }
  items = std::max<uint64_t>(1, items);
  const uint64_t cyc = ctx_.cycle_ps;
  return stream_port(buf_free_, in, uint64_t{ctx_.config->tile.buffer_latency_cycles} * cyc,
                     ceil_div(port_cycles(accesses) * cyc, items), items);
}

Window Tile::stream_pes(uint32_t pe0, uint32_t pes, const Window& in, uint64_t fill,
                        uint64_t per_item, uint64_t items) {
  uint64_t free = pes_free(pe0, pes);
  Window w = stream(free, in, fill, per_item, items);
  hold_pes(pe0, pes, free);
  return w;
}

void Tile::b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time&) {
  TileJob* job = nullptr;
  payload.get_extension(job);
  switch (job->kind) {
    case TileJob::Kind::mvm:
      do_mvm(*job);
      break;
    case TileJob::Kind::program:
      do_program(*job);
      break;
    case TileJob::Kind::vector:
      do_vector(*job);
      break;
    case TileJob::Kind::buffer:
      do_buffer(*job);
      break;
    case TileJob::Kind::send:
      do_send(*job);
      break;
    case TileJob::Kind::reserve:
      do_reserve(*job);
      break;
  }
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

void Tile::do_mvm(TileJob& job) {
  const CimConfig& c = *ctx_.config;
  const Actions& ids = *ctx_.ids;
  const Strip& s = *job.strip;
  auto& n = job.counts->actions;
  const uint64_t cyc = ctx_.cycle_ps;
  // Per input vector: the input crosses buffer -> bus -> input registers (broadcast to the
  // strip's PEs), the outputs go back over the bus into the buffer.
  uint64_t buf_in = accesses(job.in_bytes_per_vector, c.tile.buffer.width_bits);
  uint64_t buf_out = accesses(job.out_bytes_per_vector, c.tile.buffer.width_bits);
  uint64_t bus = accesses(job.in_bytes_per_vector, c.tile.bus.width_bits) +
                 accesses(job.out_bytes_per_vector, c.tile.bus.width_bits);
  uint64_t per_vector =
      std::max({s.timing.per_vector_ps(), bus * cyc, port_cycles(buf_in + buf_out) * cyc});
  uint64_t fill = s.timing.fill_ps + uint64_t{c.tile.buffer_latency_cycles} * cyc;
  if (job.bounded_input) {
    FlowStream fs;
    fs.arrive = job.in;
    fs.rows = job.vectors;
    fs.packets_per_row = ceil_div(job.in_bytes_per_vector, packet_bytes_);
    fs.credit_loop_ps = job.credit_loop_ps;
    auto it = inbox_.find({job.pe0, s.pes});
    if (it == inbox_.end()) {
      it = inbox_
               .emplace(std::make_pair(job.pe0, s.pes), CreditBuffer(inbox_packets_per_pe_ * s.pes))
               .first;
    }
    FlowResult r = it->second.stream(fs, FlowConsumer{pes_free(job.pe0, s.pes), fill, per_vector});
    hold_pes(job.pe0, s.pes, r.timing.busy_until_ps);
    job.out = r.timing.out;
  } else {
    job.out = stream_pes(job.pe0, s.pes, job.in, fill, per_vector, job.vectors);
  }
  // Its input reads and output writes share the tile buffer's port with the tile's other
  // strips, vector work and buffer transfers: a busy port holds the strip's last vector.
  const Window port = book_port(job.in, job.vectors * (buf_in + buf_out), job.vectors);
  if (port.last > job.out.last) {
    hold_pes(job.pe0, s.pes, port.last);
  }
  job.out = job.out.merge(port);

  const uint64_t v = job.vectors;
  MvmCounts mc = s.per_vector.scaled(v);
  add_mvm_actions(ids, n, mc);
  // Every DAC conversion takes dac.bits of its row's input from the input register.
  n[ids.in_reg] +=
      ceil_div(checked_mul(mc.dac_conversions, c.dac.bits, "bits"), c.pe.input_register.width_bits);
  // Every column result is accumulated into the output register as a 16-bit partial sum.
  n[ids.out_reg] += ceil_div(checked_mul(mc.adc_conversions + mc.adder_tree, 16, "bits"),
                             c.pe.output_register.width_bits);
  uint64_t features = s.n1 - s.n0;
  uint64_t adds = (job.row_blocks > 1 ? (job.row_blocks - 1) * features : 0) +
                  (job.offset_correction ? features : 0);
  n[ids.tile_shift_add] += v * adds;
  n[ids.buf_read] += v * buf_in;
  n[ids.buf_write] += v * buf_out;
  n[ids.bus] += v * bus;
  job.counts->read_bytes[ids.buffer] += v * job.in_bytes_per_vector;
  job.counts->write_bytes[ids.buffer] += v * job.out_bytes_per_vector;
}

void Tile::do_program(TileJob& job) {
  const CimConfig& c = *ctx_.config;
  const Actions& ids = *ctx_.ids;
  const Strip& s = *job.strip;
  const auto& p = c.crossbar.program;
  const ProgramCost k = program_cost(c);
  // Row by row with write-verify; a PE programs parallel_crossbars_per_pe crossbars at once,
  // the PEs of a tile (and all tiles) in parallel.
  double row_ns = k.row_ns;
  uint64_t rounds = ceil_div(s.max_xbars_per_pe, p.parallel_crossbars_per_pe);
  uint64_t time = ns_to_ps(row_ns * static_cast<double>(rounds) * s.max_rows);
  uint64_t buf = accesses(job.bytes, c.tile.buffer.width_bits);
  job.out = stream_pes(job.pe0, s.pes, job.in, buf * ctx_.cycle_ps, time, 1);
  auto& n = job.counts->actions;
  n[ids.xbar_program_cell] +=
      static_cast<uint64_t>(std::llround(static_cast<double>(s.cells) * k.cell_pulses));
  if (p.verify_ns > 0) {
    uint64_t rows = s.crossbars * s.max_rows;
    n[ids.xbar_verify_row] +=
        static_cast<uint64_t>(std::llround(static_cast<double>(rows) * k.row_iterations));
  }
  n[ids.buf_write] += buf;
  n[ids.buf_read] += buf;
  job.counts->write_bytes[ids.buffer] += job.bytes;
  job.counts->read_bytes[ids.buffer] += job.bytes;
}

void Tile::do_vector(TileJob& job) {
  const CimConfig& c = *ctx_.config;
  const Actions& ids = *ctx_.ids;
  const auto& vu = c.tile.vector_unit;
  const OpMix& m = job.mix;
  uint64_t act_units = c.tile.activation_units.count;
  // Without activation units a sigmoid is 1 / (1 + exp(-x)) on the vector unit.
  uint64_t sig = act_units == 0 ? m.act : 0;
  uint64_t simple = m.add + m.mul + m.mac + sig;
  uint64_t hard = m.exp + m.div + 2 * sig;
  uint64_t cycles = ceil_div(simple + hard * vu.transcendental_cycles, vu.lanes);
  if (act_units > 0) {
    cycles = std::max(cycles, ceil_div(m.act, act_units));
  }
  uint64_t buf = accesses(job.read_bytes, c.tile.buffer.width_bits) +
                 accesses(job.write_bytes, c.tile.buffer.width_bits);
  uint64_t rows = std::max<uint64_t>(1, job.rows);
  uint64_t per_row = ceil_div(std::max(cycles, port_cycles(buf)) * ctx_.cycle_ps, rows);
  job.out = stream_shared(vu_free_, job.in, uint64_t{c.tile.buffer_latency_cycles} * ctx_.cycle_ps,
                          per_row, rows)
                .merge(book_port(job.in, buf, rows));
  auto& n = job.counts->actions;
  n[ids.vu_add] += m.add + sig;
  n[ids.vu_mul] += m.mul;
  n[ids.vu_mac] += m.mac;
  n[ids.vu_exp] += m.exp + sig;
  n[ids.vu_div] += m.div + sig;
  if (act_units > 0) {
    n[ids.act_unit] += m.act;
  }
  n[ids.buf_read] += accesses(job.read_bytes, c.tile.buffer.width_bits);
  n[ids.buf_write] += accesses(job.write_bytes, c.tile.buffer.width_bits);
  job.counts->read_bytes[ids.buffer] += job.read_bytes;
  job.counts->write_bytes[ids.buffer] += job.write_bytes;
}

void Tile::do_buffer(TileJob& job) {
  const CimConfig& c = *ctx_.config;
  const Actions& ids = *ctx_.ids;
  uint64_t r = accesses(job.read_bytes, c.tile.buffer.width_bits);
  uint64_t w = accesses(job.write_bytes, c.tile.buffer.width_bits);
  // Streamed row by row through the port; a transfer of nothing passes its window through.
  const Window port = book_port(job.in, r + w, job.rows);
  job.out = r + w > 0 ? port : job.in;
  job.counts->actions[ids.buf_read] += r;
  job.counts->actions[ids.buf_write] += w;
  job.counts->read_bytes[ids.buffer] += job.read_bytes;
  job.counts->write_bytes[ids.buffer] += job.write_bytes;
}

void Tile::do_send(TileJob& job) {
  const CimConfig& c = *ctx_.config;
  const Actions& ids = *ctx_.ids;
  job.counts->actions[ids.tile_out_reg] += accesses(job.bytes, c.tile.output_register.width_bits);
  job.counts->write_bytes[ids.noc] += job.bytes;
  packet_.dst_router = job.dst_router;
  packet_.bytes = job.bytes;
  packet_.flits = flits_of(job.bytes, c.router.flit_bits);
  packet_.window = job.in;
  packet_.legs = job.legs;
  packet_.leg = 0;
  packet_.resume = nullptr;
  packet_.dropped = SIZE_MAX;
  packet_.counts = job.counts;
  packet_payload_.set_extension(&packet_);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  noc->b_transport(packet_payload_, delay);
  finish_packet(packet_, packet_payload_);
  packet_payload_.clear_extension(&packet_);
  job.out = packet_.window;
}

void Tile::do_reserve(TileJob& job) {
  switch (job.resource) {
    case TileJob::Resource::pes:
      job.out = stream_pes(job.pe0, job.pes, job.in, job.fill_ps, job.per_item_ps, job.items);
      break;
    case TileJob::Resource::vector_unit:
      job.out = stream_shared(vu_free_, job.in, job.fill_ps, job.per_item_ps, job.items);
      break;
    case TileJob::Resource::buffer:
      job.out = stream_shared(buf_free_, job.in, job.fill_ps, job.per_item_ps, job.items);
      break;
    case TileJob::Resource::sram_cim:
      job.out = stream(sram_free_, job.in, job.fill_ps, job.per_item_ps, job.items);
      break;
  }
}

}  // namespace cimsim::cim
