// The same requests give the same commands however the controller is driven: one big request
// or one per burst, advanced in big jumps or cycle by cycle, through the SystemC module or
// directly in C++.
#include <tlm_utils/simple_initiator_socket.h>
#include <map>
#include <systemc>
#include <tlm>

#include "cimsim/memory/memory_system.hpp"
#include "memory_test_util.hpp"

namespace cimsim::memory {
namespace {

using test::preset;
using test::Recorder;

// Per pseudo-channel command sequences (units are advanced lazily, so only the order within
// a unit is defined).
std::map<uint32_t, std::vector<std::string>> by_unit(const std::vector<CommandRecord>& log) {
  std::map<uint32_t, std::vector<std::string>> out;
  for (const auto& r : log) {
    out[r.unit].push_back(std::string(command_name(r.command)) + "@" + std::to_string(r.cycle) +
                          " b" + std::to_string(r.bank) + " r" + std::to_string(r.row) + " c" +
                          std::to_string(r.column));
  }
  return out;
}

TEST(Paths, OneBigRequestEqualsOneRequestPerBurst) {
  MemoryConfig c = preset("hbm2");
  Recorder big(c), small(c);
  {
    Controller ctl(c, &big);
    ctl.advance_to(100);
    ctl.submit(1 << 20, 256 << 10, false, 100);  // 256 KB = 4096 bursts over 8 channels
    ctl.drain();
  }
  {
    Controller ctl(c, &small);
    ctl.advance_to(100);
    for (uint64_t a = 0; a < (256 << 10); a += 64) {
      ctl.submit((1 << 20) + a, 64, false, 100);
    }
    ctl.drain();
  }
  ASSERT_GT(big.log.size(), 4096u);
  EXPECT_EQ(by_unit(big.log), by_unit(small.log));
  big.expect_clean();
}

// A mixed workload of multi-burst requests at various cycles.
struct Request {
  Cycle cycle;
  uint64_t address, bytes;
  bool write;
};
std::vector<Request> workload(const MemoryConfig& c, int n) {
  std::vector<Request> w;
  uint64_t x = 7;
  Cycle t = 0;
  for (int i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    t += 1 + (x >> 60);  // distinct cycles, 1..16 apart
    uint64_t bytes = c.burst_bytes() * (1 + (x >> 20) % 64);
    uint64_t address = (x >> 13) % (c.capacity_bytes() - bytes) / c.burst_bytes() * c.burst_bytes();
    w.push_back(Request{t, address, bytes, (x >> 40) % 4 == 0});
  }
  return w;
}

// Drives the controller directly; returns completion cycles in request order.
std::vector<Cycle> direct(const MemoryConfig& c, const std::vector<Request>& w, Recorder& rec,
                          bool cycle_by_cycle) {
  Controller ctl(c, &rec);
  std::vector<TxId> ids;
  Cycle now = 0;
  for (const Request& r : w) {
    if (cycle_by_cycle) {
      for (; now < r.cycle; ++now) {
        ctl.advance_to(now + 1);
      }
    }
    ctl.advance_to(r.cycle);
    ids.push_back(ctl.submit(r.address, r.bytes, r.write, r.cycle));
  }
  if (cycle_by_cycle) {
    while (!ctl.idle()) {
      ctl.advance_to(++now);
    }
    ctl.advance_to(ctl.stats().last_completion);
  } else {
    ctl.drain();
  }
  std::vector<Cycle> done;
  done.reserve(ids.size());
  for (TxId id : ids) {
    done.push_back(ctl.transaction(id).completion);
  }
  return done;
}

TEST(Paths, JumpsEqualCycleByCycle) {
  MemoryConfig c = preset("hbm2e");
  auto w = workload(c, 400);
  Recorder jumps(c), steps(c);
  EXPECT_EQ(direct(c, w, jumps, false), direct(c, w, steps, true));
  EXPECT_EQ(by_unit(jumps.log), by_unit(steps.log));
  jumps.expect_clean();
}

// One SystemC thread per request: it waits for its cycle, then calls b_transport.
struct Player : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Player> socket;
  std::vector<Request> requests;
  std::vector<sc_core::sc_time> done;
  double period_ps;
  // sc_module_name goes by value (SystemC builds names on the copy).
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  Player(sc_core::sc_module_name n, std::vector<Request> w, double period)
      : sc_module(n), socket("socket"), requests(std::move(w)), period_ps(period) {
    done.resize(requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
      sc_core::sc_spawn([this, i] { run(i); });
    }
  }
  void run(size_t i) {
    const Request& r = requests[i];
    // Arrive half a cycle early: the memory rounds up to the next clock edge.
    sc_core::sc_time at((static_cast<double>(r.cycle) - 0.5) * period_ps, sc_core::SC_PS);
    sc_core::wait(at);
    tlm::tlm_generic_payload p;
    p.set_command(r.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    p.set_address(r.address);
    p.set_data_length(static_cast<unsigned>(r.bytes));
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    socket->b_transport(p, delay);
    EXPECT_EQ(p.get_response_status(), tlm::TLM_OK_RESPONSE);
    done[i] = sc_core::sc_time_stamp();
  }
};

TEST(Paths, SystemCEqualsDirect) {
  MemoryConfig c = preset("hbm2e");  // 1.593 GHz: a clock period that is no whole picosecond
  auto w = workload(c, 300);
  Recorder rec(c);
  std::vector<Cycle> expected = direct(c, w, rec, false);

  MemorySystem mem("mem", c, /*check_timing=*/true);
  double period = 1000.0 / c.organisation.clock_ghz;
  Player player("player", w, period);
  player.socket.bind(mem.socket);
  sc_core::sc_start();
  for (size_t i = 0; i < w.size(); ++i) {
    // Completion cycle X ends at time floor(X * period).
    EXPECT_EQ(
        player.done[i],
        sc_core::sc_time(std::floor(static_cast<double>(expected[i]) * period), sc_core::SC_PS))
        << "request " << i;
  }
  EXPECT_EQ(by_unit(mem.command_log()), by_unit(rec.log));
  EXPECT_TRUE(mem.timing_violations().empty());
  // The run ends when the last request does: no refresh or wake-up keeps the kernel going.
  Cycle last = *std::max_element(expected.begin(), expected.end());
  EXPECT_EQ(sc_core::sc_time_stamp(),
            sc_core::sc_time(std::floor(static_cast<double>(last) * period), sc_core::SC_PS));
}

}  // namespace
}  // namespace cimsim::memory
