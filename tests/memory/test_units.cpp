// Small pieces with hand-computed values: address mapping, energy table, latency percentiles.
#include <set>

#include "cimsim/memory/address_map.hpp"
#include "cimsim/memory/energy.hpp"
#include "cimsim/memory/stats.hpp"
#include "memory_test_util.hpp"

namespace cimsim::memory {
namespace {

using test::preset;

TEST(AddressMap, SequentialBurstsVisitEveryChannelFirst) {
  // hbm2, "RoBaCoBgPcChSt": burst i goes to channel i % 8, then bank group (i / 8) % 4,
  // then column (i / 32) % 32.
  MemoryConfig c = preset("hbm2");
  AddressMap m(c);
  EXPECT_EQ(m.burst_bytes(), 64u);
  EXPECT_EQ(m.capacity_bytes(), 8ull << 30);  // 8 ch x 16 banks x 32768 rows x 2 KB
  for (uint64_t i = 0; i < 8; ++i) {
    EXPECT_EQ(m.decode(i * 64).unit, i);
  }
  DecodedAddress d = m.decode(uint64_t{8} * 64);  // the ninth burst: channel 0, bank group 1
  EXPECT_EQ(d.unit, 0u);
  EXPECT_EQ(d.bank, 4u);
  EXPECT_EQ(m.decode(uint64_t{32} * 64).column, 1u);
  EXPECT_EQ(m.decode(63).unit, 0u);  // bytes inside a burst stay together
  // Every field at once. Burst-index bits, lowest first: channel 3, bank group 2, column 5,
  // bank 2, row 15; row 23130, bank 3, column 21, bank group 2, channel 5 is
  // ((23130 << 12) | (3 << 10) | (21 << 5) | (2 << 3) | 5) << 6 = 0x1696bad40.
  d = m.decode(0x1696bad40 + 63);
  EXPECT_EQ(d.unit, 5u);
  EXPECT_EQ(d.bank, 2u * 4 + 3);
  EXPECT_EQ(d.row, 23130u);
  EXPECT_EQ(d.column, 21u);
}

// The cursor that splits large requests walks the same bursts decode() gives, across every
// digit carry (columns, rows, the five-stack digit of hbm2e) and with the bank hash.
TEST(AddressMap, CursorWalksConsecutiveBurstsLikeDecode) {
  for (const auto& c : {preset("hbm2"), preset("hbm2e"), preset("hbm3"),
                        preset("hbm2", {"address_mapping.hash=xor"}),
                        preset("hbm2e", {"address_mapping.hash=xor",
                                         "address_mapping.order=StRoBaBgCoChPc"})}) {
    AddressMap m(c);
    const uint64_t burst = m.burst_bytes();
    for (uint64_t start :
         {uint64_t{0}, uint64_t{12345} * burst, m.capacity_bytes() / 3 / burst * burst,
          m.capacity_bytes() - 70000 * burst}) {
      AddressMap::Cursor at(m, start + burst / 2);  // inside the first burst
      for (uint64_t i = 0; i < 70000; ++i, at.next()) {
        ASSERT_EQ(at.get(), m.decode(start + i * burst)) << c.name << " burst " << i;
      }
    }
  }
}

TEST(AddressMap, FiveStacksAreAMixedRadixDigit) {
  MemoryConfig c = preset("hbm2e");
  AddressMap m(c);
  EXPECT_EQ(m.capacity_bytes(), 80ull << 30);
  // St is the lowest digit (size 5), then Ch (8), then Pc (2): burst 7 = stack 2,
  // channel 1, pc 0 -> unit (2 * 8 + 1) * 2 + 0 = 34.
  EXPECT_EQ(m.decode(uint64_t{7} * 32).unit, 34u);
  std::set<uint32_t> units;
  for (uint64_t i = 0; i < 80; ++i) {
    units.insert(m.decode(i * 32).unit);
  }
  EXPECT_EQ(units.size(), 80u);  // 80 consecutive bursts cover all 80 pseudo-channels
}

TEST(AddressMap, EncodeInvertsDecodeAlsoWithXorHash) {
  for (bool hash : {false, true}) {
    MemoryConfig c =
        preset("hbm2e", {std::string("address_mapping.hash=") + (hash ? "xor" : "none")});
    AddressMap m(c);
    uint64_t x = 12345;
    for (int i = 0; i < 10000; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      uint64_t a = (x >> 7) % m.capacity_bytes() / 32 * 32;
      ASSERT_EQ(m.encode(m.decode(a)), a);
    }
  }
  // With the hash, addresses that differ only in the row land in different banks.
  MemoryConfig c = preset("hbm2", {"address_mapping.hash=xor"});
  AddressMap m(c);
  std::set<uint32_t> banks;
  DecodedAddress d{0, 0, 0, 0};
  for (uint32_t row = 0; row < 16; ++row) {
    d.row = row;
    banks.insert(m.decode(m.encode(d)).bank);
    EXPECT_EQ(m.decode(m.encode(d)).row, row);
  }
  EXPECT_EQ(AddressMap::check_order("RoBaCoBgPcChSt"), "");
  EXPECT_NE(AddressMap::check_order("RoBaCoBgPcChCh"), "");
  EXPECT_NE(AddressMap::check_order("RoBa"), "");
}

TEST(Energy, IddTableByHand) {
  EnergyTable e(preset("hbm2"));
  // act_pre = VDD (IDD0 tRC - (IDD3N tRAS + IDD2N (tRC - tRAS))) tCK
  //         = 1.2 (65*48 - (55*34 + 40*14)) * 1 ns = 1.2 * 690 = 828 pJ
  EXPECT_DOUBLE_EQ(e.energy_pj(Action::kActPre), 828.0);
  // rd = 1.2 (390 - 55) * 2 cycles = 804 pJ; wr = 1.2 (500 - 55) * 2 = 1068 pJ
  EXPECT_DOUBLE_EQ(e.energy_pj(Action::kRdBurst), 804.0);
  EXPECT_DOUBLE_EQ(e.energy_pj(Action::kWrBurst), 1068.0);
  // ref_ab = 1.2 (250 - 55) * 260 = 60840 pJ; per bank: / 16 banks
  EXPECT_DOUBLE_EQ(e.energy_pj(Action::kRefAb), 60840.0);
  EXPECT_DOUBLE_EQ(e.energy_pj(Action::kRefPb), 60840.0 / 16);
  // active standby: 1.2 (55 - 40) * 1 ns = 18 pJ per channel-cycle; static 8 x 1.2 V x 40 mA
  EXPECT_DOUBLE_EQ(e.energy_pj(Action::kActiveStandbyCycle), 18.0);
  EXPECT_NEAR(e.static_power_w(), 0.384, 1e-12);
}

TEST(Energy, PerActionModel) {
  EnergyTable e(preset("hbm2", {"energy.model=pj_per_bit", "energy.read_pj_per_bit=2",
                                "energy.write_pj_per_bit=3", "energy.act_pre_pj=900",
                                "energy.background_mw=10", "energy.active_background_mw=5"}));
  EXPECT_DOUBLE_EQ(e.energy_pj(Action::kRdBurst), 2.0 * 512);  // 64 B bursts
  EXPECT_DOUBLE_EQ(e.energy_pj(Action::kWrBurst), 3.0 * 512);
  EXPECT_DOUBLE_EQ(e.energy_pj(Action::kActPre), 900.0);
  EXPECT_DOUBLE_EQ(e.energy_pj(Action::kActiveStandbyCycle), 5.0);  // 5 mW x 1 ns
  EXPECT_NEAR(e.static_power_w(), 0.08, 1e-12);
}

TEST(Energy, CountsGoToTheRegistry) {
  MemoryConfig c = preset("hbm2");
  stats::Registry reg;
  reg.action("sm", "mac", 1.0);  // someone else's action first: ids must not clash
  EnergyTable e(c);
  MemoryActions a = declare_memory(reg, "hbm", e, c.units());
  stats::Counts counts;
  counts.reset(reg);
  MemoryStats s;
  s.commands[static_cast<int>(Command::kAct)] = 3;
  s.read_bursts = 5;
  s.write_bursts = 2;
  s.active_cycles = 7;
  add_memory_counts(a, s, c.burst_bytes(), counts);
  EXPECT_EQ(counts.actions[a.ids[static_cast<int>(Action::kActPre)]], 3u);
  EXPECT_EQ(counts.actions[a.ids[static_cast<int>(Action::kRdBurst)]], 5u);
  EXPECT_EQ(counts.actions[a.ids[static_cast<int>(Action::kActiveStandbyCycle)]], 7u);
  EXPECT_EQ(counts.actions[0], 0u);
  EXPECT_EQ(counts.read_bytes[a.link], 5u * 64);
  EXPECT_EQ(counts.write_bytes[a.link], 2u * 64);
  EXPECT_EQ(reg.links()[a.link].description, "HBM <-> on-chip");
  EXPECT_NEAR(reg.components()[1].static_power_w, 0.384, 1e-12);
}

TEST(Latency, PercentilesByHand) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100; ++v) {
    h.add(v);  // 1..100
  }
  EXPECT_EQ(h.count(), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
  EXPECT_EQ(h.percentile(0.5), 50u);  // nearest rank: the 50th value
  EXPECT_EQ(h.percentile(0.99), 99u);
  EXPECT_EQ(h.percentile(1.0), 100u);
  EXPECT_EQ(h.max(), 100u);
  h.add(1'000'000);  // beyond the exact range: reported at its power-of-two bucket's top
  EXPECT_EQ(h.percentile(1.0), 1'000'000u);
  EXPECT_EQ(LatencyHistogram().percentile(0.5), 0u);
}

}  // namespace
}  // namespace cimsim::memory
