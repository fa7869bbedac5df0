// The fabric's plumbing (fabric_io.hpp): tile jobs, transfers, off-chip accesses, counting.
#include "cimsim/cim/fabric_io.hpp"

#include <algorithm>
#include <cmath>

#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

namespace {

uint64_t io_now_ps() {
  return static_cast<uint64_t>(sc_core::sc_time_stamp().value());
}

uint64_t io_scaled(uint64_t n, double share) {
  return static_cast<uint64_t>(std::ceil(static_cast<double>(n) * share));
}

}  // namespace

FabricIo::FabricIo() : mem_socket("mem_port"), tile_socket("tiles") {}

void FabricIo::attach(const CimConfig& config, const Topology& topology, const Actions& ids,
                      const stats::Registry& registry, const memory::OffChipMemory& memory,
                      uint32_t stacks, uint64_t cycle_ps, bool fast_forward) {
  cfg_ = &config;
  topo_ = &topology;
  ids_ = &ids;
  registry_ = &registry;
  mem_ = &memory;
  cycle_ps_ = cycle_ps;
  fast_forward_ = fast_forward;
  gb_free_.assign(topology.chips(), 0);
  link_free_.assign(stacks, 0);
  stack_bytes_ = memory.capacity_bytes() / stacks;
  cur_.reset(registry);
  mem_seen_.reset(registry);
  ff_counts_.reset(registry);
  hbm_scalable_.assign(registry.actions().size(), false);
  for (size_t i = 0; i < registry.actions().size(); ++i) {
    const auto& a = registry.actions()[i];
    hbm_scalable_[i] = memory::is_offchip_action(a) && !memory::is_offchip_refresh(a);
  }
  hbm_link_ = memory::find_offchip_link(registry).value_or(hbm_link_);
}

Window FabricIo::tile_job(uint32_t tile, TileJob& job) {
  job.counts = &cur_;
  job_payload_.set_extension(&job);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  tile_socket[static_cast<int>(tile)]->b_transport(job_payload_, delay);
  job_payload_.clear_extension(&job);
  return job.out;
}

Window FabricIo::send(uint32_t from, uint32_t to, uint64_t bytes, const Window& ready) {
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

std::vector<Window> FabricIo::deliver(const Loc& src, const std::vector<uint32_t>& dst,
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
        p.tile == hub ? src.window : send(p.tile, hub, io_scaled(p.bytes, fraction), src.window);
    at_hub = any ? at_hub.merge(w) : w;
    any = true;
  }
  std::vector<uint64_t> ahead(dst.size() + 1, 0);
  for (size_t i = dst.size(); i-- > 0;) {
    ahead[i] = broadcast ? std::max(bytes[i], ahead[i + 1]) : bytes[i] + ahead[i + 1];
  }
  // One worm from the hub through the routers of the destinations that still need bytes; a
  // destination on the router of the one before it takes its copy there.
  std::vector<MulticastLeg> legs;
  std::vector<size_t> leg_of(dst.size(), 0);  // 0: the hub's window, else leg + 1
  uint32_t prev_router = topo_->router_of(hub);
  for (size_t i = 0; i < dst.size(); ++i) {
    if (dst[i] == hub) {
      continue;
    }
    const uint32_t r = topo_->router_of(dst[i]);
    if (r != prev_router && ahead[i] > 0) {
      legs.push_back(MulticastLeg{r, ahead[i], Window{}});
      prev_router = r;
    }
    leg_of[i] = legs.size();
  }
  if (!legs.empty()) {
    TileJob job;
    job.kind = TileJob::Kind::send;
    job.dst_router = legs[0].dst_router;
    job.bytes = legs[0].bytes;
    job.legs = &legs;
    job.in = at_hub;
    tile_job(hub, job);
  }
  for (size_t i = 0; i < dst.size(); ++i) {
    out[i] = leg_of[i] == 0 ? at_hub : legs[leg_of[i] - 1].arrive;
  }
  return out;
}

