// The fabric end to end on hand-built traces: reprogramming when the model does not fit,
// the dynamic-matmul policies, KV-cache placement, endurance, and the report's sections.
#include <gtest/gtest.h>

#include "cim/cim_test_util.hpp"

namespace cimsim::test {
namespace {

const TinyModel kModel{4, 256, 4, 4, 64, 1024, 1000};

TEST(Fabric, ModelLargerThanFixedChipsIsReprogrammedWithCountedWrites) {
  // Two tiles hold a quarter of the weights: every decode step reloads every layer.
  auto small = preset("isaac", Json::parse(R"({"chips": 1, "chip": {"tiles": 8}})"));
  auto big = preset("isaac", Json::parse(R"({"chip": {"tiles": 8}, "replication": "none"})"));
  auto f_small = make_fabric(small, "small");
  auto f_big = make_fabric(big, "big");
  TinyTrace t(kModel, TinyRun{TinyMode::decoder, 8, 4, 1});
  f_small->start(t.source());
  f_big->start(t.source());
  sc_core::sc_start();
  ASSERT_TRUE(f_small->done() && f_big->done());
  ASSERT_FALSE(f_small->mapping().fits);
  ASSERT_TRUE(f_big->mapping().fits);
  Json rs = f_small->report(), rb = f_big->report();
  const Json& prog = rs["metrics"]["programming"];
  EXPECT_GT(prog["inference_reprogrammed_strips"].get<uint64_t>(), 0u);
  EXPECT_GT(prog["inference_reprogrammed_cells"].get<uint64_t>(), 0u);
  EXPECT_GT(prog["inference_bytes_from_offchip"].get<uint64_t>(), 0u);
  EXPECT_EQ(rb["metrics"]["programming"]["inference_reprogrammed_strips"].get<uint64_t>(), 0u);
  // The writes are charged to inference: cells programmed, off-chip reads, wear.
  EXPECT_GT(action_count(rs, "xbar", "program_cell"), 0u);
  EXPECT_EQ(action_count(rb, "xbar", "program_cell"), 0u);
  EXPECT_GT(rs["totals"]["bytes"]["hbm"]["read"].get<uint64_t>(),
            rb["totals"]["bytes"]["hbm"]["read"].get<uint64_t>());
  EXPECT_GT(rs["totals"]["seconds"].get<double>(), 5 * rb["totals"]["seconds"].get<double>());
  EXPECT_GT(rs["metrics"]["endurance"]["max_writes_per_cell_per_run"].get<uint64_t>(), 0u);
  EXPECT_TRUE(rs["metrics"]["endurance"]["lifetime_seconds"].is_number());
  EXPECT_TRUE(rb["metrics"]["endurance"]["lifetime_seconds"].is_null());
}

TEST(Fabric, WriteXbarCostsMoreThanDigitalForDecodeAttention) {
  auto dig = preset("isaac", Json::parse(R"({"dynamic_matmul": "digital"})"));
  auto wx = preset("isaac", Json::parse(R"({"dynamic_matmul": "write_xbar"})"));
  auto f_dig = make_fabric(dig, "digital");
  auto f_wx = make_fabric(wx, "write_xbar");
  TinyTrace t(kModel, TinyRun{TinyMode::decoder, 32, 8, 1});
  f_dig->start(t.source());
  f_wx->start(t.source());
  sc_core::sc_start();
  Json rd = f_dig->report(), rw = f_wx->report();
  auto cost = [](const Json& r, const std::string& field) {
    return sum_ops(r, "decode", "attention", field) + sum_ops(r, "decode", "kv_write", field);
  };
  EXPECT_GT(cost(rw, "busy_seconds"), cost(rd, "busy_seconds"));
  EXPECT_GT(cost(rw, "dynamic_energy_j"), cost(rd, "dynamic_energy_j"));
  // The K/V writes are crossbar programming, counted and wearing the cells.
  EXPECT_GT(action_count(rw, "xbar", "program_cell"), 0u);
  EXPECT_GT(rw["metrics"]["dynamic_writes"]["cells"].get<uint64_t>(), 0u);
  EXPECT_EQ(rw["metrics"]["kv_cache"][0]["level"], "crossbar");
  EXPECT_TRUE(rw["metrics"]["endurance"]["lifetime_seconds"].is_number());
}

TEST(Fabric, EntpRewritesKAndVEveryPassUnderWriteXbar) {
  auto wx = preset("isaac", Json::parse(R"({"dynamic_matmul": "write_xbar"})"));
  auto dec = make_fabric(wx, "decoder");
  auto entp = make_fabric(wx, "entp");
  TinyTrace td(kModel, TinyRun{TinyMode::decoder, 16, 8, 1});
  TinyTrace te(kModel, TinyRun{TinyMode::entp, 16, 8, 1});
  dec->start(td.source());
  entp->start(te.source());
  sc_core::sc_start();
  Json rd = dec->report(), re = entp->report();
  // A decoder writes each position once; ENTP rewrites the whole prefix in every pass.
  EXPECT_EQ(rd["metrics"]["endurance"]["max_writes_per_cell_per_run"].get<uint64_t>(), 1u);
  EXPECT_GT(re["metrics"]["dynamic_writes"]["cells"].get<uint64_t>(),
            4 * rd["metrics"]["dynamic_writes"]["cells"].get<uint64_t>());
  EXPECT_TRUE(re["metrics"]["kv_cache"].empty());
}

TEST(Fabric, SramCimHasNoWear) {
  auto s = preset("isaac", Json::parse(R"({"dynamic_matmul": "sram_cim"})"));
  auto f = make_fabric(s);
  TinyTrace t(kModel, TinyRun{TinyMode::decoder, 16, 4, 1});
  f->start(t.source());
  sc_core::sc_start();
  Json r = f->report();
  EXPECT_GT(action_count(r, "sram_cim", "write_bit"), 0u);
  EXPECT_GT(action_count(r, "sram_cim", "row_step"), 0u);
  EXPECT_EQ(action_count(r, "xbar", "program_cell"), 0u);
  EXPECT_TRUE(r["metrics"]["endurance"]["lifetime_seconds"].is_null());
  EXPECT_GT(r["totals"]["bytes"]["sram_cim"]["write"].get<uint64_t>(), 0u);
}

TEST(Fabric, KvCacheGoesToTileBuffersThenGlobalBufferThenOffChip) {
  TinyModel big_kv{2, 256, 4, 4, 64, 1024, 1000};
  auto buf = preset("isaac");
  auto gb = preset("isaac", Json::parse(R"({"activation_reserve_fraction": 1,
      "chip": {"global_buffer": {"capacity_bytes": 100000000, "bandwidth_gbytes_s": 100,
                                 "latency_ns": 5, "energy_pj_per_byte": 1}}})"));
  auto off = preset("isaac", Json::parse(R"({"activation_reserve_fraction": 1})"));
  auto f1 = make_fabric(buf, "buf");
  auto f2 = make_fabric(gb, "gb");
  auto f3 = make_fabric(off, "off");
  TinyTrace t(big_kv, TinyRun{TinyMode::decoder, 64, 4, 1});
  for (auto* f : {f1.get(), f2.get(), f3.get()}) {
    f->start(t.source());
  }
  sc_core::sc_start();
  Json r1 = f1->report(), r2 = f2->report(), r3 = f3->report();
  EXPECT_EQ(r1["metrics"]["kv_cache"][0]["level"], "tile_buffer");
  EXPECT_EQ(r2["metrics"]["kv_cache"][0]["level"], "global_buffer");
  EXPECT_EQ(r3["metrics"]["kv_cache"][0]["level"], "offchip");
  EXPECT_GT(r2["totals"]["bytes"]["global_buffer"]["read"].get<uint64_t>(), 0u);
  EXPECT_GT(r2["totals"]["bytes"]["global_buffer"]["write"].get<uint64_t>(), 0u);
  // Off-chip KV: every decode step reads the cache from memory.
  EXPECT_GT(r3["totals"]["bytes"]["hbm"]["read"].get<uint64_t>(),
            r1["totals"]["bytes"]["hbm"]["read"].get<uint64_t>());
  EXPECT_GT(r3["totals"]["bytes"]["hbm"]["write"].get<uint64_t>(), 0u);
}

TEST(Fabric, LayersRunAsAPipelineAndReplicasShareTheRows) {
  // An encoder pass over 64 tokens on ISAAC: with one copy, each matmul streams its 64 rows
  // through its own strips, 16 input bits x 100 ns per row, so T = 64 x 16 x 100 ns. Per
  // layer there are four matmul stages (q/k/v side by side, o, up, down).
  // - Op after op (no inter-layer pipeline): 4 layers x 4 stages x T = 16 T.
  // - Pipelined (an op starts on its input's first row): bidirectional attention still waits
  //   for the last key, so layer l's QKV cannot end before (l + 1) T and the last layer's
  //   o/up/down add one more T: at least (4 + 1) T.
  // The pipeline must recover at least half of the gap to op-after-op (below 8 T). Replicas
  // split the rows, so 4 copies bring the floor down to 5 T / 4.
  auto none = preset("isaac", Json::parse(R"({"replication": "none"})"));
  auto four = preset("isaac", Json::parse(R"({"replication": 4})"));
  auto f1 = make_fabric(none, "none");
  auto f4 = make_fabric(four, "four");
  TinyTrace t(kModel, TinyRun{TinyMode::encoder, 64, 0, 1});
  f1->start(t.source());
  f4->start(t.source());
  sc_core::sc_start();
  Json r1 = f1->report(), r4 = f4->report();
  const double T = 64 * 16 * 100e-9;
  const double layers = kModel.layers;
  double pass1 = r1["phases"][0]["seconds"].get<double>();
  double pass4 = r4["phases"][0]["seconds"].get<double>();
  EXPECT_GT(pass1, (layers + 1) * T);
  EXPECT_LT(pass1, 0.5 * layers * 4 * T);
  EXPECT_GT(pass4, (layers + 1) * T / 4);
  EXPECT_LT(pass4, 0.6 * pass1);
  EXPECT_EQ(r1["metrics"]["replication"]["max"].get<uint64_t>(), 1u);
  EXPECT_EQ(r4["metrics"]["replication"]["min"].get<uint64_t>(), 4u);
}

TEST(Fabric, CausalPrefillLayersOverlapAlmostCompletely) {
  // A causal prefill of 64 tokens has no barrier: every stage streams rows as they arrive, so
  // the phase is one matmul's T = 64 x 16 x 100 ns plus each layer's first-row latency (a
  // few MVMs of 1.7 us, vector work and hops), well under 2 T; op after op it would be 16 T.
  // Digital attention, norms and adds share each tile's vector unit: the first row of a norm
  // must not wait for the whole of an attention booked before it on the same unit.
  auto none = preset("isaac", Json::parse(R"({"replication": "none"})"));
  auto f = make_fabric(none, "none");
  TinyTrace t(kModel, TinyRun{TinyMode::decoder, 64, 1, 1});
  f->start(t.source());
  sc_core::sc_start();
  Json r = f->report();
  const double T = 64 * 16 * 100e-9;
  double prefill = r["phases"][0]["seconds"].get<double>();
  EXPECT_GT(prefill, T);
  EXPECT_LT(prefill, 2 * T);
}

TEST(Fabric, ReportHasSetupPhasesAndPerComponentEnergyAndArea) {
  auto f = make_fabric(preset("isaac"));
  TinyTrace t(kModel, TinyRun{TinyMode::decoder, 16, 4, 1});
  f->start(t.source());
  sc_core::sc_start();
  Json r = f->report();
  ASSERT_EQ(r["setup"].size(), 1u);
  EXPECT_EQ(r["setup"][0]["label"], "weight_programming");
  EXPECT_GT(r["setup"][0]["seconds"].get<double>(), 0);
  EXPECT_GT(r["setup"][0]["dynamic_energy_j"].get<double>(), 0);
  EXPECT_EQ(r["phases"].size(), 4u);  // prefill + 3 decode steps
  EXPECT_GT(r["latency"]["time_to_first_token_s"].get<double>(), 0);
  EXPECT_GT(r["latency"]["time_per_output_token_s"].get<double>(), 0);
  for (const char* c : {"xbar", "adc", "dac", "tile.buffer", "router"}) {
    bool found = false;
    for (const auto& comp : r["components"]) {
      if (comp["name"] == c) {
        found = true;
        EXPECT_GT(comp["area_mm2"].get<double>(), 0) << c;
        EXPECT_GT(comp["dynamic_energy_j"].get<double>(), 0) << c;
      }
    }
    EXPECT_TRUE(found) << c;
  }
  for (const char* l : {"buffer", "noc", "hbm"}) {
    EXPECT_GT(r["totals"]["bytes"][l]["write"].get<uint64_t>() +
                  r["totals"]["bytes"][l]["read"].get<uint64_t>(),
              0u)
        << l;
  }
  EXPECT_EQ(r["totals"]["fast_forwarded_ops"].get<uint64_t>(), 0u);
  EXPECT_TRUE(r["metrics"]["crossbar_utilisation"]["of_used_crossbars"].is_number());
}

}  // namespace
}  // namespace cimsim::test
