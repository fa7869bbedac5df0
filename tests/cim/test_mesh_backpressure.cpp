// Mesh back-pressure (noc.hpp: finite router input buffers, wormhole flow control with
// credits): an uncontended path is the closed form exactly; a stream waiting at a busy link
// holds the link behind it, which delays a later stream on that link by an amount computed
// here by hand; a path multicast whose second leg waits at a busy link holds its first leg's
// link the same way.
#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <memory>
#include <string>
#include <vector>

#include "cim/cim_test_util.hpp"
#include "cimsim/cim/energy.hpp"
#include "cimsim/cim/noc.hpp"

namespace cimsim::cim {
namespace {

using test::preset;

struct Source : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Source> out;
  explicit Source(const sc_core::sc_module_name& name) : sc_core::sc_module(name), out("out") {}
};

// One chip of nine routers, one tile each: a 3 x 3 mesh (router y * 3 + x), a source
// injecting at every router, the link cycle 1 ns.
struct Mesh {
  CimConfig cfg;
  stats::Registry registry;
  Actions ids;
  std::unique_ptr<Topology> topo;
  NocContext ctx;
  std::vector<std::unique_ptr<Router>> routers;
  std::vector<std::unique_ptr<Source>> sources;
  stats::Counts counts;

  Mesh(const std::string& name, uint32_t latency_cycles, uint32_t buffer_flits)
      : cfg(preset("isaac", Json{{"chip", {{"tiles", 9}}},
                                 {"router",
                                  {{"tiles_per_router", 1},
                                   {"latency_cycles", latency_cycles},
                                   {"buffer_flits", buffer_flits}}}})) {
    ids = declare_fabric(cfg, 1, registry);
    counts.reset(registry);
    topo = std::make_unique<Topology>(cfg, 1);
    ctx = NocContext{&cfg, topo.get(), &ids, 1000};
    for (uint32_t r = 0; r < 9; ++r) {
      routers.push_back(
          std::make_unique<Router>((name + "_router" + std::to_string(r)).c_str(), ctx, r));
      sources.push_back(std::make_unique<Source>((name + "_src" + std::to_string(r)).c_str()));
    }
    for (uint32_t r = 0; r < 9; ++r) {
      for (uint32_t port = 0; port < 4; ++port) {
        int32_t n = topo->neighbour(r, port);
        if (n >= 0) {
          routers[r]->bind_port(port, routers[static_cast<size_t>(n)]->in);
        }
      }
      sources[r]->out.bind(routers[r]->in);
    }
  }

  // `flits` 32-bit flits from router `from` to router `to`, all ready at t_ps.
  Window send(uint32_t from, uint32_t to, uint64_t flits, uint64_t t_ps = 0,
              std::vector<MulticastLeg>* legs = nullptr) {
    Packet p;
    p.dst_router = to;
    p.bytes = 4 * flits;
    p.flits = flits;
    p.window = Window::at(t_ps);
    p.legs = legs;
    p.counts = &counts;
    tlm::tlm_generic_payload payload;
    payload.set_extension(&p);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    sources[from]->out->b_transport(payload, delay);
    finish_packet(p, payload);
    payload.clear_extension(&p);
    return p.window;
  }

