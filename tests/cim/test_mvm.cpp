// One bit-serial MVM on a small crossbar: cycles, counts and energy worked out by hand, and
// the closed form the fabric uses against a step-by-step walk and an event-per-step SystemC
// model.
#include <gtest/gtest.h>

#include <systemc>

#include "cim/cim_test_util.hpp"
#include "cimsim/cim/energy.hpp"
#include "cimsim/cim/mvm.hpp"

namespace cimsim::test {
namespace {

// 8x8 crossbar, 2-bit cells, 4 rows at once (so 2 row groups), 1-bit DAC, one crossbar per
// PE with 2 ADCs at 0.5 GS/s (4 columns each), 10 ns reads; explicit energies.
Json small_crossbar() {
  return Json::parse(R"({
    "clock_ghz": 1,
    "crossbar": {"rows": 8, "cols": 8, "bits_per_cell": 2, "rows_at_once": 4,
                 "read_latency_ns": 10, "read_energy_pj_per_row": 0.5,
                 "program": {"pulse_ns": 100, "energy_pj_per_cell": 1}},
    "dac": {"bits": 1, "energy_pj": 0.1},
    "sample_hold": {"energy_pj": 0.01},
    "adc": {"bits": 4, "sample_rate_gsps": 0.5, "energy_pj": 1.0},
    "shift_add": {"energy_pj": 0.02},
    "pe": {"crossbars": 1, "adcs": 2, "shift_adds": 1},
    "tile": {"pes": 1, "buffer": {"capacity_bytes": 1024},
             "vector_unit": {"lanes": 1, "add_pj": 0, "mul_pj": 0, "mac_pj": 0, "exp_pj": 0, "div_pj": 0}},
    "router": {},
    "chip": {"tiles": 1}
  })");
}

TEST(Mvm, HandComputedCyclesCountsAndEnergy) {
  cim::CimConfig c = parse_cim(small_crossbar());
  cim::MvmModel model(c, 4);  // 4-bit inputs: 4 slices of 1 bit
  cim::PeLoad pe;
  pe.add(cim::XbarUse{8, 8}, 4);
  // Per step: read 10 ns; 8 columns over 2 ADCs = 4 conversions x 2 ns = 8 ns.
  // Steps per vector: 4 slices x 2 row groups = 8. One step = max(10, 8) = 10 ns.
  // Pipeline through the S+H: N steps take N x 10 + min(10, 8) = 10 N + 8 ns.
  cim::MvmTiming t = model.timing(pe);
  EXPECT_EQ(t.step_ps, 10000u);
  EXPECT_EQ(t.fill_ps, 8000u);
  EXPECT_EQ(t.steps_per_vector, 8u);
  EXPECT_EQ(t.run_ps(1), 88000u);
  EXPECT_EQ(t.run_ps(3), 248000u);
  // Counts per vector: each of 8 rows driven once per slice (32); 8 columns x 2 groups x 4
  // slices = 64 samples, conversions and shift-and-adds.
  cim::MvmCounts n = model.counts(pe);
  EXPECT_EQ(n.dac_conversions, 32u);
  EXPECT_EQ(n.row_reads, 32u);
  EXPECT_EQ(n.samples, 64u);
  EXPECT_EQ(n.adc_conversions, 64u);
  EXPECT_EQ(n.shift_adds, 64u);
  // Energy: 32 x 0.1 + 32 x 0.5 + 64 x 0.01 + 64 x 1.0 + 64 x 0.02 = 85.12 pJ.
  cim::EnergyTable e = cim::energy_table(c);
  double pj = n.dac_conversions * e.get("dac", "convert") +
              n.row_reads * e.get("xbar", "read_row") + n.samples * e.get("sample_hold", "sample") +
              n.adc_conversions * e.get("adc", "convert") + n.shift_adds * e.get("shift_add", "op");
  EXPECT_NEAR(pj, 85.12, 1e-9);
}

TEST(Mvm, AdcsSharedByCrossbarsSerialiseTheirColumns) {
  Json j = small_crossbar();
  j["pe"]["crossbars"] = 4;
  j["pe"]["adcs"] = 2;
  cim::CimConfig c = parse_cim(j);
  cim::MvmModel model(c, 4);
  cim::PeLoad pe;
  for (int i = 0; i < 4; ++i) {
    pe.add(cim::XbarUse{8, 8}, 4);
  }
  // Each ADC serves 2 crossbars x 8 columns = 16 conversions x 2 ns = 32 ns > 10 ns read.
  cim::MvmTiming t = model.timing(pe);
  EXPECT_EQ(t.step_ps, 32000u);
  EXPECT_EQ(t.fill_ps, 10000u);
  EXPECT_EQ(t.run_ps(1), 8 * 32000u + 10000u);
}

TEST(Mvm, ClosedFormEqualsStepByStepWalk) {
  struct Case {
    uint32_t crossbars, adcs, rows_at_once, rows, cols, bits;
    double read_ns, rate;
    uint64_t vectors;
  };
  std::vector<Case> cases = {{1, 2, 4, 8, 8, 4, 10, 0.5, 3},    {4, 2, 4, 8, 8, 4, 10, 0.5, 5},
                             {8, 8, 8, 8, 6, 8, 10, 1.0, 7},    {2, 4, 2, 6, 5, 3, 3, 0.25, 4},
                             {4, 1, 8, 8, 8, 16, 100, 1.28, 2}, {8, 16, 4, 8, 7, 2, 5, 2.0, 9}};
  for (const auto& k : cases) {
    Json j = small_crossbar();
    j["pe"]["crossbars"] = k.crossbars;
    j["pe"]["adcs"] = k.adcs;
    j["crossbar"]["rows_at_once"] = k.rows_at_once;
    j["crossbar"]["read_latency_ns"] = k.read_ns;
    j["adc"]["sample_rate_gsps"] = k.rate;
    j["adc"]["bits"] = 8;
    cim::CimConfig c = parse_cim(j);
    cim::MvmModel model(c, k.bits);
    std::vector<cim::XbarUse> xbars(k.crossbars, cim::XbarUse{k.rows, k.cols});
    cim::PeLoad pe;
    for (const auto& x : xbars) {
      pe.add(x, k.rows_at_once);
    }
    auto walk = model.step_by_step(xbars, k.vectors);
    EXPECT_EQ(model.timing(pe).run_ps(k.vectors), walk.time_ps) << "case crossbars " << k.crossbars;
    EXPECT_EQ(model.counts(pe).scaled(k.vectors), walk.counts) << "case crossbars " << k.crossbars;
  }
}

// The MVM as SystemC processes with one event per step: a reader fills the sample-and-holds,
// a converter drains them; the S+H is a one-place buffer between them.
SC_MODULE(EventMvm) {
  uint64_t steps = 0, read_ps = 0, conv_ps = 0;
  uint64_t done_ps = 0;
  sc_core::sc_fifo<int> held{1};
  SC_CTOR(EventMvm) {
    SC_THREAD(reader);
    SC_THREAD(converter);
  }
  void reader() {
    for (uint64_t i = 0; i < steps; ++i) {
      sc_core::wait(sc_core::sc_time(static_cast<double>(read_ps), sc_core::SC_PS));
      held.write(1);  // blocks while the previous sample is still held
    }
  }
  void converter() {
    for (uint64_t i = 0; i < steps; ++i) {
      held.read();
      sc_core::wait(sc_core::sc_time(static_cast<double>(conv_ps), sc_core::SC_PS));
    }
    done_ps = sc_core::sc_time_stamp().value();
  }
};

TEST(Mvm, BatchedEqualsOneEventPerStepInSystemC) {
  cim::CimConfig c = parse_cim(small_crossbar());
  cim::MvmModel model(c, 4);
  cim::PeLoad pe;
  pe.add(cim::XbarUse{8, 8}, 4);
  const uint64_t vectors = 5;
  EventMvm m("event_mvm");
  m.steps = vectors * model.timing(pe).steps_per_vector;
  m.read_ps = model.read_ps();
  m.conv_ps = model.convert_ps(pe);
  sc_core::sc_start();
  EXPECT_EQ(m.done_ps, model.timing(pe).run_ps(vectors));
}

}  // namespace
}  // namespace cimsim::test
