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

// One PE (an ISAAC IMA, a PUMA MVMU) holding a 128x128 16-bit weight: 8 crossbars of 128
// rows x 128 columns (16 weights per row in 8 2-bit cells).
cim::PeLoad one_pe_128x128(const cim::CimConfig& c) {
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
    cim::PeLoad pe = one_pe_128x128(c);
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
  cim::MvmStages s1 = m1.stages(one_pe_128x128(balanced), 256, 256);
  EXPECT_EQ(s1.read_ps, 100 * kNs);
  EXPECT_EQ(s1.convert_ps, 100 * kNs);
  cim::PipelineRun r1 = cim::walk_pipeline(s1, all_at_zero(1));
  EXPECT_EQ(r1.done_ps, 1700 * kNs);  // 16 reads of 100 ns + the last step's 100 ns of ADC
  EXPECT_EQ(r1.crossbar.stalled_ps, 0u);
  EXPECT_EQ(r1.adc.starved_ps, 0u);

  cim::CimConfig shared = preset("isaac", Json::parse(R"({"pe": {"adcs": 4}})"));
  cim::MvmModel m2(shared, 16);
  cim::MvmStages s2 = m2.stages(one_pe_128x128(shared), 256, 256);
  EXPECT_EQ(s2.convert_ps, 200 * kNs);
  cim::PipelineRun r2 = cim::walk_pipeline(s2, all_at_zero(1));
  // Read 0: 0-100 ns, converted 100-300; read k >= 1 starts when step k-1 is latched, at
  // 100 + 200 (k - 1), ends 100 ns later and waits until 100 + 200 k: 15 stalls of 100 ns.
  EXPECT_EQ(r2.done_ps, 100 * kNs + kNs * 16 * 200);
  EXPECT_EQ(r2.crossbar.stalled_ps, kNs * 15 * 100);
  EXPECT_EQ(r2.crossbar.busy_ps, kNs * 16 * 100);
  EXPECT_EQ(r2.adc.busy_ps, kNs * 16 * 200);
  EXPECT_EQ(r2.adc.starved_ps, 0u);
  // Sharing fixed by the wiring of one PE's lockstep crossbars is no interference: mvm.hpp's
  // closed form already charges the busiest ADC's 256 conversions per step.
  EXPECT_EQ(m2.timing(one_pe_128x128(shared)).run_ps(1), r2.done_ps);
  // Against the same MVM with its ADCs free (one per crossbar): + 16 x (200 - 100) ns.
  EXPECT_EQ(r2.done_ps - m1.timing(one_pe_128x128(balanced)).run_ps(1), kNs * 16 * 100);
}