  MeshLinkStats stats() const {
    MeshLinkStats s;
    for (const auto& r : routers) {
      s += r->link_stats();
    }
    return s;
  }
};

TEST(MeshFlow, RateAndTailBoundFromTheCreditRoundTrip) {
  // Round trip of a slot: 1 cycle across the link, latency_cycles in the router, 1 cycle for
  // the credit back. 3-stage router, 1 ns cycle: 5 ns. 8 slots cover it (a flit per ns);
  // 2 slots carry 2 flits per 5 ns (2.5 ns a flit); 1 slot 1 flit per 5 ns.
  EXPECT_EQ((MeshFlow{1000, 3, 8}.flit_ps()), 1000u);
  EXPECT_EQ((MeshFlow{1000, 3, 5}.flit_ps()), 1000u);
  EXPECT_EQ((MeshFlow{1000, 3, 2}.flit_ps()), 2500u);
  EXPECT_EQ((MeshFlow{1000, 3, 1}.flit_ps()), 5000u);
  // A stream that fits in the buffer never holds the link behind it.
  EXPECT_EQ((MeshFlow{1000, 3, 8}.tail_release(8, 100000)), 0u);
  // 20 flits leaving a router with 8 slots, the tail at 100 ns: the flit 8 ahead of the
  // tail left 8 ns earlier (92 ns), its credit is back 1 ns later: the tail enters at 93 ns.
  EXPECT_EQ((MeshFlow{1000, 3, 8}.tail_release(20, 100000)), 93000u);
  // One slot at 5 ns a flit: the flit ahead left at 95 ns, its credit is back at 96 ns.
  EXPECT_EQ((MeshFlow{1000, 3, 1}.tail_release(20, 100000)), 96000u);
}

TEST(MeshBackpressure, AnUncontendedPathIsTheClosedForm) {
  // Router 0 to router 8 of the 3 x 3 mesh (XY: east, east, south, south): 4 links, 5 router
  // pipelines. The head pays latency_cycles per router and a cycle per link; the other flits
  // follow one link slot apart (wormhole), so the tail is flits x slot after the head. With
  // the presets' 8 slots and 3-cycle routers a slot is a cycle; with 2 slots 2.5 cycles
  // (credit round trip 5 cycles / 2).
  Mesh deep("deep", 3, 8);
  Mesh shallow("shallow", 3, 2);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  const uint64_t head = 5 * 3000 + 4 * 1000;
  uint64_t t0 = 0;
  for (uint64_t flits : {1u, 7u, 64u, 1000u}) {
    t0 += 10000000;  // each stream long after the one before: nothing waits
    Window w = deep.send(0, 8, flits, t0);
    EXPECT_EQ(w.first, t0 + head) << flits;
    EXPECT_EQ(w.last, t0 + head + flits * 1000) << flits;
    w = shallow.send(0, 8, flits, t0);
    EXPECT_EQ(w.first, t0 + head) << flits;
    EXPECT_EQ(w.last, t0 + head + flits * 2500) << flits;
  }
  EXPECT_EQ(deep.stats().crossings, 4u * 4u);
  EXPECT_EQ(deep.stats().stalled_crossings, 0u);
  EXPECT_EQ(shallow.stats().stalled_crossings, 0u);
}

TEST(MeshBackpressure, AStreamWaitingAtABusyLinkHoldsTheLinkBehindIt) {
  // Routers 0, 1, 2 in a row; 1-cycle routers (1 ns), 2-slot input buffers: a credit round
  // trip of 3 ns, so a link carries 2 flits per 3 ns (1.5 ns a flit). All three streams are
  // ready at t = 0, 10 flits each unless stated.
  //  A: router 1 -> 2, 40 flits. In router 1 at 1 ns; link 1->2 busy 1 .. 61 ns
  //     (40 x 1.5 ns).
  //  B: router 0 -> 2. Link 0->1 from 1 ns, 15 ns of flits: its tail leaves router 0 at
  //     16 ns, reaches router 1 at 18 ns. Link 1->2 is A's until 61 ns, so B's flits go on at
  //     61 .. 76 ns; its tail arrives at router 2 at 76 + 1 (link) + 1 (router) = 78 ns.
  //     Router 1 holds only 2 of B's flits: B's tail may enter it once the flit 2 ahead has
  //     left (76 - 2 x 1.5 = 73 ns) and that slot's credit is back (74 ns). So link 0->1 is
  //     B's until 74 ns, not 16 ns: held 58 ns.
  //  C: router 0 -> 1, issued after B. Its tail waits for link 0->1: 74 + 15 = 89 ns out of
  //     router 0, in router 1's tile at 91 ns (unbounded buffers at the same link rate:
  //     16 + 15 + 2 = 33 ns, 58 ns earlier; alone 1 + 15 + 2 = 18 ns).
  Mesh m("m", 1, 2);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  Window a = m.send(1, 2, 40);
  EXPECT_EQ(a.first, 3000u);
  EXPECT_EQ(a.last, 63000u);
  Window b = m.send(0, 2, 10);
  EXPECT_EQ(b.first, 5000u);  // heads interleave with the earlier stream
  EXPECT_EQ(b.last, 78000u);
  Window c = m.send(0, 1, 10);
  EXPECT_EQ(c.first, 3000u);
  EXPECT_EQ(c.last, 91000u);
  const MeshLinkStats s = m.stats();
  EXPECT_EQ(s.crossings, 4u);  // A: 1->2; B: 0->1, 1->2; C: 0->1
  EXPECT_EQ(s.stalled_crossings, 1u);
  EXPECT_EQ(s.stall_ps, 58000u);
  EXPECT_EQ(s.max_stall_ps, 58000u);
}

TEST(MeshBackpressure, AMulticastCrossingABusyLinkWaitsAndHoldsItsFirstLeg) {
  // The setting above. A path multicast M from router 0 to routers 1 and 2 (broadcast, 10
  // flits to each) replaces B, with and without A's 40 flits on link 1->2.
  //  Alone: link 0->1 carries M's flits 1 .. 16 ns; router 1 takes its copy and forwards in
  //    the same pass: copy 3 .. 18 ns; link 1->2 at 3 .. 18 ns, router 2's copy 5 .. 20 ns.
  //  Behind A: link 1->2 is free at 61 ns; M's flits cross it 61 .. 76 ns, router 2's copy
  //    ends at 78 ns. Flits are copied to both outputs at once, so router 1's copy ends when
  //    the worm's tail leaves, 76 ns (not 18). As for B, link 0->1 is held until 74 ns, so C
  //    (router 0 -> 1, 10 flits, issued after M) ends at 74 + 15 + 2 = 91 ns.
  Mesh alone("alone", 1, 2);
  Mesh busy("busy", 1, 2);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  std::vector<MulticastLeg> legs{{1, 40, {}}, {2, 40, {}}};
  alone.send(0, 1, 10, 0, &legs);
  EXPECT_EQ(legs[0].arrive.first, 3000u);
  EXPECT_EQ(legs[0].arrive.last, 18000u);
  EXPECT_EQ(legs[1].arrive.first, 5000u);
  EXPECT_EQ(legs[1].arrive.last, 20000u);
  EXPECT_EQ(alone.stats().stalled_crossings, 0u);

  busy.send(1, 2, 40);
  legs = {{1, 40, {}}, {2, 40, {}}};
  busy.send(0, 1, 10, 0, &legs);
  EXPECT_EQ(legs[0].arrive.first, 3000u);
  EXPECT_EQ(legs[0].arrive.last, 76000u);
  EXPECT_EQ(legs[1].arrive.first, 5000u);
  EXPECT_EQ(legs[1].arrive.last, 78000u);
  Window c = busy.send(0, 1, 10);
  EXPECT_EQ(c.last, 91000u);
  EXPECT_EQ(busy.stats().stall_ps, 58000u);
  // Counted once per router a flit passes: 10 flits through routers 0, 1 and 2.
  EXPECT_EQ(alone.counts.actions[alone.ids.flit_hop], 30u);
  // Payload bytes: the sender counts the first leg's (Tile::do_send; not here), router 1 the
  // second leg's 40.
  EXPECT_EQ(alone.counts.write_bytes[alone.ids.noc], 40u);
}

}  // namespace
}  // namespace cimsim::cim
