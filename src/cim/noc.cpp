#include "cimsim/cim/noc.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "cimsim/cim/mvm.hpp"
#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

Window Window::merge(const Window& o) const {
  return Window{std::max(first, o.first), std::max(last, o.last)};
}

Window Window::after(uint64_t t) const {
  return Window{std::max(first, t), std::max(last, t)};
}

namespace {

uint32_t side(uint32_t n) {
  auto s = static_cast<uint32_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  return std::max<uint32_t>(1, s);
}

// XY step on a grid of `count` nodes, `cols` wide, filled row by row (the last row may be
// short). Ports: 0 north (y-1), 1 east (x+1), 2 south (y+1), 3 west (x-1).
bool exists(uint32_t x, uint32_t y, uint32_t cols, uint32_t count) {
  return x < cols && uint64_t{y} * cols + x < count;
}

uint32_t grid_next(uint32_t a, uint32_t b, uint32_t cols, uint32_t count) {
  uint32_t xa = a % cols, ya = a / cols, xb = b % cols, yb = b / cols;
  if (xa < xb && exists(xa + 1, ya, cols, count)) {
    return 1;
  }
  if (xa > xb) {
    return 3;
  }
  if (ya < yb) {
    return 2;
  }
  if (ya > yb) {
    return 0;
  }
  return 1;  // xa < xb but the row is short here: cannot happen once ya == yb
}

int32_t grid_neighbour(uint32_t a, uint32_t port, uint32_t cols, uint32_t count) {
  int64_t x = a % cols, y = a / cols;
  if (port == 0) {
    --y;
  }
  if (port == 1) {
    ++x;
  }
  if (port == 2) {
    ++y;
  }
  if (port == 3) {
    --x;
  }
  if (x < 0 || y < 0 || !exists(static_cast<uint32_t>(x), static_cast<uint32_t>(y), cols, count)) {
    return -1;
  }
  return static_cast<int32_t>(y * cols + x);
}

uint32_t grid_distance(uint32_t a, uint32_t b, uint32_t cols) {
  int64_t dx = static_cast<int64_t>(a % cols) - static_cast<int64_t>(b % cols);
  int64_t dy = static_cast<int64_t>(a / cols) - static_cast<int64_t>(b / cols);
  return static_cast<uint32_t>(std::llabs(dx) + std::llabs(dy));
}

}  // namespace

Topology::Topology(const CimConfig& c, uint32_t chips)
    : chips_(chips),
      tiles_per_chip_(c.chip.tiles),
      tiles_per_router_(c.router.tiles_per_router),
      routers_per_chip_(c.routers_per_chip()) {
  mesh_cols_ = side(routers_per_chip_);
  chip_cols_ = c.chip.links.count >= 4 ? side(chips) : chips;
}

uint32_t Topology::router_of(uint32_t tile) const {
  return chip_of(tile) * routers_per_chip_ + (tile % tiles_per_chip_) / tiles_per_router_;
}

uint32_t Topology::router_traversals(uint32_t ra, uint32_t rb) const {
  return grid_distance(ra % routers_per_chip_, rb % routers_per_chip_, mesh_cols_) + 1;
}

uint32_t Topology::next_port(uint32_t at, uint32_t to) const {
  return grid_next(at % routers_per_chip_, to % routers_per_chip_, mesh_cols_, routers_per_chip_);
}

int32_t Topology::neighbour(uint32_t router, uint32_t port) const {
  uint32_t chip = router / routers_per_chip_;
  int32_t local = grid_neighbour(router % routers_per_chip_, port, mesh_cols_, routers_per_chip_);
  return local < 0 ? -1 : static_cast<int32_t>(chip * routers_per_chip_) + local;
}

uint32_t Topology::chip_next_port(uint32_t at, uint32_t to) const {
  return grid_next(at, to, chip_cols_, chips_);
}

int32_t Topology::chip_neighbour(uint32_t chip, uint32_t port) const {
  return grid_neighbour(chip, port, chip_cols_, chips_);
}

uint32_t Topology::chip_hops(uint32_t a, uint32_t b) const {
  return grid_distance(a, b, chip_cols_);
}

