// The on-chip mesh and the chip-to-chip network.
//
// Modelled: tiles share routers (router.tiles_per_router); a chip's routers form a 2-D mesh
// with XY routing; a transfer is flits (flit_bits wide, one flit per cycle per link) that
// pay latency_cycles per router on the head and occupy each output link for their flit
// count, so transfers that cross the same link share its bandwidth (contention). Energy is counted
// per flit per router traversed. Chips form a 2-D mesh of chip links attached to each chip's router
// 0 (the gateway, also the port to off-chip memory and the global buffer); a crossing pays the link
// latency and occupies the link for bytes / bandwidth, per direction.
//
// Packets carry a stream window (when their first and last bytes are ready) rather than a
// single time: a transfer of rows that a producer emits over time starts when the first row
// is ready and cannot end before the last one is, which lets producer, network and consumer
// overlap as a pipeline. A stream travels as row-sized packets that interleave with other
// streams on a link (processor sharing): its first row is not held up by earlier streams,
// its last row waits for every byte queued on the link before it, so bandwidth is conserved.
// Routers are SystemC modules bound by TLM sockets; a packet moves from router to router by
// b_transport with the timing carried in the packet (loosely timed: each link keeps the time until
// which it is reserved).
//
// Back-pressure (wormhole flow control with credits, MeshFlow): each router input port has
// router.buffer_flits flit slots; a flit crosses a link only with a credit for a slot in the
// next router, and a slot's credit comes back one link cycle after its flit left that router.
// There are no virtual channels, so a stream that waits at a busy link fills the buffers
// behind it and holds the upstream links (every packet behind it on those links waits too)
// until its tail can move: after the packet has reached its destination, a pass over its
// links from the last to the first (finish_packet) carries back the earliest time the tail
// may enter each router, and a link held past its own reservation stays reserved that much
// longer. This is computed per stream and hop from the stream's tail (the
// flit that waits longest; the last flits of a packet leave a router one per link slot), not
// flit by flit. Where nothing waits, the bound never binds and a path is the closed form
// hops x (latency_cycles + a link cycle) on the head, plus the flits' serialization (a buffer
// that covers the credit round trip, latency_cycles + 2 cycles, keeps a link at one flit per
// cycle; a smaller one slows every link to buffer_flits flits per round trip).
//
// Multicast is a path multicast (Packet::legs): one worm visits the destinations' routers in
// order, drops a copy at each and goes on with what the destinations ahead need, so a leg
// that waits at a busy link holds the links of the legs before it. Left out: virtual
// channels, adaptive routing, back-pressure through the chip links (their interface holds a
// whole packet) and from a destination tile (the MVM input buffers' credits are
// flow_control.hpp's); a link reserved by an earlier-issued packet is not back-filled by a
// later one.
#pragma once

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

#include "cimsim/cim/config.hpp"
#include "cimsim/cim/energy.hpp"
#include "cimsim/stats/registry.hpp"

namespace cimsim::cim {

// When the first and the last byte of a stream are available (ps).
struct Window {
  uint64_t first = 0, last = 0;
  static Window at(uint64_t t) { return Window{t, t}; }
  Window merge(const Window& o) const;  // both needed: the later of each
  Window after(uint64_t t) const;       // nothing before t
};

// Where tiles and routers are and how far apart.
class Topology {
 public:
  Topology(const CimConfig& config, uint32_t chips);
  uint32_t chips() const { return chips_; }
  uint32_t tiles() const { return chips_ * tiles_per_chip_; }
  uint32_t routers_per_chip() const { return routers_per_chip_; }
  uint32_t chip_of(uint32_t tile) const { return tile / tiles_per_chip_; }
  uint32_t router_of(uint32_t tile) const;  // global router index
  uint32_t gateway(uint32_t chip) const { return chip * routers_per_chip_; }
  // Routers a flit passes through from router a to router b on one chip (>= 1).
  uint32_t router_traversals(uint32_t ra, uint32_t rb) const;
  // Next router from `at` towards `to` on the same chip (XY): mesh port 0..3.
  uint32_t next_port(uint32_t at, uint32_t to) const;
  int32_t neighbour(uint32_t router, uint32_t port) const;  // -1 at the mesh edge
  uint32_t chip_next_port(uint32_t at, uint32_t to) const;
  int32_t chip_neighbour(uint32_t chip, uint32_t port) const;
  uint32_t chip_hops(uint32_t a, uint32_t b) const;

