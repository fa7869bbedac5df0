// Sizing the system (sizing.hpp), computed by hand for a tiny model on ISAAC chips of 8
// tiles: chips "auto" for the weights and the KV cache at the longest context, the KV
// placement across chips, iso-area and iso-power budgets, and what does not fit.
#include <gtest/gtest.h>

#include "cim/cim_test_util.hpp"
#include "cimsim/cim/energy.hpp"
#include "cimsim/cim/sizing.hpp"
#include "cimsim/common/error.hpp"

namespace cimsim::test {
namespace {

// Two layers of d 256 (4 heads of 64), d_ff 1024, vocabulary 1000 (tied LM head).
const TinyModel kModel{2, 256, 4, 4, 64, 1024, 1000};

// ISAAC with 8 tiles per chip, one copy of every weight (no replicas to spread the layers).
cim::CimConfig small_isaac(const std::string& extra = "{}") {
  Json patch = Json::parse(R"({"chip": {"tiles": 8}, "replication": "none"})");
  patch.merge_patch(Json::parse(extra));
  return preset("isaac", patch);
}

// Weights of one layer in PEs (16-bit weights in 8 two-bit cells: 16 outputs per 128-column
// crossbar, 8 crossbars per PE, strips from a PE boundary, a tile of 12 PEs):
//   q, k, v, o (256 x 256): 2 row blocks x 16 column blocks = 32 crossbars = 4 PEs each;
//   up (256 x 1024): 128 crossbars, split 8 + 8 PEs around a tile boundary = 16 PEs;
//   down (1024 x 256): 8 row blocks x 16 = 128 crossbars, 4 + 12 PEs = 16 PEs.
// 48 PEs = 4 tiles per layer, 8 for both; the LM head (256 x 1000: 2 x 63 = 126 crossbars)
// 12 + 4 PEs. 112 PEs = 10 tiles = 2 chips of 8 tiles for the weights.
constexpr uint32_t kWeightChips = 2;

TEST(Sizing, AutoHoldsTheWeightsAndTheKvCacheAtTheLongestContextByHand) {
  // 500 + 12 tokens: the cache holds 511 positions x 4 KV heads x 64 x 2 (K, V) x 2 bytes =
  // 523,264 bytes per layer, 1,046,528 for both. Each 64 KB buffer keeps half for activations:
  // 32 KB x 8 tiles = 256 KB of KV per chip, so 4 chips (1,046,528 / 262,144 = 3.99).
  auto f = make_fabric(small_isaac());
  f->start(TinyTrace(kModel, TinyRun{TinyMode::decoder, 500, 12, 1}).source());
  sc_core::sc_start();
  Json r = f->report();
  const Json& s = r["metrics"]["sizing"];
  EXPECT_EQ(s["mode"], "auto");
  EXPECT_EQ(s["chips_for_weights"].get<uint32_t>(), kWeightChips);
  EXPECT_EQ(s["chips_for_kv_cache"].get<uint32_t>(), 4u);
  EXPECT_EQ(s["chips"].get<uint32_t>(), 4u);
  EXPECT_EQ(s["kv_cache_layers_offchip"].get<uint64_t>(), 0u);
  EXPECT_TRUE(s["weights_resident"].get<bool>());
  EXPECT_EQ(f->mapping().pes_for_one_copy, 112u);
  // Placement: layer 0 (tiles 0-3) fills chip 0's 8 buffers (262,144 B), then the nearest
  // other chip's (chip 1, tiles 8-15) until its 523,264 bytes are in: 16 tiles, 1,024 bytes
  // left in tile 15. Layer 1 (tiles 4-7) finds chip 0 full and takes tile 15's 1,024 bytes,
  // then chip 2 (one hop: tiles 16-23) and chip 3 (two hops: 24-31): 17 tiles.
  const auto& kv = f->kv_stores();
  ASSERT_EQ(kv.size(), 2u);
  EXPECT_EQ(kv[0].level, cim::KvLevel::tile_buffer);
  EXPECT_EQ(kv[0].tiles.size(), 16u);
  EXPECT_EQ(kv[0].tiles.front(), 0u);
  EXPECT_EQ(kv[0].tiles.back(), 15u);
  EXPECT_EQ(kv[1].level, cim::KvLevel::tile_buffer);
  EXPECT_EQ(kv[1].tiles.size(), 17u);
  EXPECT_EQ(kv[1].tiles.front(), 15u);
  EXPECT_EQ(kv[1].tiles.back(), 31u);
}

TEST(Sizing, ShortContextsNeedOnlyTheWeightsChips) {
  // 16 + 4 tokens: 2 x 19 x 1024 = 38,912 bytes of KV, one chip's worth: the weights decide.
  auto f = make_fabric(small_isaac());
  f->start(TinyTrace(kModel, TinyRun{TinyMode::decoder, 16, 4, 1}).source());
  sc_core::sc_start();
  Json r = f->report();
  EXPECT_EQ(r["metrics"]["sizing"]["chips_for_kv_cache"].get<uint32_t>(), 1u);
  EXPECT_EQ(f->mapping().chips, kWeightChips);
}

// One chip of 8 tiles, from the isaac preset's per-unit figures (the vector unit added):
//   PE: 8 x 0.000025 + 1024 x 1.66015625e-7 + 1024 x 3.90625e-8 + 8 x 0.0012 + 4 x 0.00006
//       + 0.0021 + 0.00077 = 0.01312 mm2
//   tile: 12 PEs + 0.083 + 0.09 + 16 x 0.004032 + 2 x 0.0003 + 0.00006 + 0.0032 + 0.00024
//       = 0.399052 mm2
//   chip: 8 tiles + 2 routers x 0.151 + 4 links x 5.72 = 26.374416 mm2
// and peak power (PE 24.08 mW): tile 12 x 24.08 + 20.7 + 7 + 16 x 1.8987 + 0.52 + 0.05 + 1.68
//   + 0.4 = 349.6892 mW; chip 8 tiles + 2 x 42 + 4 x 2600 = 13,281.51 mW.
constexpr double kChipArea = 8 * (12 * 0.01312 + 0.241612) + 2 * 0.151 + 4 * 5.72;
constexpr double kChipPowerW = (8 * 349.6892 + 2 * 42 + 4 * 2600) / 1000;

TEST(Sizing, IsoAreaAndIsoPowerFitTheMostChipsByHand) {
  cim::SizingInput in;
  in.pes_for_one_copy = 112;
  auto area = cim::size_system(small_isaac(R"({"iso_area_mm2": 60})"), in, {});
  EXPECT_NEAR(area.chip_area_mm2, kChipArea, 1e-6);
  EXPECT_EQ(area.mode, "iso_area");
  EXPECT_EQ(area.chips, 2u);  // 60 / 26.37 = 2.27
  auto power = cim::size_system(small_isaac(R"({"iso_power_w": 40})"), in, {});
  EXPECT_NEAR(power.chip_peak_power_w, kChipPowerW, 1e-6);
  EXPECT_EQ(power.chips, 3u);  // 40 / 13.28 = 3.01
  // Below one chip: an input error naming the key.
  try {
    cim::size_system(small_isaac(R"({"iso_area_mm2": 20})"), in,
                     [](const std::string& p) { return "m.json: " + p; });
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("m.json: machine.iso_area_mm2: expected at least one "
                                         "chip's area"),
              std::string::npos)
        << e.what();
  }
}

TEST(Sizing, ABudgetTooSmallForTheWeightsSaysWhatDidNotFit) {
  // 30 mm2 holds one chip (8 tiles) for 10 tiles of weights: they are reprogrammed. The
  // 201-position cache takes 205,824 bytes per layer: layer 0 fits the chip's 262,144 bytes
  // of KV share, layer 1 does not (56,320 left) and goes off-chip.
  auto f = make_fabric(small_isaac(R"({"iso_area_mm2": 30})"));
  f->start(TinyTrace(kModel, TinyRun{TinyMode::decoder, 200, 2, 1}).source());
  sc_core::sc_start();
  Json r = f->report();
  const Json& s = r["metrics"]["sizing"];
  EXPECT_EQ(s["mode"], "iso_area");
  EXPECT_EQ(s["chips"].get<uint32_t>(), 1u);
  EXPECT_FALSE(s["weights_resident"].get<bool>());
  EXPECT_EQ(s["kv_cache_layers_offchip"].get<uint64_t>(), 1u);
  EXPECT_GT(r["metrics"]["programming"]["inference_reprogrammed_strips"].get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace cimsim::test
