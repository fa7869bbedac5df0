// Small pieces with hand-computed values: address mapping, energy table, latency percentiles.
#include <set>
#include <tuple>

#include "cimsim/common/error.hpp"
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
  for (const auto& c :
       {preset("hbm2"), preset("hbm2e"), preset("hbm3"),
        preset("hbm2", {"address_mapping.hash=xor"}),
        preset("hbm2e", {"address_mapping.hash=xor", "address_mapping.order=StRoBaBgCoChPc"})}) {
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
  MemoryConfig c = preset("hbm2e", {"address_mapping.order=RoBaCoBgPcChSt"});
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

// The GPU presets' order "RoBaBgCoStChPcCo1Bg1Co2" on hbm2e, digits from the least
// significant: Co2 (4), Bg1 (2), Co1 (2), Pc (2), Ch (8), St (5), Co (the 2 bits left: 4),
// Bg (2 bits left: 4), Ba (4), Ro; the hash is switched off here to read the digits plainly.
TEST(AddressMap, SplitFieldsByHand) {
  MemoryConfig c = preset("hbm2e", {"address_mapping.hash=none"});
  ASSERT_EQ(c.address_mapping.order, "RoBaBgCoStChPcCo1Bg1Co2");
  AddressMap m(c);
  auto at = [&m](uint64_t burst) { return m.decode(burst * 32); };
  for (uint64_t b = 0; b < 4; ++b) {  // a 128 B piece: one bank group, consecutive columns
    EXPECT_EQ(at(b), (DecodedAddress{0, 0, 0, static_cast<uint32_t>(b)}));
  }
  EXPECT_EQ(at(4), (DecodedAddress{0, 4, 0, 0}));        // bank group 1 (bank = group x 4 + bank)
  EXPECT_EQ(at(8), (DecodedAddress{0, 0, 0, 4}));        // the next four columns
  EXPECT_EQ(at(15), (DecodedAddress{0, 4, 0, 7}));       // the last burst of the 512 B visit
  EXPECT_EQ(at(16).unit, 1u);                            // the next pseudo-channel
  EXPECT_EQ(at(32).unit, 2u);                            // channel 1: unit (0 x 8 + 1) x 2 + 0
  EXPECT_EQ(at(256).unit, 16u);                          // stack 1: unit (1 x 8 + 0) x 2 + 0
  EXPECT_EQ(at(16 * 80), (DecodedAddress{0, 0, 0, 8}));  // column bits 3-4: 8
  EXPECT_EQ(at(16 * 80 * 4), (DecodedAddress{0, 8, 0, 0}));   // bank group bits 1-2: group 2
  EXPECT_EQ(at(16 * 80 * 16), (DecodedAddress{0, 1, 0, 0}));  // bank 1
  EXPECT_EQ(at(16 * 80 * 64), (DecodedAddress{0, 0, 1, 0}));  // row 1
  // Everything at once: burst 3 + 4 x 1 + 8 x 1 + 16 x (Pc 1 + 2 x (Ch 5 + 8 x St 3))
  // + 1280 x (Co 2 + 4 x (Bg 3 + 4 x (Ba 2 + 4 x Ro 777))): column 3 + 4 + 8 x 2 = 23, bank
  // group 1 + 2 x 3 = 7, bank 2, unit (3 x 8 + 5) x 2 + 1 = 59, row 777.
  const uint64_t burst = 3 + 4 + 8 + 16 * (1 + 2 * (5 + 8 * 3)) +
                         uint64_t{1280} * (2 + 4 * (3 + 4 * (2 + 4 * uint64_t{777})));
  EXPECT_EQ(at(burst), (DecodedAddress{59, 7 * 4 + 2, 777, 23}));
  EXPECT_EQ(m.encode(at(burst)), burst * 32);
}

// With the hash the bank group and bank are XORed with the row's low digits: row 13 = 5 + 8 x 1
// flips bank group bits 0 and 2 and bank bit 0.
TEST(AddressMap, XorHashByHand) {
  MemoryConfig plain = preset("hbm2e", {"address_mapping.hash=none"});
  MemoryConfig hashed = preset("hbm2e");
  ASSERT_EQ(hashed.address_mapping.hash.name, "xor");
  AddressMap p(plain), h(hashed);
  for (uint32_t group : {0u, 3u, 6u}) {
    for (uint32_t bank : {0u, 2u}) {
      const uint64_t a = p.encode(DecodedAddress{7, group * 4 + bank, 13, 9});
      EXPECT_EQ(h.decode(a), (DecodedAddress{7, (group ^ 5) * 4 + (bank ^ 1), 13, 9}));
    }
  }
}

// Every burst of a small memory decodes to a different place, and back, under split orders
// and hashes (including the channels, five stacks and addition modulo 5).
TEST(AddressMap, MappingsAreBijections) {
  const std::vector<std::string> shrink = {
      "organisation.rows=8", "organisation.channels_per_stack=2", "organisation.stacks=5"};
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {"address_mapping.hash=none"},
           {},
           {"address_mapping.hash={\"name\": \"xor\", \"fields\": \"StChPcBgBa\"}"},
           {"address_mapping.order=CoRoBa1BgStBa1ChPc",
            "address_mapping.hash={\"name\": \"xor\", \"fields\": \"ChSt\", "
            "\"key\": \"BaRo\"}"}}) {
    std::vector<std::string> sets = shrink;
    sets.insert(sets.end(), extra.begin(), extra.end());
    MemoryConfig c = preset("hbm2e", sets);
    AddressMap m(c);
    const uint64_t bursts = m.capacity_bytes() / m.burst_bytes();
    ASSERT_EQ(bursts, uint64_t{5} * 2 * 2 * 32 * 8 * 32);
    std::set<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>> seen;
    AddressMap::Cursor cursor(m, 0);
    for (uint64_t b = 0; b < bursts; ++b, cursor.next()) {
      const DecodedAddress d = m.decode(b * m.burst_bytes());
      ASSERT_EQ(cursor.get(), d) << b;
      ASSERT_LT(d.unit, c.units());
      ASSERT_LT(d.bank, c.banks_per_unit());
      ASSERT_EQ(m.encode(d), b * m.burst_bytes()) << b;
      seen.insert({d.unit, d.bank, d.row, d.column});
    }
    EXPECT_EQ(seen.size(), bursts);
  }
}

