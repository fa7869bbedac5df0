// The activation reserve of the tile buffers (buffer_capacity.hpp), by hand, for the attention
// op of tiny_trace.hpp on tile 0 (K and V: 2 x 8 positions x 2 heads x 64 x 2 bytes = 4,096).
// Four queries reuse K and V and hold them whole, plus a row of Q and of output (256 + 256):
// 4,608 bytes. A single query streams them: one position (512) and its two rows, 1,024.
#include <gtest/gtest.h>

#include "cim/cim_test_util.hpp"
#include "cimsim/common/error.hpp"

namespace cimsim::test {
namespace {

Json run(const Json& patch, uint64_t queries = 4) {
  auto f = make_fabric(preset("isaac", patch));
  f->start(one_attention(queries));
  sc_core::sc_start();
  EXPECT_TRUE(f->done());
  return f->report();
}

TEST(Buffers, WhatFitsTheReserveDoesNotSpill) {
  // The preset's 64 KB buffer keeps 32 KB for activations.
  Json r = run(Json::object());
  const Json& b = r["metrics"]["buffers"];
  EXPECT_EQ(b["activation_reserve_bytes"].get<uint64_t>(), 32768u);
  EXPECT_EQ(b["largest_need_bytes"].get<uint64_t>(), 4608u);
  EXPECT_EQ(b["needs_over_reserve"].get<uint64_t>(), 0u);
  EXPECT_EQ(r["totals"]["bytes"]["hbm"]["write"].get<uint64_t>(), 0u);
}

TEST(Buffers, ASingleQueryStreamsKAndV) {
  // The same 4 KB buffer (2,048 bytes of reserve) holds a single query's 1,024 bytes.
  Json r = run(Json::parse(R"({"tile": {"buffer": {"capacity_bytes": 4096}}})"), 1);
  const Json& b = r["metrics"]["buffers"];
  EXPECT_EQ(b["largest_need_bytes"].get<uint64_t>(), 1024u);
  EXPECT_EQ(b["needs_over_reserve"].get<uint64_t>(), 0u);
}

TEST(Buffers, TheExcessSpillsToHbmAndIsReadBack) {
  // A 4 KB buffer keeps 2,048 bytes: 4,608 - 2,048 = 2,560 bytes go to HBM and come back.
  auto small = make_fabric(
      preset("isaac", Json::parse(R"({"tile": {"buffer": {"capacity_bytes": 4096}}})")), "small");
  auto roomy = make_fabric(preset("isaac"), "roomy");
  small->start(one_attention(4));
  roomy->start(one_attention(4));
  sc_core::sc_start();
  Json r = small->report();
  const Json& b = r["metrics"]["buffers"];
  EXPECT_EQ(b["needs_over_reserve"].get<uint64_t>(), 1u);
  EXPECT_EQ(b["spilled_to_hbm_bytes"].get<uint64_t>(), 2560u);
  EXPECT_EQ(r["totals"]["bytes"]["hbm"]["write"].get<uint64_t>(), 2560u);
  EXPECT_EQ(r["totals"]["bytes"]["hbm"]["read"].get<uint64_t>(), 2560u);
  // ... and it costs time: the op is slower than with room in the buffer.
  EXPECT_GT(r["ops"][0]["busy_seconds"].get<double>(),
            roomy->report()["ops"][0]["busy_seconds"].get<double>());
}

TEST(Buffers, TheExcessSpillsToTheGlobalBufferWhenThereIsOne) {
  Json r = run(Json::parse(R"({"tile": {"buffer": {"capacity_bytes": 4096}},
      "chip": {"global_buffer": {"capacity_bytes": 1048576, "bandwidth_gbytes_s": 64,
                                 "latency_ns": 10, "energy_pj_per_byte": 0.3}}})"));
  const Json& b = r["metrics"]["buffers"];
  EXPECT_EQ(b["spilled_to_global_buffer_bytes"].get<uint64_t>(), 2560u);
  EXPECT_EQ(b["spilled_to_hbm_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(r["totals"]["bytes"]["global_buffer"]["write"].get<uint64_t>(), 2560u);
  EXPECT_EQ(r["totals"]["bytes"]["global_buffer"]["read"].get<uint64_t>(), 2560u);
  EXPECT_EQ(action_count(r, "global_buffer", "byte"), 2 * 2560u);
}

TEST(Buffers, WithoutSpillingTheRunStopsNamingTheCapacity) {
  auto f = make_fabric(preset("isaac", Json::parse(R"({"activation_overflow": "error",
      "tile": {"buffer": {"capacity_bytes": 4096}}})")));
  f->start(one_attention(4));
  sc_core::sc_start();
  EXPECT_TRUE(f->done());
  try {
    f->report();
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("machine.tile.buffer.capacity_bytes"), std::string::npos) << m;
    EXPECT_NE(m.find("op L0.attn needs 4608 bytes at once in tile 0's activation reserve, "
                     "which holds 2048"),
              std::string::npos)
        << m;
  }
}

}  // namespace
}  // namespace cimsim::test