// Two crossbars running independent MVMs (4 steps each, 10 ns reads) on one ADC that
// converts a step in 8 ns. Alone, each has its ADC free: the closed form 4 x 10 + 8 = 48 ns.
// Shared, both start at 0 (the ADC takes ties in index order):
//   A: ready 10, converted 10-18; reads 10-20.   B: ready 10, converted 18-26; reads 18-28.
//   A: ready 20, converted 26-34; reads 26-36.   B: ready 28, converted 34-42; reads 34-44.
//   A: ready 36, converted 42-50; reads 42-52.   B: ready 44, converted 50-58; reads 50-60.
//   A: ready 52, converted 58-66: done at 66.    B: ready 60, converted 66-74: done at 74.
// A is 18 ns and B 26 ns later than the closed form; both within mvm.hpp's lockstep bound for
// two crossbars on one ADC (10 + 4 x 16 = 74 ns).
TEST(MvmPipeline, AnAdcSharedByTwoCrossbarsDelaysBoth) {
  cim::AdcClient a{4, 0, 10 * kNs, 8 * kNs};
  const uint64_t alone = cim::walk_shared_adcs({a}).at(0);
  EXPECT_EQ(alone, (4 * 10 + 8) * kNs);
  std::vector<uint64_t> both = cim::walk_shared_adcs({a, a});
  EXPECT_EQ(both, (std::vector<uint64_t>{66 * kNs, 74 * kNs}));
  EXPECT_EQ(both[0] - alone, 18 * kNs);
  EXPECT_EQ(both[1] - alone, 26 * kNs);
  // B starting once A is done finds the ADC free: the closed form again, shifted.
  cim::AdcClient late = a;
  late.start_ps = 48 * kNs;
  EXPECT_EQ(cim::walk_shared_adcs({a, late}), (std::vector<uint64_t>{48 * kNs, 96 * kNs}));
  // Agrees with the one-PE walk when there is one client.
  cim::MvmStages st;
  st.steps_per_vector = 4;
  st.read_ps = 10 * kNs;
  st.convert_ps = 8 * kNs;
  EXPECT_EQ(cim::walk_pipeline(st, all_at_zero(1)).done_ps, alone);
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
  // The closed form with the fill as latency gives 30 + 8 + 2 x 80 = 198: the walk is the
  // fill's 30 ns later, the time the crossbar waits for vector 1.
  EXPECT_EQ(r.result_ps[1] - (30 + 8 + 2 * 80) * kNs, 30 * kNs);
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
  // The closed form with the drain as latency gives 8 + 100 + 2 x 80 = 268: the OR that is not
  // drained in time costs vector 1 the 98 ns its first conversion waited.
  EXPECT_EQ(r.result_ps[1] - (8 + 100 + 2 * 80) * kNs, 98 * kNs);

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
  cim::MvmStages s = model.stages(one_pe_128x128(c), 256, 256);
  EXPECT_EQ(s.ir_slots, 8u);  // 2 KB input register, 128 16-bit inputs per vector
  EXPECT_EQ(s.or_slots, 1u);  // 256 B output register, 128 16-bit outputs
  cim::PipelineRun r = cim::walk_pipeline(s, all_at_zero(4));
  EXPECT_EQ(r.result_ps, (std::vector<uint64_t>{1700 * kNs, 3300 * kNs, 4900 * kNs, 6500 * kNs}));
  r = cim::walk_pipeline(s, {0, 2000 * kNs, 4000 * kNs});
  EXPECT_EQ(r.result_ps, (std::vector<uint64_t>{1700 * kNs, 3700 * kNs, 5700 * kNs}));
  EXPECT_EQ(r.crossbar.starved_ps, kNs * 2 * 400);  // idle 1.6 -> 2.0 us and 3.6 -> 4.0 us
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

// One 128x128 MVM of 16-bit weights and 16-bit inputs on one PE (docs/cim.md, "One 128x128
// MVM against ISAAC and PUMA"): its latency as each paper describes the operation.
//   ISAAC (Shafiee et al. 2016, Sec. III-IV, Table II's 100 ns cycle): the 16 input bits go
//   through the crossbar one per 100 ns read; each read's 128 columns are converted by the
//   crossbar's own 8-bit ADC at 1.28 GS/s (128 / 1.28 = 100 ns) while the next read runs, so
//   the last conversion ends one cycle after the 16th read: (16 + 1) x 100 ns = 1,700 ns.
//   PUMA (Ankit et al. 2019; puma-simulator ima.py xbComputeLatency, wiki "PUMA Core": MVM
//   2304 = (16 + 2) x 128): three stages of one 128-cycle crossbar read at 1 GHz (IR + DAC +
//   crossbar, S&H + ADC, shift-and-add + OR), 16 input bits: (16 + 3 - 1) x 128 = 2,304 ns.
TEST(MvmPipeline, OneMvmLatencyIsThePapers) {
  struct Case {
    const char* machine;
    uint64_t paper_ns;
  };
  for (const Case& k :
       {Case{"isaac", uint64_t{16 + 1} * 100}, Case{"puma", uint64_t{16 + 3 - 1} * 128}}) {
    cim::CimConfig c = preset(k.machine);
    cim::MvmModel model(c, 16);
    cim::PeLoad pe = one_pe_128x128(c);
    cim::MvmStages st = model.stages(pe, 256, 256);
    EXPECT_EQ(model.timing(pe).run_ps(1), k.paper_ns * kNs) << k.machine;
    EXPECT_EQ(cim::walk_pipeline(st, all_at_zero(1)).done_ps, k.paper_ns * kNs) << k.machine;
  }
}

// Dynamic energy of one MVM on one PE from cimsim's energy table (the actions the tile
// charges, tile.cpp), and the PE's static energy over `period_us`.
double mvm_energy_nj(const cim::CimConfig& c, const cim::MvmModel& model, const cim::PeLoad& pe,
                     double period_us) {
  cim::MvmCounts n = model.counts(pe);
  cim::EnergyTable e = cim::energy_table(c);
  const double ir_accesses =
      static_cast<double>(n.dac_conversions) * c.dac.bits / c.pe.input_register.width_bits;
  const double or_accesses =
      static_cast<double>(n.adc_conversions) * 16 / c.pe.output_register.width_bits;
  double dyn_pj =
      n.dac_conversions * e.get("dac", "convert") + n.row_reads * e.get("xbar", "read_row") +
      n.samples * e.get("sample_hold", "sample") + n.adc_conversions * e.get("adc", "convert") +
      n.shift_adds * e.get("shift_add", "op") + ir_accesses * e.get("pe.input_register", "access") +
      or_accesses * e.get("pe.output_register", "access");
  double static_pj = cim::budget_totals(c, false).pe_static_mw * period_us * 1e3;
  return (dyn_pj + static_pj) * 1e-3;
}

// ISAAC's Table II: the IMA draws 24.08 mW at full activity, and a vector keeps it fully
// active for 16 reads of 100 ns in the steady state (1.6 us): 24.08 mW x 1.6 us = 38.53 nJ.
TEST(MvmPipeline, IsaacMvmEnergyIsTheTablesImaPowerOverSixteenReads) {
  cim::CimConfig c = preset("isaac");
  cim::MvmModel model(c, 16);
  cim::PeLoad pe = one_pe_128x128(c);
  double period_us = static_cast<double>(model.timing(pe).per_vector_ps()) * 1e-6;
  EXPECT_NEAR(period_us, 1.6, 1e-12);
  EXPECT_NEAR(mvm_energy_nj(c, model, pe, period_us), 24.08 * 1.6, 1e-6);
}

// PUMA states no energy per MVM; its simulator's constants.py lists the MVMU's parts (power =
// dynamic + leakage, mW): 8 crossbars x 0.3, 1,024 1-bit DACs x (0.00350625 + 0.000390625),
// 1,024 S&Hs x 9.7e-6, 8 ADCs x 2.0, one shift-and-add 0.05, input register 1.74, output
// register 0.2: 24.3903 mW, all busy for 16 steps of 128 ns (2.048 us): 49.95 nJ.
TEST(MvmPipeline, PumaMvmEnergyIsTheMvmuPowerOverSixteenSteps) {
  cim::CimConfig c = preset("puma");
  cim::MvmModel model(c, 16);
  cim::PeLoad pe = one_pe_128x128(c);
  double period_us = static_cast<double>(model.timing(pe).per_vector_ps()) * 1e-6;
  EXPECT_NEAR(period_us, 2.048, 1e-12);
  const double mvmu_mw =
      8 * 0.3 + 1024 * (0.00350625 + 0.000390625) + 1024 * 9.7e-6 + 8 * 2.0 + 0.05 + 1.74 + 0.2;
  EXPECT_NEAR(mvm_energy_nj(c, model, pe, period_us), mvmu_mw * 2.048, 1e-6);
}

}  // namespace
}  // namespace cimsim::test