uint64_t flits_of(uint64_t bytes, uint32_t flit_bits) {
  return std::max<uint64_t>(1, ceil_div(checked_mul(bytes, 8, "bits"), flit_bits));
}

uint64_t MeshFlow::flit_ps() const {
  // The round trip of a slot: the flit crosses the link (a cycle), passes the router's
  // pipeline and leaves, and its credit crosses back (a cycle).
  const uint64_t round_trip_ps = checked_mul(latency_cycles + 2, cycle_ps, "credit round trip");
  return std::max(cycle_ps, ceil_div(round_trip_ps, std::max<uint64_t>(1, buffer_flits)));
}

uint64_t MeshFlow::tail_release(uint64_t flits, uint64_t tail_out_ps) const {
  // The tail needs the slot of the flit buffer_flits ahead of it, which left the router
  // buffer_flits flit times before the tail did; its credit takes a link cycle back.
  if (flits <= buffer_flits) {
    return 0;
  }
  const uint64_t ahead_ps = checked_mul(buffer_flits, flit_ps(), "buffer drain time");
  return tail_out_ps + cycle_ps > ahead_ps ? tail_out_ps + cycle_ps - ahead_ps : 0;
}

MeshLinkStats& MeshLinkStats::operator+=(const MeshLinkStats& o) {
  crossings += o.crossings;
  stalled_crossings += o.stalled_crossings;
  stall_ps += o.stall_ps;
  max_stall_ps = std::max(max_stall_ps, o.max_stall_ps);
  return *this;
}

Router::Router(const sc_core::sc_module_name& name, const NocContext& ctx, uint32_t index)
    : sc_core::sc_module(name),
      in("in"),
      out("out"),
      ctx_(ctx),
      index_(index),
      flow_{ctx.cycle_ps, ctx.config->router.latency_cycles, ctx.config->router.buffer_flits},
      flit_ps_(flow_.flit_ps()) {
  in.register_b_transport(this, &Router::b_transport);
}

void Router::bind_port(uint32_t port, tlm::tlm_base_target_socket_b<>& target) {
  port_socket_[port] = static_cast<int>(out.size());
  out.bind(target);
}

bool Router::next_leg(Packet& p) {
  if (p.legs == nullptr) {
    return false;
  }
  (*p.legs)[p.leg].arrive = p.window;
  if (p.leg + 1 >= p.legs->size()) {
    return false;
  }
  // The router ejects the copy and forwards the rest in the same pass: no second pipeline.
  p.dropped = p.leg;
  const MulticastLeg& next = (*p.legs)[++p.leg];
  p.dst_router = next.dst_router;
  p.bytes = next.bytes;
  p.flits = flits_of(next.bytes, ctx_.config->router.flit_bits);
  p.counts->write_bytes[ctx_.ids->noc] += next.bytes;
  return true;
}

void Router::b_transport(int, tlm::tlm_generic_payload& payload, sc_core::sc_time&) {
  Packet* p = nullptr;
  payload.get_extension(p);
  const uint64_t latency = ctx_.cycle_ps * ctx_.config->router.latency_cycles;
  p->counts->actions[ctx_.ids->flit_hop] += p->flits;
  p->window.first += latency;
  p->window.last += latency;
  route(payload, *p);
}

void Router::resume(tlm::tlm_generic_payload& payload, Packet& p) {
  route(payload, p);
}

