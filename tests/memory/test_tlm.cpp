// The SystemC path: several initiator threads inside b_transport at once.
#include <gtest/gtest.h>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "cimsim/memory/memory_system.hpp"
#include "cimsim/memory/timing_checker.hpp"
#include "cimsim/stats/registry.hpp"

namespace cimsim::memory {
namespace {

// One initiator module (a GPU's DMA front end) with several threads, one socket: each
// thread moves `bytes` from its own base address in `chunk`-sized reads or writes.
struct Stream {
  uint64_t base = 0, bytes = 0, chunk = 0;
  bool write = false;
  sc_core::sc_time finished;
  tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
};

struct Initiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Initiator> socket;
  std::vector<Stream> streams;
  // sc_module_name goes by value (SystemC builds names on the copy).
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  Initiator(sc_core::sc_module_name n, std::vector<Stream> s)
      : sc_module(n), socket("socket"), streams(std::move(s)) {
    for (size_t i = 0; i < streams.size(); ++i) {
      sc_core::sc_spawn([this, i] { run(streams[i]); });
    }
  }
  void run(Stream& s) {
    for (uint64_t off = 0; off < s.bytes; off += s.chunk) {
      tlm::tlm_generic_payload p;
      p.set_command(s.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
      p.set_address(s.base + off);
      p.set_data_ptr(nullptr);
      p.set_data_length(static_cast<unsigned>(std::min(s.chunk, s.bytes - off)));
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      socket->b_transport(p, delay);
      s.status = p.get_response_status();
      if (s.status != tlm::TLM_OK_RESPONSE) {
        return;
      }
    }
    s.finished = sc_core::sc_time_stamp();
  }
};

TEST(Tlm, ConcurrentInitiatorsShareBandwidthAndFinish) {
  MemoryConfig cfg = load_memory_config("hbm2");
  MemorySystem mem("mem", cfg, /*check_timing=*/true);
  std::vector<Stream> streams;
  for (int i = 0; i < 4; ++i) {
    Stream s;
    s.base = uint64_t(i) << 24;
    s.bytes = 1 << 18;
    s.chunk = 4096;
    s.write = i == 3;
    streams.push_back(s);
  }
  Initiator init("init", streams);
  init.socket.bind(mem.socket);
  stats::Registry reg;
  mem.declare(reg);
  sc_core::sc_start();
  for (auto& s : init.streams) {
    EXPECT_EQ(s.status, tlm::TLM_OK_RESPONSE);
    EXPECT_GT(s.finished, sc_core::SC_ZERO_TIME);
  }
  stats::Counts counts;
  counts.reset(reg);
  mem.add_counts(counts);
  EXPECT_EQ(counts.read_bytes[0], 3u << 18);
  EXPECT_EQ(counts.write_bytes[0], 1u << 18);
  for (const auto& v : mem.timing_violations()) {
    ADD_FAILURE() << v.message();
  }
}

// A small initiator that runs a list of (command, address, length) one after the other.
struct Sequence : sc_core::sc_module {
  struct Item {
    tlm::tlm_command command;
    uint64_t address;
    unsigned length;
  };
  tlm_utils::simple_initiator_socket<Sequence> socket;
  std::vector<Item> items;
  std::vector<tlm::tlm_response_status> status;
  std::vector<sc_core::sc_time> done;
  // sc_module_name goes by value (SystemC builds names on the copy).
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  Sequence(sc_core::sc_module_name n, std::vector<Item> i)
      : sc_module(n), socket("socket"), items(std::move(i)) {
    sc_core::sc_spawn([this] { run(); });
  }
  void run() {
    for (const Item& it : items) {
      tlm::tlm_generic_payload p;
      p.set_command(it.command);
      p.set_address(it.address);
      p.set_data_ptr(nullptr);
      p.set_data_length(it.length);
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      socket->b_transport(p, delay);
      status.push_back(p.get_response_status());
      done.push_back(sc_core::sc_time_stamp());
    }
  }
};

TEST(Tlm, OneMegabyteTakesFewWakeupsAndNoEventsAfter) {
  MemoryConfig cfg = load_memory_config("hbm2");
  MemorySystem mem("mem", cfg);
  Sequence seq("seq", {{tlm::TLM_READ_COMMAND, 0, 1u << 20}});
  seq.socket.bind(mem.socket);
  sc_core::sc_start();
  ASSERT_EQ(seq.status.size(), 1u);
  EXPECT_EQ(seq.status[0], tlm::TLM_OK_RESPONSE);
  // 16384 bursts at ~92 % of 256 GB/s take ~4.4 us; the module wakes about once per
  // RL + burst = 16 cycles, not once per burst.
  MemoryStats s = mem.stats();
  EXPECT_EQ(s.read_bursts, 16384u);
  EXPECT_LT(mem.wakeups(), s.read_bursts / 20);
  RecordProperty("wakeups", std::to_string(mem.wakeups()));
  EXPECT_EQ(sc_core::sc_time_stamp(), seq.done[0]);  // nothing ran after the last completion
  double gbps = (1u << 20) / seq.done[0].to_seconds() / 1e9;
  EXPECT_GT(gbps, 0.85 * 256);
}

TEST(Tlm, BadAddressesAndEmptyRequests) {
  MemoryConfig cfg = load_memory_config("hbm2");
  MemorySystem mem("mem", cfg);
  uint64_t cap = mem.capacity_bytes();
  Sequence seq("seq", {{tlm::TLM_READ_COMMAND, cap, 64},
                       {tlm::TLM_WRITE_COMMAND, cap - 32, 64},
                       {tlm::TLM_READ_COMMAND, 0, 0},
                       {tlm::TLM_IGNORE_COMMAND, 0, 64},
                       {tlm::TLM_WRITE_COMMAND, cap - 64, 64}});
  seq.socket.bind(mem.socket);
  sc_core::sc_start();
  ASSERT_EQ(seq.status.size(), 5u);
  EXPECT_EQ(seq.status[0], tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(seq.status[1], tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(seq.status[2], tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(seq.status[3], tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(seq.status[4], tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(seq.done[3], sc_core::SC_ZERO_TIME);
  // The last write: ACT at 0, WR at tRCDWR 14, data ends 14 + WL 4 + 2 = 20 ns.
  EXPECT_EQ(seq.done[4], sc_core::sc_time(20, sc_core::SC_NS));
  EXPECT_EQ(mem.stats().write_bursts, 1u);
}

TEST(Tlm, AnnotatedDelayAndDeclareAddCounts) {
  MemoryConfig cfg = load_memory_config("hbm2");
  MemorySystem mem("mem", cfg);
  struct Late : sc_core::sc_module {
    tlm_utils::simple_initiator_socket<Late> socket;
    sc_core::sc_time done;
    // sc_module_name goes by value (SystemC builds names on the copy).
    // NOLINTNEXTLINE(performance-unnecessary-value-param)
    explicit Late(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
      sc_core::sc_spawn([this] {
        tlm::tlm_generic_payload p;
        p.set_command(tlm::TLM_READ_COMMAND);
        p.set_address(0);
        p.set_data_length(64);
        sc_core::sc_time delay(100, sc_core::SC_NS);  // loosely timed: starts at 100 ns
        socket->b_transport(p, delay);
        EXPECT_EQ(delay, sc_core::SC_ZERO_TIME);
        done = sc_core::sc_time_stamp();
      });
    }
  } late("late");
  late.socket.bind(mem.socket);
  stats::Registry reg;
  mem.declare(reg);
  stats::Counts before;
  before.reset(reg);
  mem.add_counts(before);
  EXPECT_TRUE(before.empty());
  sc_core::sc_start();
  // ACT at cycle 100, RD at 114, data ends 114 + 14 + 2 = 130 ns.
  EXPECT_EQ(late.done, sc_core::sc_time(130, sc_core::SC_NS));
  stats::Counts after;
  after.reset(reg);
  mem.add_counts(after);
  auto id = [&reg](const char* a) {
    for (size_t i = 0; i < reg.actions().size(); ++i) {
      if (reg.actions()[i].action == a) {
        return i;
      }
    }
    return size_t{999};
  };
  EXPECT_EQ(after.actions[id("act_pre")], 1u);
  EXPECT_EQ(after.actions[id("rd_burst")], 1u);
  EXPECT_EQ(after.actions[id("active_standby_cycle")], 30u);  // row open from 100 to now (130)
  EXPECT_EQ(after.read_bytes[0], 64u);
  EXPECT_DOUBLE_EQ(reg.actions()[id("act_pre")].energy_pj, 828.0);
}

}  // namespace
}  // namespace cimsim::memory