TEST(AddressMap, SplitOrdersThatCannotWork) {
  auto error = [](const std::string& order) {
    try {
      preset("hbm2e", {"address_mapping.order=" + order});
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(error("RoBaBgCo2StChPc").find("add up to 2, expected 5"), std::string::npos);
  EXPECT_NE(error("RoBaBgCoSt1ChPcSt").find("not a power of two"), std::string::npos);
  EXPECT_NE(error("RoBaBgCoStChPcCo").find("appears twice"), std::string::npos);
  EXPECT_NE(error("RoBaBgCoStChPcCo0").find("[1, 31]"), std::string::npos);
  EXPECT_NE(error("RoBaBgCoStChPcCo9").find("add up to 9, expected 5"), std::string::npos);
}

TEST(Energy, IddTableByHand) {
  // The bursts from the currents (the preset takes them from a published figure instead).
  EnergyTable e(preset("hbm2", {"energy.on_die_pj_per_bit=0", "energy.io_pj_per_bit=0"}));
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
  EXPECT_DOUBLE_EQ(e.energy_pj(Action::kIoBurst), 0.0);
}

// The presets' bursts: O'Connor et al. (MICRO 2017, Fig. 1) for HBM2: on-die data movement
// 2.24 pJ/bit and I/O 0.30 pJ/bit; HBM2E the same; HBM3 scaled by the square of its supply
// voltages (core 1.1 V, I/O 0.4 V, against 1.2 V).
TEST(Energy, BurstsMoveDataAtThePublishedEnergyPerBit) {
  EnergyTable hbm2(preset("hbm2"));  // 64 B bursts: 512 bits
  EXPECT_NEAR(hbm2.energy_pj(Action::kRdBurst), 2.24 * 512, 1e-9);
  EXPECT_NEAR(hbm2.energy_pj(Action::kWrBurst), 2.24 * 512, 1e-9);
  EXPECT_NEAR(hbm2.energy_pj(Action::kIoBurst), 0.30 * 512, 1e-9);
  EnergyTable hbm2e(preset("hbm2e"));  // 32 B bursts: 256 bits
  EXPECT_NEAR(hbm2e.energy_pj(Action::kRdBurst), 2.24 * 256, 1e-9);
  EXPECT_NEAR(hbm2e.energy_pj(Action::kIoBurst), 0.30 * 256, 1e-9);
  EnergyTable hbm3(preset("hbm3"));  // 32 B bursts
  EXPECT_NEAR(hbm3.energy_pj(Action::kRdBurst) / 256, 2.24 * 1.1 * 1.1 / 1.44, 1e-3);
  EXPECT_NEAR(hbm3.energy_pj(Action::kIoBurst) / 256, 0.30 * 0.4 * 0.4 / 1.44, 1e-4);
}

// A streaming read on hbm2 costs what the source says per bit for moving the data (2.24 +
// 0.30) plus one activation per 2 KB row (828 pJ by the IDD table above, over 16384 bits):
// 2.59 pJ/bit for data and activations, a few more activations where a refresh closed rows
// (at most the 16 banks of a channel per REFab). O'Connor et al.'s HBM2 total of 3.97 pJ/bit
// carries 1.21 pJ/bit of activations at the row locality of their GPU workloads; a stream
// opens each row once.
TEST(Energy, StreamingReadPerBitMatchesTheSource) {
  MemoryConfig c = preset("hbm2");
  Controller ctl(c);
  const uint64_t bytes = uint64_t{16} << 20;
  ctl.submit(0, bytes, false, 0);
  ctl.drain();
  const MemoryStats s = ctl.stats();
  EnergyTable e(c);
  const double bits = 8.0 * static_cast<double>(bytes);
  ASSERT_EQ(s.read_bursts, bytes / 64);
  const double bursts_pj = static_cast<double>(s.read_bursts) *
                           (e.energy_pj(Action::kRdBurst) + e.energy_pj(Action::kIoBurst));
  EXPECT_NEAR(bursts_pj / bits, 2.24 + 0.30, 1e-9);
  const uint64_t rows = bytes / 2048, acts = s.command(Command::kAct);
  EXPECT_GE(acts, rows);
  EXPECT_LE(acts, rows + 16 * s.command(Command::kRefAb));
  const double data_pj = bursts_pj + static_cast<double>(acts) * e.energy_pj(Action::kActPre);
  EXPECT_NEAR(data_pj / bits, 2.24 + 0.30 + 828.0 / 16384, 0.01);
  EXPECT_LT(data_pj / bits, 3.97);
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
  EXPECT_EQ(counts.actions[a.ids[static_cast<int>(Action::kIoBurst)]], 7u);  // 5 + 2 bursts
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
