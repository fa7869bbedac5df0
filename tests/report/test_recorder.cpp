// The recorder's aggregation and energy arithmetic, checked against hand-computed values.
#include <gtest/gtest.h>

#include "cimsim/common/error.hpp"
#include "cimsim/report/csv.hpp"
#include "cimsim/report/recorder.hpp"
#include "cimsim/report/report.hpp"

namespace cimsim::report {
namespace {

trace::Op make_op(const std::string& name, int layer, trace::PhaseKind kind, uint32_t step,
                  uint64_t flops) {
  trace::Op op;
  op.name = name;
  op.layer = layer;
  op.kind = trace::OpKind::matmul;
  op.phase = trace::Phase{kind, step};
  op.flops = flops;
  return op;
}

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mac_ = registry_.action("pe", "mac", 2.0, "test");
    read_ = registry_.action("dram", "read", 5.0, "test");
    registry_.component("pe", 0.5, 1.25);   // 0.5 W static
    registry_.component("dram", 1.5, 0.0);  // 1.5 W static
    hbm_ = registry_.link("hbm", "DRAM <-> chip");
  }
  OpCost cost(uint64_t start, uint64_t end, uint64_t macs, uint64_t reads, uint64_t bytes) {
    OpCost c;
    c.start_ps = start;
    c.end_ps = end;
    c.counts.reset(registry_);
    c.counts.actions[mac_] = macs;
    c.counts.actions[read_] = reads;
    c.counts.read_bytes[hbm_] = bytes;
    return c;
  }
  stats::Registry registry_;
  stats::ActionId mac_ = 0, read_ = 0;
  stats::LinkId hbm_ = 0;
};

TEST_F(RecorderTest, AggregatesPhasesLayersOpsAndEnergy) {
  Recorder r(registry_, 2.0);  // 2 GHz: 1 ns = 2 cycles
  // prefill: two ops over [0, 1000) ns; decode.1: [1000, 1400) ns; decode.2: [1400, 1800) ns.
  r.record(make_op("L0.a", 0, trace::PhaseKind::prefill, 0, 100), cost(0, 600000, 10, 1, 64));
  r.record(make_op("L1.a", 1, trace::PhaseKind::prefill, 0, 100), cost(600000, 1000000, 10, 1, 64));
  r.record(make_op("L0.a", 0, trace::PhaseKind::decode, 1, 7), cost(1000000, 1400000, 3, 2, 32));
  r.record(make_op("L0.a", 0, trace::PhaseKind::decode, 2, 7), cost(1400000, 1800000, 3, 2, 32));
  stats::Counts background;
  background.reset(registry_);
  background.actions[read_] = 4;           // e.g. refresh reads nobody asked for
  Json m = r.finish(background, 2000000);  // the run ends at 2 us

  // Totals: macs 26 x 2 pJ = 52 pJ; reads (6 + 4) x 5 pJ = 50 pJ; static 2 W x 2 us = 4 uJ.
  EXPECT_EQ(m["totals"]["cycles"], 4000u);
  EXPECT_DOUBLE_EQ(m["totals"]["seconds"].get<double>(), 2e-6);
  EXPECT_NEAR(m["totals"]["dynamic_energy_j"].get<double>(), 102e-12, 1e-24);
  EXPECT_NEAR(m["totals"]["static_energy_j"].get<double>(), 4e-6, 1e-18);
  EXPECT_EQ(m["totals"]["flops"], 214u);
  EXPECT_EQ(m["totals"]["bytes"]["hbm"]["read"], 192u);
  EXPECT_EQ(m["totals"]["bytes"]["hbm"]["write"], 0u);

  ASSERT_EQ(m["phases"].size(), 3u);
  EXPECT_EQ(m["phases"][0]["phase"], "prefill");
  EXPECT_EQ(m["phases"][0]["cycles"], 2000u);
  EXPECT_EQ(m["phases"][2]["phase"], "decode.2");
  // decode.2 energy: 3 x 2 + 2 x 5 = 16 pJ dynamic, 2 W x 0.4 us = 0.8 uJ static.
  EXPECT_NEAR(m["phases"][2]["energy_j"].get<double>(), 0.8e-6 + 16e-12, 1e-18);

  EXPECT_DOUBLE_EQ(m["latency"]["time_to_first_token_s"].get<double>(), 1e-6);
  EXPECT_NEAR(m["latency"]["time_per_output_token_s"].get<double>(), 0.4e-6, 1e-18);

  // Per op name and phase kind: L0.a in decode aggregates both steps.
  ASSERT_EQ(m["ops"].size(), 3u);
  EXPECT_EQ(m["ops"][2]["name"], "L0.a");
  EXPECT_EQ(m["ops"][2]["phase_kind"], "decode");
  EXPECT_EQ(m["ops"][2]["count"], 2u);
  EXPECT_EQ(m["ops"][2]["busy_cycles"], 1600u);
  EXPECT_EQ(m["ops"][2]["flops"], 14u);

  ASSERT_EQ(m["layers"].size(), 2u);
  EXPECT_EQ(m["layers"][0]["layer"], 0);
  EXPECT_EQ(m["layers"][0]["count"], 3u);

  // Components: pe = 52 pJ + 0.5 W x 2 us; dram = 50 pJ + 1.5 W x 2 us.
  ASSERT_EQ(m["components"].size(), 2u);
  EXPECT_NEAR(m["components"][0]["energy_j"].get<double>(), 1e-6 + 52e-12, 1e-18);
  EXPECT_EQ(m["components"][0]["area_mm2"], 1.25);
  EXPECT_EQ(m["components"][1]["actions"]["read"]["count"], 10u);
}

TEST_F(RecorderTest, SetupIsReportedOutsideTheTotals) {
  Recorder r(registry_, 1.0);
  r.record_setup("program weights", cost(0, 5000, 100, 0, 1000));
  r.record(make_op("L0.a", 0, trace::PhaseKind::encode, 0, 1), cost(5000, 6000, 1, 0, 0));
  stats::Counts none;
  none.reset(registry_);
  Json m = r.finish(none, 6000);
  EXPECT_EQ(m["setup"][0]["label"], "program weights");
  EXPECT_EQ(m["setup"][0]["bytes"]["hbm"]["read"], 1000u);
  EXPECT_EQ(m["totals"]["bytes"]["hbm"]["read"], 0u);
  EXPECT_EQ(m["totals"]["ops"], 1u);
}

TEST_F(RecorderTest, CsvTablesHaveARowPerMachineEntry) {
  Recorder r(registry_, 1.0);
  r.record(make_op("L0.a", 0, trace::PhaseKind::encode, 0, 5), cost(0, 1000, 1, 1, 8));
  stats::Counts none;
  none.reset(registry_);
  Json machine = r.finish(none, 1000);
  machine["name"] = "m,1";  // a comma forces quoting
  machine["type"] = "test";
  Json report{{"machines", Json::array({machine})}};
  std::string ops = csv_table(report, "ops");
  EXPECT_EQ(ops,
            "machine,name,kind,layer,phase_kind,count,busy_cycles,busy_seconds,dynamic_energy_j,"
            "flops,hbm_read_bytes,hbm_write_bytes\n"
            "\"m,1\",L0.a,matmul,0,encode,1,1,1e-09,7e-12,5,8,0\n");
  EXPECT_THROW(csv_table(report, "nope"), InputError);
}

}  // namespace
}  // namespace cimsim::report