void Router::route(tlm::tlm_generic_payload& payload, Packet& p) {
  if (p.dst_router == index_) {
    if (next_leg(p)) {
      p.resume = this;  // finish_packet goes on from here: the recursion stays one leg deep
    }
    return;
  }
  const Topology& topo = *ctx_.topology;
  uint32_t here_chip = index_ / topo.routers_per_chip();
  uint32_t dst_chip = p.dst_router / topo.routers_per_chip();
  uint32_t port = 0;
  if (here_chip != dst_chip) {
    port = index_ == topo.gateway(here_chip) ? 4 : topo.next_port(index_, topo.gateway(here_chip));
  } else {
    port = topo.next_port(index_, p.dst_router);
  }
  // A stream is sent as row-sized packets that interleave with other streams on the link:
  // its head is not held up by earlier streams, its tail waits for every byte queued before
  // it (the link's bandwidth is conserved).
  const uint64_t cycle = ctx_.cycle_ps;
  const uint64_t start = std::max(p.window.first, port_free_[port]);
  const uint64_t booked_until = start + checked_mul(p.flits, flit_ps_, "link occupancy");
  port_free_[port] = booked_until;
  const uint64_t tail_out = std::max(p.window.last, booked_until);
  if (p.dropped != SIZE_MAX) {
    // The copy is ejected as the worm passes (flits are replicated to both outputs at once):
    // its tail is not out before the worm's tail has left (tail_out when nothing waits).
    Window& copy = (*p.legs)[p.dropped].arrive;
    copy.last = std::max(copy.last, tail_out);
    p.dropped = SIZE_MAX;
  }
  p.hops.push_back(MeshHop{this, port, booked_until, tail_out, p.flits});
  p.window.first += cycle;
  p.window.last = tail_out + cycle;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  out[port_socket_[port]]->b_transport(payload, delay);
}

uint64_t Router::hold(const MeshHop& hop, uint64_t release_ps) {
  // The next router's buffer lets the tail in only from release_ps; until then this link is
  // held by the stream's blocked flits (never binds when nothing waits).
  ++stats_.crossings;
  const uint64_t held = release_ps > hop.tail_out_ps ? release_ps - hop.tail_out_ps : 0;
  if (held > 0) {
    // max: a multicast worm may have booked this link again on its way (a later leg).
    port_free_[hop.port] = std::max(port_free_[hop.port], hop.booked_until_ps + held);
    ++stats_.stalled_crossings;
    stats_.stall_ps += held;
    stats_.max_stall_ps = std::max(stats_.max_stall_ps, held);
  }
  return flow_.tail_release(hop.flits, hop.tail_out_ps + held);
}

void finish_packet(Packet& p, tlm::tlm_generic_payload& payload) {
  while (p.resume != nullptr) {
    Router* at = p.resume;
    p.resume = nullptr;
    at->resume(payload, p);
  }
  uint64_t release = 0;  // into the destination tile: no bound (flow_control.hpp's credits)
  for (size_t i = p.hops.size(); i-- > 0;) {
    const MeshHop& hop = p.hops[i];
    // A chip link's interface takes the whole packet: no bound through it.
    release = hop.router == nullptr ? 0 : hop.router->hold(hop, release);
  }
  p.hops.clear();
}

ChipNetwork::ChipNetwork(const sc_core::sc_module_name& name, const NocContext& ctx)
    : sc_core::sc_module(name), in("in"), out("out"), ctx_(ctx) {
  in.register_b_transport(this, &ChipNetwork::b_transport);
  link_free_.assign(size_t{ctx.topology->chips()} * 4, 0);
}

void ChipNetwork::b_transport(int id, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  Packet* p = nullptr;
  payload.get_extension(p);
  const Topology& topo = *ctx_.topology;
  const auto& links = ctx_.config->chip.links;
  auto chip = static_cast<uint32_t>(id);
  uint32_t dst_chip = p->dst_router / topo.routers_per_chip();
  uint64_t latency = ns_to_ps(links.latency_ns);
  auto busy = static_cast<uint64_t>(
      std::ceil(static_cast<double>(p->bytes) * 1000.0 / links.bandwidth_gbytes_s));
  while (chip != dst_chip) {
    uint32_t port = topo.chip_next_port(chip, dst_chip);
    uint64_t& free = link_free_[size_t{chip} * 4 + port];
    uint64_t start = std::max(p->window.first, free);  // as on the mesh: heads interleave
    free = start + busy;
    p->window.first += latency;
    p->window.last = std::max(p->window.last, start + busy) + latency;
    p->counts->actions[ctx_.ids->chip_link_byte] += p->bytes;
    p->counts->write_bytes[ctx_.ids->chip_link] += p->bytes;
    chip = static_cast<uint32_t>(topo.chip_neighbour(chip, port));
  }
  p->hops.push_back(MeshHop{});  // the back-pressure pass stops here
  out[static_cast<int>(dst_chip)]->b_transport(payload, delay);
}

}  // namespace cimsim::cim