 private:
  uint32_t chips_, tiles_per_chip_, tiles_per_router_, routers_per_chip_;
  uint32_t mesh_cols_, chip_cols_;
};

// One destination of a path multicast: its router, the bytes the packet carries towards it
// (what it and the destinations after it need) and when they arrive (set by the router).
struct MulticastLeg {
  uint32_t dst_router = 0;
  uint64_t bytes = 0;
  Window arrive;
};

uint64_t flits_of(uint64_t bytes, uint32_t flit_bits);  // at least one

class Router;

// A link a packet crossed: the router and its output port, until when the packet's flits
// booked it, when its tail left, and how many flits it carried.
struct MeshHop {
  Router* router = nullptr;
  uint32_t port = 0;
  uint64_t booked_until_ps = 0, tail_out_ps = 0, flits = 0;
};

// A packet in flight.
struct Packet : tlm::tlm_extension<Packet> {
  uint32_t dst_router = 0;  // global router index
  uint64_t bytes = 0;
  uint64_t flits = 0;
  Window window;
  // A path multicast: legs[leg] is the current destination (dst_router, bytes); nullptr for
  // a unicast packet.
  std::vector<MulticastLeg>* legs = nullptr;
  size_t leg = 0;
  // Set by the router where a leg ends and the worm goes on (finish_packet resumes it there);
  // dropped: that leg, whose copy ends when the worm's tail leaves the router.
  Router* resume = nullptr;
  size_t dropped = SIZE_MAX;
  // The links the packet has crossed, in order (a null router: a chip link, which holds the
  // whole packet), for the back-pressure pass (finish_packet).
  std::vector<MeshHop> hops;
  stats::Counts* counts = nullptr;
  tlm::tlm_extension_base* clone() const override { return new Packet(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override {
    *this = static_cast<const Packet&>(e);
  }
};

// Wormhole flow control on a mesh link (plain C++): the rate a link sustains with its
// next router's buffer and the tail bound that buffer sets on the link before it.
struct MeshFlow {
  uint64_t cycle_ps = 1000;
  uint64_t latency_cycles = 1;
  uint64_t buffer_flits = 1;
  // One flit per cycle, or buffer_flits per credit round trip (flit across the link, the
  // router's pipeline, the credit back) when the buffer does not cover it.
  uint64_t flit_ps() const;
  // A stream of `flits` whose tail leaves a router at tail_out_ps: the earliest time its
  // tail may enter the link into that router (0: no bound, the buffer holds the stream).
  uint64_t tail_release(uint64_t flits, uint64_t tail_out_ps) const;
};

// Links held by a blocked stream, per router.
struct MeshLinkStats {
  uint64_t crossings = 0;          // streams sent on this router's output links
  uint64_t stalled_crossings = 0;  // of which held past their reservation by back-pressure
  uint64_t stall_ps = 0;           // total extra time links were held
  uint64_t max_stall_ps = 0;
  MeshLinkStats& operator+=(const MeshLinkStats& o);
};

struct NocContext {
  const CimConfig* config = nullptr;
  const Topology* topology = nullptr;
  const Actions* ids = nullptr;
  uint64_t cycle_ps = 1000;
};

class Router : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Router> in;
  tlm_utils::multi_passthrough_initiator_socket<Router> out;
  Router(const sc_core::sc_module_name& name, const NocContext& ctx, uint32_t index);
  // Binds mesh port `port` (0..3, or 4 for the chip network) to the next initiator index.
  void bind_port(uint32_t port, tlm::tlm_base_target_socket_b<>& target);
  uint32_t index() const { return index_; }
  const MeshLinkStats& link_stats() const { return stats_; }
  // Goes on with a path multicast whose leg ended here (its pipeline already passed).
  void resume(tlm::tlm_generic_payload& payload, Packet& p);
  // Back-pressure on the link `hop` crossed: the next router let the tail in only from
  // release_ps (0: no bound); returns the bound this router's own buffer sets on the link
  // before it.
  uint64_t hold(const MeshHop& hop, uint64_t release_ps);
  // Until when the output link on `port` is reserved (ps).
  uint64_t port_free_ps(uint32_t port) const { return port_free_[port]; }

 private:
  void b_transport(int id, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  // The packet is in this router's pipeline: forward it, or stop where a leg ends.
  void route(tlm::tlm_generic_payload& payload, Packet& p);
  // At the end of a leg: records its arrival; true when the worm goes on.
  bool next_leg(Packet& p);
  const NocContext& ctx_;
  uint32_t index_;
  int port_socket_[5] = {-1, -1, -1, -1, -1};
  uint64_t port_free_[5] = {0, 0, 0, 0, 0};
  MeshLinkStats stats_;
  MeshFlow flow_;
  uint64_t flit_ps_;  // flow_.flit_ps(), once
};

// After a packet's first b_transport (from its tile): the rest of a path multicast, leg by
// leg, then the back-pressure pass over its links from the last to the first (one loop, not
// a recursion as deep as the worm is long).
void finish_packet(Packet& p, tlm::tlm_generic_payload& payload);

// The chip links: packets leave a chip at its gateway router and enter another's.
class ChipNetwork : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<ChipNetwork> in;
  tlm_utils::multi_passthrough_initiator_socket<ChipNetwork> out;  // index = chip
  ChipNetwork(const sc_core::sc_module_name& name, const NocContext& ctx);

 private:
  void b_transport(int id, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  const NocContext& ctx_;
  std::vector<uint64_t> link_free_;  // [chip * 4 + port]
};

}  // namespace cimsim::cim
