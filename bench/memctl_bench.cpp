// Speed of large sequential requests (a GPU streaming GEMM/GEMV weights) through the memory
// controller, without the trace reader in the way.
//
//   memctl_bench controller PRESET CHUNK_BYTES TOTAL_BYTES [STREAMS]
//     Controller API: STREAMS sequential streams (default 1), each a chain of CHUNK_BYTES
//     reads; a stream submits its next chunk when the previous one completes (the way a
//     blocking b_transport caller does).
//   memctl_bench systemc PRESET CHUNK_BYTES TOTAL_BYTES [STREAMS]
//     The same through MemorySystem::b_transport, one SystemC thread per stream.
//
// Prints the bursts simulated, the simulated time, and bursts per second of CPU time.
#include <tlm_utils/simple_initiator_socket.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "cimsim/memory/config.hpp"
#include "cimsim/memory/controller.hpp"
#include "cimsim/memory/memory_system.hpp"

namespace {

using cimsim::memory::Controller;
using cimsim::memory::Cycle;
using cimsim::memory::kNever;
using cimsim::memory::MemoryConfig;
using cimsim::memory::TxId;

double cpu_seconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

struct Params {
  uint64_t chunk = 0, total = 0, streams = 1;
};

// Returns the last completion cycle.
Cycle run_controller(const MemoryConfig& c, const Params& p) {
  Controller ctl(c);
  const uint64_t per_stream = p.total / p.streams;
  const uint64_t stride = c.capacity_bytes() / p.streams / c.burst_bytes() * c.burst_bytes();
  std::vector<uint64_t> done(p.streams, 0);
  std::vector<TxId> live(p.streams, 0);
  Cycle now = 0;
  for (uint64_t s = 0; s < p.streams; ++s) {
    live[s] = ctl.submit(s * stride, p.chunk, false, now);
  }
  uint64_t active = p.streams;
  while (active != 0) {
    Cycle w = ctl.next_wake();
    now = w == kNever ? now : w;
    ctl.advance_to(now);
    for (TxId id : ctl.take_finished()) {
      uint64_t s = 0;
      while (live[s] != id) {
        ++s;
      }
      Cycle at = ctl.transaction(id).completion;
      ctl.release(id);
      done[s] += p.chunk;
      if (done[s] + p.chunk <= per_stream) {
        // The caller resumes at the completion cycle (never earlier than now).
        now = std::max(now, at);
        ctl.advance_to(now);
        live[s] = ctl.submit(s * stride + done[s], p.chunk, false, now);
      } else {
        live[s] = ~TxId{0};
        --active;
      }
    }
  }
  return ctl.stats().last_completion;
}

struct Initiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Initiator> socket;
  Params p;
  uint64_t stride;
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  Initiator(sc_core::sc_module_name n, const Params& params, uint64_t stride_bytes)
      : sc_module(n), socket("socket"), p(params), stride(stride_bytes) {
    for (uint64_t s = 0; s < p.streams; ++s) {
      sc_core::sc_spawn([this, s] { run(s); });
    }
  }
  void run(uint64_t s) {
    const uint64_t per_stream = p.total / p.streams;
    for (uint64_t off = 0; off + p.chunk <= per_stream; off += p.chunk) {
      tlm::tlm_generic_payload pl;
      pl.set_command(tlm::TLM_READ_COMMAND);
      pl.set_address(s * stride + off);
      pl.set_data_length(static_cast<unsigned>(p.chunk));
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      socket->b_transport(pl, delay);
    }
  }
};

}  // namespace

int sc_main(int argc, char* argv[]) {
  if (argc < 5) {
    std::fprintf(stderr,
                 "usage: memctl_bench controller|systemc PRESET CHUNK_BYTES TOTAL_BYTES "
                 "[STREAMS]\n");
    return 2;
  }
  const std::string mode = argv[1];
  MemoryConfig c = cimsim::memory::load_memory_config(argv[2]);
  Params p;
  p.chunk = std::strtoull(argv[3], nullptr, 10);
  p.total = std::strtoull(argv[4], nullptr, 10);
  p.streams = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 1;
  const uint64_t bursts = p.total / c.burst_bytes();
  const double t0 = cpu_seconds();
  const auto w0 = std::chrono::steady_clock::now();
  double simulated_s = 0;
  if (mode == "controller") {
    Cycle end = run_controller(c, p);
    simulated_s = static_cast<double>(end) / (c.organisation.clock_ghz * 1e9);
  } else if (mode == "systemc") {
    cimsim::memory::MemorySystem mem("mem", c);
    Initiator init("init", p, c.capacity_bytes() / p.streams / c.burst_bytes() * c.burst_bytes());
    init.socket.bind(mem.socket);
    sc_core::sc_start();
    simulated_s = sc_core::sc_time_stamp().to_seconds();
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  const double cpu = cpu_seconds() - t0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  std::printf(
      "%s %s chunk %llu B x %llu streams: %llu bursts, simulated %.6f ms, cpu %.3f s (%.3g "
      "bursts/s), wall %.3f s\n",
      mode.c_str(), argv[2], static_cast<unsigned long long>(p.chunk),
      static_cast<unsigned long long>(p.streams), static_cast<unsigned long long>(bursts),
      simulated_s * 1e3, cpu, static_cast<double>(bursts) / cpu, wall);
  return 0;
}
