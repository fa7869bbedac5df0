// Multi-chip CIM (docs/parallelism.md, "On a CIM fabric"): the chip-to-chip network's time,
// bytes and energy against hand-computed values from the presets' cited link figures, and the
// report's own `chip_link` link and component for a model spread over two chips.
#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <vector>

#include "cim/cim_test_util.hpp"
#include "cimsim/cim/energy.hpp"
#include "cimsim/cim/noc.hpp"

namespace cimsim::cim {
namespace {

using test::make_fabric;
using test::preset;
using test::TinyMode;
using test::TinyModel;
using test::TinyRun;
using test::TinyTrace;

const TinyModel kModel{4, 256, 4, 4, 64, 1024, 1000};

// Stands in for the gateway routers: a packet that arrives is where it was going.
struct Sink : sc_core::sc_module {
  tlm_utils::simple_target_socket<Sink> in;
  uint32_t arrived = 0;
  explicit Sink(const sc_core::sc_module_name& name) : sc_core::sc_module(name), in("in") {
    in.register_b_transport(this, &Sink::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload&, sc_core::sc_time&) { ++arrived; }
};

struct Source : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Source> out;
  explicit Source(const sc_core::sc_module_name& name) : sc_core::sc_module(name), out("out") {}
};

double action_energy_pj(const stats::Registry& r, const char* component, const char* action) {
  for (const auto& a : r.actions()) {
    if (a.component == component && a.action == action) {
      return a.energy_pj;
    }
  }
  return -1;
}

TEST(ChipLinks, CrossingsCostTheLinksLatencyBandwidthAndEnergyPerBit) {
  // ISAAC's chip links (configs/machines/isaac.json, ISAAC Table II): 6.4 GB/s per link, 20 ns
  // per crossing (assumed there), 2.6 W per link of which 2.34 W static (drawn all the time):
  // a byte crossing costs (2600 - 2340) mW / 6.4 GB/s = 40.625 pJ. Four chips with four links
  // each form a 2 x 2 mesh (XY routing).
  const CimConfig cfg = preset("isaac");
  const uint32_t chips = 4;
  stats::Registry registry;
  const Actions ids = declare_fabric(cfg, chips, registry);
  EXPECT_DOUBLE_EQ(action_energy_pj(registry, "chip_link", "byte"), (2600.0 - 2340.0) / 6.4);
  Topology topo(cfg, chips);
  ASSERT_EQ(topo.chip_hops(0, 3), 2u);
  NocContext ctx{&cfg, &topo, &ids, 1000};
  ChipNetwork net("chip_net", ctx);
  Source src("src");
  src.out.bind(net.in);
  std::vector<std::unique_ptr<Sink>> sinks;
  for (uint32_t c = 0; c < chips; ++c) {
    sinks.push_back(std::make_unique<Sink>(("sink" + std::to_string(c)).c_str()));
    net.out.bind(sinks.back()->in);
  }
  sc_core::sc_start(sc_core::SC_ZERO_TIME);  // completes the sockets' binding

  stats::Counts counts;
  counts.reset(registry);
  auto send = [&](uint32_t from_chip, uint32_t to_chip, uint64_t bytes) {
    Packet p;
    p.dst_router = topo.gateway(to_chip);
    p.bytes = bytes;
    p.counts = &counts;
    tlm::tlm_generic_payload payload;
    payload.set_extension(&p);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    // The network learns the chip a packet comes from by the socket index it arrives on; one
    // source stands in for chip 0's gateway.
    EXPECT_EQ(from_chip, 0u);
    src.out->b_transport(payload, delay);
    payload.clear_extension(&p);
    return p.window;
  };
  // 4096 bytes from chip 0 to chip 3: two crossings, cut through (the head moves on after
  // the latency): first byte at 2 x 20 ns, last at 4096 B / 6.4 GB/s + 2 x 20 ns = 680 ns.
  Window w = send(0, 3, 4096);
  EXPECT_EQ(w.first, 40000u);
  EXPECT_EQ(w.last, 680000u);
  EXPECT_EQ(counts.write_bytes[ids.chip_link], 2u * 4096u);  // payload bytes per crossing
  EXPECT_EQ(counts.actions[ids.chip_link_byte], 2u * 4096u);
  // Then 4096 bytes to chip 1 over the same first link (XY: east first): its tail waits for
  // the 640 ns the first packet holds that link: 640 + 640 + 20 ns.
  w = send(0, 1, 4096);
  EXPECT_EQ(w.first, 20000u);
  EXPECT_EQ(w.last, 1300000u);
  EXPECT_EQ(counts.write_bytes[ids.chip_link], 3u * 4096u);
  EXPECT_EQ(sinks[3]->arrived + sinks[1]->arrived, 2u);
}

TEST(ChipLinks, AModelOnTwoChipsShowsItsChipLinkBytesAndEnergyInTheReport) {
  // sram-dcim's die-to-die links cite UCIe 1.0 targets: 0.5 pJ per bit = 4 pJ per byte. Tiles
  // cut to 8 per chip so that the tiny model needs two chips; the report's chip_link energy
  // is its bytes x 4 pJ.
  auto cfg = preset("sram-dcim", Json::parse(R"({"chips": 2, "chip": {"tiles": 8}})"));
  auto f = make_fabric(cfg, "two");
  TinyTrace t(kModel, TinyRun{TinyMode::decoder, 16, 2, 1});
  f->start(t.source());
  sc_core::sc_start();
  Json r = f->report();
  const uint64_t bytes = r["totals"]["bytes"]["chip_link"]["write"].get<uint64_t>();
  EXPECT_GT(bytes, 0u);
  double energy_j = -1;
  for (const auto& c : r["components"]) {
    if (c["name"] == "chip_link") {
      EXPECT_EQ(c["actions"]["byte"]["count"].get<uint64_t>(), bytes);
      energy_j = c["actions"]["byte"]["energy_j"].get<double>();
    }
  }
  EXPECT_NEAR(energy_j, static_cast<double>(bytes) * 4e-12, 1e-18 * static_cast<double>(bytes));
}

}  // namespace
}  // namespace cimsim::cim
