// The mapper: every weight placed exactly once per replica, crossbar and cell counts equal to
// their closed forms, strips never share PEs or straddle tiles, "auto" picks the smallest
// system, replication fills spare capacity, and a fixed system too small is flagged.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "cim/cim_test_util.hpp"
#include "cimsim/cim/mapper.hpp"
#include "cimsim/common/error.hpp"

namespace cimsim::test {
namespace {

std::vector<cim::WeightUse> gpt_like(uint32_t layers) {
  std::vector<cim::WeightUse> w;
  for (uint32_t l = 0; l < layers; ++l) {
    std::string p = "L" + std::to_string(l);
    auto li = static_cast<int32_t>(l);
    w.push_back({p + ".q", li, 768, 768, 16});
    w.push_back({p + ".k", li, 768, 768, 16});
    w.push_back({p + ".v", li, 768, 768, 16});
    w.push_back({p + ".o", li, 768, 768, 16});
    w.push_back({p + ".up", li, 768, 3072, 16});
    w.push_back({p + ".down", li, 3072, 768, 16});
  }
  w.push_back({"odd", 99, 1000, 333, 16});   // partial row and column blocks
  w.push_back({"tall", 99, 20000, 40, 16});  // more row blocks than a tile has crossbars
  return w;
}

void check_exact_cover(const cim::CimConfig& c, const cim::Mapping& m) {
  const uint64_t P = c.tile.pes;
  std::vector<std::pair<uint64_t, uint64_t>> pe_ranges;
  for (const auto& w : m.weights) {
    for (const auto& rep : w.replicas) {
      // Each (input, output) feature pair exactly once: strips tile the k x n rectangle.
      std::map<std::pair<uint64_t, uint64_t>, uint64_t> cover;  // (n0, n1) -> summed k
      uint64_t cells = 0, xbars = 0;
      for (const auto& s : rep) {
        cover[{s.n0, s.n1}] += s.k1 - s.k0;
        cells += s.cells;
        xbars += s.crossbars;
        EXPECT_EQ(s.first_vpe / P, (s.first_vpe + s.pes - 1) / P)
            << w.use.id << ": straddles tiles";
        pe_ranges.emplace_back(s.first_vpe, s.first_vpe + s.pes);
      }
      uint64_t n_covered = 0, prev_end = 0;
      for (const auto& [range, k] : cover) {
        EXPECT_EQ(range.first, prev_end) << w.use.id;
        EXPECT_EQ(k, w.use.k) << w.use.id << ": rows of outputs " << range.first;
        n_covered += range.second - range.first;
        prev_end = range.second;
      }
      EXPECT_EQ(n_covered, w.use.n) << w.use.id;
      // Closed forms: cells k x n x ceil(bits / bits_per_cell) (x2 differential); crossbars
      // ceil(k / rows) x ceil(n / floor(cols / cells per weight)).
      uint64_t cw = (w.use.bits + c.crossbar.bits_per_cell - 1) / c.crossbar.bits_per_cell;
      if (c.signed_weights == cim::SignedWeights::differential) {
        cw *= 2;
      }
      EXPECT_EQ(cells, w.use.k * w.use.n * cw) << w.use.id;
      uint64_t per_x = c.crossbar.cols / cw;
      EXPECT_EQ(xbars, ((w.use.k + c.crossbar.rows - 1) / c.crossbar.rows) *
                           ((w.use.n + per_x - 1) / per_x))
          << w.use.id;
    }
  }
  std::sort(pe_ranges.begin(), pe_ranges.end());
  for (size_t i = 1; i < pe_ranges.size(); ++i) {
    EXPECT_LE(pe_ranges[i - 1].second, pe_ranges[i].first) << "strips share PEs";
  }
}

TEST(Mapper, EveryWeightExactlyOncePerReplicaWithClosedFormCells) {
  cim::CimConfig c = preset("isaac");
  cim::MapRequest req;
  req.weights = gpt_like(12);
  cim::Mapping m = cim::map_weights(c, req);
  EXPECT_TRUE(m.fits);
  check_exact_cover(c, m);
  uint64_t cells = 0;
  for (const auto& w : req.weights) {
    cells += w.k * w.n * 8;  // 16-bit weights, 2-bit cells
  }
  uint64_t copies = 0;
  for (const auto& w : m.weights) {
    copies += w.replicas.size();
  }
  EXPECT_GE(copies, req.weights.size());
  EXPECT_EQ(m.cells_used() >= cells, true);
  cim::Mapping once =
      cim::map_weights(preset("isaac", Json::parse(R"({"replication": "none"})")), req);
  EXPECT_EQ(once.cells_used(), cells);
}

TEST(Mapper, DifferentialColumnsDoubleTheCells) {
  cim::CimConfig c = preset("isaac", Json::parse(R"({"signed_weights": "differential",
                                                     "replication": "none"})"));
  cim::MapRequest req;
  req.weights = gpt_like(2);
  cim::Mapping m = cim::map_weights(c, req);
  check_exact_cover(c, m);
  uint64_t cells = 0;
  for (const auto& w : req.weights) {
    cells += w.k * w.n * 16;
  }
  EXPECT_EQ(m.cells_used(), cells);
}

TEST(Mapper, AutoChipsIsTheSmallestSystemThatHoldsTheModel) {
  cim::CimConfig c = preset("isaac", Json::parse(R"({"replication": "none"})"));
  cim::MapRequest req;
  req.weights = gpt_like(12);
  cim::Mapping m = cim::map_weights(c, req);
  uint64_t chip_pes = uint64_t{c.tile.pes} * c.chip.tiles;
  EXPECT_LE(m.pes_for_one_copy, m.total_pes);
  EXPECT_GT(m.pes_for_one_copy, m.total_pes - chip_pes);  // one chip fewer would not do
  EXPECT_EQ(m.total_pes, chip_pes * m.chips);
}

TEST(Mapper, ReplicationFillsSpareCapacity) {
  cim::MapRequest req;
  req.weights = gpt_like(1);
  cim::Mapping none =
      cim::map_weights(preset("isaac", Json::parse(R"({"replication": "none"})")), req);
  cim::Mapping aut = cim::map_weights(preset("isaac"), req);
  cim::Mapping three = cim::map_weights(preset("isaac", Json::parse(R"({"replication": 3})")), req);
  for (const auto& w : none.weights) {
    EXPECT_EQ(w.replicas.size(), 1u);
  }
  for (const auto& w : three.weights) {
    EXPECT_EQ(w.replicas.size(), 3u);
  }
  uint64_t min_copies = UINT64_MAX;
  for (const auto& w : aut.weights) {
    min_copies = std::min<uint64_t>(min_copies, w.replicas.size());
  }
  EXPECT_GE(min_copies, 2u);
  EXPECT_LE(aut.pes_used, aut.total_pes);
  EXPECT_GT(aut.pes_used, none.pes_used);
  check_exact_cover(preset("isaac"), aut);
}

TEST(Mapper, AFixedSystemTooSmallIsFlaggedForReprogramming) {
  cim::CimConfig c = preset("isaac", Json::parse(R"({"chips": 1})"));
  cim::MapRequest req;
  req.weights = gpt_like(12);
  cim::Mapping m = cim::map_weights(c, req);
  EXPECT_FALSE(m.fits);
  EXPECT_GT(m.pes_for_one_copy, m.total_pes);
  for (const auto& w : m.weights) {
    EXPECT_EQ(w.replicas.size(), 1u);
  }
}

TEST(Mapper, TooManyChipsForAutoIsAnInputError) {
  cim::CimConfig c = preset("isaac", Json::parse(R"({"max_chips": 1})"));
  cim::MapRequest req;
  req.weights = gpt_like(12);
  try {
    cim::map_weights(c, req);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("machine.max_chips"), std::string::npos) << e.what();
  }
}

TEST(Mapper, FixedCopiesOnASystemTooSmallForOneAreAnInputError) {
  // Copies cannot be honoured when the weights are reprogrammed layer by layer.
  cim::CimConfig c = preset("isaac", Json::parse(R"({"chips": 1, "replication": 2})"));
  cim::MapRequest req;
  req.weights = gpt_like(12);
  req.where = [](const std::string& path) { return "m.json: " + path; };
  try {
    cim::map_weights(c, req);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("m.json: machine.replication"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace cimsim::test
