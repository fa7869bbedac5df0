// The PE's MVM stages walked event by event (mvm_pipeline.hpp): equal to the closed form when
// no stage can stall, and stalls worked out by hand when one can (a shared ADC holding the
// crossbar, an input register of one vector, an output register that drains slowly).
#include <gtest/gtest.h>

#include <random>

#include "cim/cim_test_util.hpp"
#include "cimsim/cim/energy.hpp"
#include "cimsim/cim/mvm.hpp"
#include "cimsim/cim/mvm_pipeline.hpp"

namespace cimsim::test {
namespace {

constexpr uint64_t kNs = 1000;  // ps

std::vector<uint64_t> all_at_zero(size_t vectors) {
  return std::vector<uint64_t>(vectors, 0);
}

// 8 steps per vector of a 10 ns read and 8 ns of conversions: read-bound, 80 ns per vector.
cim::MvmStages small_stages() {
  cim::MvmStages s;
  s.steps_per_vector = 8;
  s.read_ps = 10 * kNs;
  s.convert_ps = 8 * kNs;
  return s;
}

// One ISAAC IMA holding a 128x128 16-bit weight: 8 crossbars of 128 rows x 128 columns.
cim::PeLoad isaac_ima(const cim::CimConfig& c) {
  cim::PeLoad pe;
  for (uint32_t i = 0; i < c.pe.crossbars; ++i) {
    pe.add(cim::XbarUse{128, 128}, c.rows_at_once());
  }
  return pe;
}

TEST(MvmPipeline, UncontendedWalkEqualsTheClosedForm) {
  struct Case {
    const char* machine;
    Json patch;
    uint32_t bits;
    uint64_t vectors;
  };
  std::vector<Case> cases = {
      {"isaac", Json::object(), 16, 5},
      {"isaac", Json::parse(R"({"pe": {"adcs": 4}})"), 16, 3},                  // ADC-bound
      {"isaac", Json::parse(R"({"adc": {"sample_rate_gsps": 2.56}})"), 16, 4},  // read-bound
      {"puma", Json::object(), 16, 4},                                          // extra latency
      {"isaac", Json::parse(R"({"dac": {"bits": 2}, "crossbar": {"rows_at_once": 32}})"), 8, 6},
  };
  for (const auto& k : cases) {
    cim::CimConfig c = preset(k.machine, k.patch);
    cim::MvmModel model(c, k.bits);
    cim::PeLoad pe = isaac_ima(c);
    cim::MvmStages st = model.stages(pe, 128 * k.bits / 8, 256);
    ASSERT_TRUE(cim::closed_form_holds(st)) << k.machine << " " << k.patch.dump();
    cim::MvmTiming t = model.timing(pe);
    cim::PipelineRun r = cim::walk_pipeline(st, all_at_zero(k.vectors));
    for (uint64_t v = 0; v < k.vectors; ++v) {
      EXPECT_EQ(r.result_ps[v], t.fill_ps + (v + 1) * t.per_vector_ps()) << k.patch.dump();
    }
    EXPECT_EQ(r.done_ps, t.run_ps(k.vectors));
    // Nothing waits on a register: the ADCs never hold a step for an OR slot, the OR never
    // holds a vector, the crossbar is never starved of inputs. (A vector may wait in the
    // tile for an IR slot, as PUMA's one-vector IR makes it, at no cost: it is written in
    // no time the moment the slot frees.)
    EXPECT_EQ(r.adc.stalled_ps + r.output_register.stalled_ps + r.crossbar.starved_ps, 0u)
        << k.machine << " " << k.patch.dump();
  }
}

// ISAAC (Table II, Sec. III): one 8-bit ADC per crossbar converts its 128 columns at 1.28 GS/s
// in 100 ns, exactly one crossbar read: the crossbar and the ADCs never wait for each other.
// With 4 ADCs per IMA, each shared by two crossbars, a step's conversions take 256 / 1.28 GS/s
// = 200 ns: every read after the first ends 100 ns before the sample-and-holds are free and
// holds the crossbar for those 100 ns.
TEST(MvmPipeline, SharedAdcsStallTheCrossbar) {
  cim::CimConfig balanced = preset("isaac");
  cim::MvmModel m1(balanced, 16);
  cim::MvmStages s1 = m1.stages(isaac_ima(balanced), 256, 256);
  EXPECT_EQ(s1.read_ps, 100 * kNs);
  EXPECT_EQ(s1.convert_ps, 100 * kNs);
  cim::PipelineRun r1 = cim::walk_pipeline(s1, all_at_zero(1));
  EXPECT_EQ(r1.done_ps, 1700 * kNs);  // 16 reads of 100 ns + the last step's 100 ns of ADC
  EXPECT_EQ(r1.crossbar.stalled_ps, 0u);
  EXPECT_EQ(r1.adc.starved_ps, 0u);

  cim::CimConfig shared = preset("isaac", Json::parse(R"({"pe": {"adcs": 4}})"));
  cim::MvmModel m2(shared, 16);
  cim::MvmStages s2 = m2.stages(isaac_ima(shared), 256, 256);
  EXPECT_EQ(s2.convert_ps, 200 * kNs);
  cim::PipelineRun r2 = cim::walk_pipeline(s2, all_at_zero(1));
  // Read 0: 0-100 ns, converted 100-300; read k >= 1 starts when step k-1 is latched, at
  // 100 + 200 (k - 1), ends 100 ns later and waits until 100 + 200 k: 15 stalls of 100 ns.
  EXPECT_EQ(r2.done_ps, 100 * kNs + 16 * 200 * kNs);
  EXPECT_EQ(r2.crossbar.stalled_ps, 15 * 100 * kNs);
  EXPECT_EQ(r2.crossbar.busy_ps, 16 * 100 * kNs);
  EXPECT_EQ(r2.adc.busy_ps, 16 * 200 * kNs);
  EXPECT_EQ(r2.adc.starved_ps, 0u);
}

// An input register that holds one vector cannot take the next one before the crossbars have
// read the last input slice of the current one: the fill no longer overlaps the reads.
TEST(MvmPipeline, InputRegisterOfOneVectorStallsTheCrossbar) {
  cim::MvmStages s = small_stages();
  s.ir_fill_ps = 30 * kNs;
  s.ir_slots = 1;
  EXPECT_FALSE(cim::closed_form_holds(s));
  cim::PipelineRun r = cim::walk_pipeline(s, all_at_zero(2));
  // Vector 0: IR 0-30; read k 30+10k .. 40+10k, converted 40+10k .. 48+10k; done at 118.
  EXPECT_EQ(r.result_ps[0], 118 * kNs);
  // Its last step leaves the crossbar at 110 (latched): IR 110-140, vector 1 done 140 + 88.
  EXPECT_EQ(r.result_ps[1], 228 * kNs);
  EXPECT_EQ(r.input_register.stalled_ps, 80 * kNs);  // written by 30, the slot free at 110
  EXPECT_EQ(r.crossbar.starved_ps, 30 * kNs);

  s.ir_slots = 2;  // double-buffered: vector 1 is written at 30-60, read from 110
  EXPECT_TRUE(cim::closed_form_holds(s));
  r = cim::walk_pipeline(s, all_at_zero(2));
  EXPECT_EQ(r.result_ps[0], 118 * kNs);
  EXPECT_EQ(r.result_ps[1], 198 * kNs);  // 30 ns fill + the closed form 8 + 2 x 80
  EXPECT_EQ(r.crossbar.starved_ps, 0u);
}

// An output register that drains slower than a vector's steps holds back the ADCs (a vector's
// partial sums need a free slot), then the sample-and-holds, then the crossbar.
TEST(MvmPipeline, SlowOutputRegisterDrainStallsTheAdcsAndTheCrossbar) {
  cim::MvmStages s = small_stages();
  s.drain_ps = 100 * kNs;
  s.or_slots = 1;
  EXPECT_FALSE(cim::closed_form_holds(s));
  cim::PipelineRun r = cim::walk_pipeline(s, all_at_zero(2));
  // Vector 0: last conversion ends at 88, drained 88-188.
  EXPECT_EQ(r.result_ps[0], 188 * kNs);
  // Vector 1: read 0 runs 80-90 and is held until the OR is free at 188 (98 ns, the ADCs
  // ready since 90 wait as long); then read-bound: its last conversion 258-266, drained
  // 266-366.
  EXPECT_EQ(r.adc.stalled_ps, 98 * kNs);
  EXPECT_EQ(r.crossbar.stalled_ps, 98 * kNs);
  EXPECT_EQ(r.result_ps[1], 366 * kNs);

  s.or_slots = 2;  // vector 1 accumulates while vector 0 drains; the drain is the bottleneck
  r = cim::walk_pipeline(s, all_at_zero(3));
  EXPECT_EQ(r.result_ps[1], 288 * kNs);  // done accumulating at 168, drained 188-288
  // Vector 2's first step is read 160-170 but needs vector 0's slot, free at 188: the ADCs
  // and the crossbar wait 18 ns; then read-bound to 266, drained after vector 1, 288-388.
  EXPECT_EQ(r.adc.stalled_ps, 18 * kNs);
  EXPECT_EQ(r.crossbar.stalled_ps, 18 * kNs);
  EXPECT_EQ(r.result_ps[2], 388 * kNs);
  EXPECT_EQ(r.output_register.stalled_ps, (188 - 168 + 288 - 266) * kNs);

  s.drain_ps = 50 * kNs;  // drain within a vector's 80 ns: hidden, latency + 50
  EXPECT_TRUE(cim::closed_form_holds(s));
  r = cim::walk_pipeline(s, all_at_zero(3));
  EXPECT_EQ(r.result_ps[2], (8 + 50 + 3 * 80) * kNs);
}

// Back-to-back MVMs on one ISAAC IMA pipeline through the stages: 1.7 us for the first
// result, then one every 1.6 us; inputs that come slower than that are each done 1.7 us after
// they arrive.
TEST(MvmPipeline, BackToBackMvmsPipeline) {
  cim::CimConfig c = preset("isaac");
  cim::MvmModel model(c, 16);
  cim::MvmStages s = model.stages(isaac_ima(c), 256, 256);
  EXPECT_EQ(s.ir_slots, 8u);  // 2 KB input register, 128 16-bit inputs per vector
  EXPECT_EQ(s.or_slots, 1u);  // 256 B output register, 128 16-bit outputs
  cim::PipelineRun r = cim::walk_pipeline(s, all_at_zero(4));
  EXPECT_EQ(r.result_ps, (std::vector<uint64_t>{1700 * kNs, 3300 * kNs, 4900 * kNs, 6500 * kNs}));
  r = cim::walk_pipeline(s, {0, 2000 * kNs, 4000 * kNs});
  EXPECT_EQ(r.result_ps, (std::vector<uint64_t>{1700 * kNs, 3700 * kNs, 5700 * kNs}));
  EXPECT_EQ(r.crossbar.starved_ps, 2 * 400 * kNs);  // idle 1.6 -> 2.0 us and 3.6 -> 4.0 us
}

// Whenever closed_form_holds() says so, the walk is the closed form with the IR fill, the
// shift-and-add and the drain added to the first result's latency (a property over random
// stage times; the cases it rejects must differ somewhere, or the check is too strict).
TEST(MvmPipeline, ClosedFormHoldsExactlyWhenTheCheckSaysSo) {
  std::mt19937 rng(16);
  auto pick = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  int held = 0, differed = 0;
  for (int i = 0; i < 2000; ++i) {
    cim::MvmStages s;
    s.steps_per_vector = static_cast<uint32_t>(pick(1, 6));
    s.read_ps = pick(1, 20);
    s.convert_ps = pick(0, 20);
    s.ir_fill_ps = pick(0, 3) == 0 ? 0 : pick(1, 60);
    s.ir_slots = static_cast<uint32_t>(pick(1, 3));
    s.shift_add_ps = pick(0, 3);
    s.drain_ps = pick(0, 2) == 0 ? 0 : pick(1, 60);
    s.or_slots = static_cast<uint32_t>(pick(1, 3));
    s.extra_ps = pick(0, 5);
    const uint64_t vectors = pick(1, 6);
    cim::PipelineRun r = cim::walk_pipeline(s, all_at_zero(vectors));
    const uint64_t step = std::max(s.read_ps, s.convert_ps);
    const uint64_t fill =
        std::min(s.read_ps, s.convert_ps) + s.extra_ps + s.ir_fill_ps + s.shift_add_ps + s.drain_ps;
    bool same = true;
    for (uint64_t v = 0; v < vectors; ++v) {
      same = same && r.result_ps[v] == fill + (v + 1) * s.steps_per_vector * step;
    }
    if (cim::closed_form_holds(s)) {
      ++held;
      EXPECT_TRUE(same) << "case " << i;
    } else if (!same) {
      ++differed;
    }
  }
  EXPECT_GT(held, 200);
  EXPECT_GT(differed, 200);
}

// One 128x128 MVM of 16-bit weights and inputs on an ISAAC IMA against ISAAC's Table II: the
// IMA draws 24.08 mW at full activity, and a vector keeps it fully active for 16 reads of
// 100 ns in the steady state (1.6 us), so 24.08 mW x 1.6 us = 38.53 nJ per MVM.
TEST(MvmPipeline, IsaacMvmEnergyIsTheTablesImaPowerOverSixteenReads) {
  cim::CimConfig c = preset("isaac");
  cim::MvmModel model(c, 16);
  cim::PeLoad pe = isaac_ima(c);
  cim::MvmCounts n = model.counts(pe);
  cim::EnergyTable e = cim::energy_table(c);
  double dyn_pj =
      n.dac_conversions * e.get("dac", "convert") + n.row_reads * e.get("xbar", "read_row") +
      n.samples * e.get("sample_hold", "sample") + n.adc_conversions * e.get("adc", "convert") +
      n.shift_adds * e.get("shift_add", "op") +
      (n.dac_conversions / 256.0) * e.get("pe.input_register", "access") +
      (n.adc_conversions * 16 / 256.0) * e.get("pe.output_register", "access");
  double period_us = static_cast<double>(model.timing(pe).per_vector_ps()) * 1e-6;
  double static_pj = cim::budget_totals(c, false).pe_static_mw * period_us * 1e3;
  EXPECT_NEAR(period_us, 1.6, 1e-12);
  EXPECT_NEAR((dyn_pj + static_pj) * 1e-3, 24.08 * 1.6, 1e-6);  // nJ
}

}  // namespace
}  // namespace cimsim::test
