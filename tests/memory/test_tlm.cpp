// The SystemC path: several initiator threads inside b_transport at once.
#include <gtest/gtest.h>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

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
      if (s.status != tlm::TLM_OK_RESPONSE) return;
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
  for (const auto& v : mem.timing_violations()) ADD_FAILURE() << v.message();
}

}  // namespace
}  // namespace cimsim::memory