void FabricIo::hbm_stream(uint64_t bytes, bool write, uint64_t base, uint64_t cap, uint64_t& addr) {
  // Transactions of at most 4 MiB keep the memory model's queues small; a stream wraps
  // within its stack.
  const uint64_t chunk = std::max<uint64_t>(1, std::min<uint64_t>(cap / 2, uint64_t{4} << 20));
  while (bytes > 0) {
    uint64_t len = std::min(bytes, chunk);
    if (addr + len > cap) {
      addr = 0;
    }
    mem_payload_.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    mem_payload_.set_address(base + addr);
    mem_payload_.set_data_ptr(nullptr);
    mem_payload_.set_data_length(static_cast<unsigned int>(len));
    mem_payload_.set_streaming_width(static_cast<unsigned int>(len));
    mem_payload_.set_byte_enable_ptr(nullptr);
    mem_payload_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    mem_socket->b_transport(mem_payload_, delay);
    if (delay > sc_core::SC_ZERO_TIME) {
      sc_core::wait(delay);
    }
    bytes -= len;
    addr += len;
  }
}

uint64_t FabricIo::hbm(uint64_t bytes, bool write, uint64_t ready_ps, uint32_t stack,
                       uint64_t offset) {
  uint64_t now = io_now_ps();
  if (ready_ps > now) {
    sc_core::wait(sc_core::sc_time(static_cast<double>(ready_ps - now), sc_core::SC_PS));
  }
  if (bytes == 0) {
    return io_now_ps();
  }
  // The stack's link carries the stream as the stack delivers it (one reservation per
  // stream, busy-until): the stream is done when both have finished, plus the link latency.
  const auto& link = cfg_->offchip.link;
  const uint64_t start = io_now_ps();
  const uint64_t link_start = std::max(start, link_free_.at(stack));
  link_free_[stack] =
      link_start + static_cast<uint64_t>(
                       std::ceil(static_cast<double>(bytes) * 1000.0 / link.bandwidth_gbytes_s));
  cur_.actions[ids_->offchip_link_byte] += bytes;
  const uint64_t link_done = link_free_[stack] + ns_to_ps(link.latency_ns);
  const uint64_t base = uint64_t{stack} * stack_bytes_;
  uint64_t addr = offset % stack_bytes_;
  if (!fast_forward_ || bytes < 4 * kStreamSample) {
    hbm_stream(bytes, write, base, stack_bytes_, addr);
    return std::max(io_now_ps() + ns_to_ps(link.latency_ns), link_done);
  }
  // Fast path for a long sequential stream: simulate a warm-up sample and a measured sample
  // in full, then charge the rest at the measured steady-state rate (time and every memory
  // action except refreshes, which the memory issues itself when it catches up). A test
  // shows the whole run within 1% of the full simulation; fast_forward=false simulates all.
  hbm_stream(kStreamSample, write, base, stack_bytes_, addr);
  stats::Counts before;
  before.reset(*registry_);
  mem_->add_counts(before);
  uint64_t t_before = io_now_ps();
  hbm_stream(kStreamSample, write, base, stack_bytes_, addr);
  stats::Counts after;
  after.reset(*registry_);
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
      static_cast<uint64_t>(std::llround(static_cast<double>(io_now_ps() - t_before) * scale));
  sc_core::wait(sc_core::sc_time(static_cast<double>(extra), sc_core::SC_PS));
  return std::max(io_now_ps() + ns_to_ps(link.latency_ns), link_done);
}

Window FabricIo::global_buffer(uint32_t chip, uint64_t bytes, const Window& ready, bool write) {
  const auto& g = cfg_->chip.global_buffer;
  uint64_t busy = g.bandwidth_gbytes_s > 0
                      ? static_cast<uint64_t>(
                            std::ceil(static_cast<double>(bytes) * 1000.0 / g.bandwidth_gbytes_s))
                      : 0;
  uint64_t lat = ns_to_ps(g.latency_ns);
  uint64_t start = std::max(ready.first, gb_free_[chip]);
  gb_free_[chip] = start + busy;
  cur_.actions[ids_->gb_byte] += bytes;
  (write ? cur_.write_bytes : cur_.read_bytes)[ids_->global_buffer] += bytes;
  return Window{start + lat, std::max(ready.last, start + busy) + lat};
}

stats::Counts FabricIo::take_op_counts(bool& fast_forwarded) {
  stats::Counts mem;
  mem.reset(*registry_);
  mem_->add_counts(mem);
  stats::Counts out = cur_ + (mem - mem_seen_);
  mem_seen_ = mem;
  out.add(ff_counts_);
  fast_forwarded = op_fast_forwarded_;
  ff_counts_.reset(*registry_);
  op_fast_forwarded_ = false;
  cur_.reset(*registry_);
  return out;
}

stats::Counts FabricIo::unattributed() const {
  stats::Counts c;
  c.reset(*registry_);
  mem_->add_counts(c);
  return c -= mem_seen_;
}

}  // namespace cimsim::cim
