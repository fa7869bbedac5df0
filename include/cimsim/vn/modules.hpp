// The SystemC structure of the von Neumann machine, connected with TLM-2.0 sockets:
//
//   Unit (SM/core) --DmaEngine--> Noc (crossbar) --> L2Module --> HBM MemorySystem
//
// Timing lives in plain C++ (timing.hpp, l2_cache.hpp); the modules only move transactions
// and wait. Everything is event-driven: no clocks, a module wakes only when work arrives.
// - DmaEngine: a unit's copy engine (cp.async/TMA). Jobs (lists of address ranges) are
//   posted by the unit; the engine serialises them on the unit's port (bytes/cycle), issues
//   each range downstream when its port slot starts, and signals completion when both the
//   port transfer and the downstream transfer are done. Several worker threads keep several
//   jobs in flight, as a multistage pipeline does.
// - Noc: the crossbar between units and L2 slices: aggregate bandwidth (FCFS reservation) and
//   a fixed latency each way. Left out: per-slice routing and partition crossing.
// - L2Module: tags (L2Cache), data-array bandwidth (banks x bytes/cycle), hit latency; misses
//   block the requester on the HBM socket; dirty evictions are written back asynchronously
//   by a pool of write-back threads (the write-back buffer: several writes in flight).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "cimsim/stats/registry.hpp"
#include "cimsim/vn/kernels.hpp"
#include "cimsim/vn/l2_cache.hpp"
#include "cimsim/vn/timing.hpp"

namespace cimsim::vn {

// Which tensor a transfer belongs to (tags L2 blocks).
struct TensorExt : tlm::tlm_extension<TensorExt> {
  uint32_t tensor = 0;
  tlm::tlm_extension_base* clone() const override { return new TensorExt(*this); }
  void copy_from(const tlm::tlm_extension_base& o) override {
    tensor = static_cast<const TensorExt&>(o).tensor;
  }
};

// Live action and byte counters, shared by the modules (plain integer adds).
struct LiveCounts {
  stats::Counts counts;
  stats::ActionId l2_read = 0, l2_write = 0, noc_byte = 0;
  stats::LinkId l2_link = 0, smem_link = 0;
};

double now_ps();
void wait_until_ps(double t_ps);

class Noc : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Noc> in;
  tlm_utils::simple_initiator_socket<Noc> out;
  Noc(sc_core::sc_module_name name, double bytes_per_ps, double latency_ps, LiveCounts& live);

 private:
  void b_transport(int id, tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  SharedPipe xbar_;
  double latency_ps_;
  LiveCounts& live_;
};

// One access of a unit to the L2 (fast-forward records and replays these).
struct L2Access {
  uint64_t addr = 0;
  uint64_t bytes = 0;
  uint32_t tensor = 0;
  bool write = false;
};

// What the L2 asks of the memory: fills of missed sectors and write-backs of dirty evictions,
// aligned to the memory's bursts.
struct L2Traffic {
  uint64_t fill_bytes = 0;  // missed bytes as requested (before burst alignment)
  uint64_t read_requests = 0, read_bytes = 0;
  uint64_t writebacks = 0, writeback_bytes = 0;
  bool operator==(const L2Traffic& o) const {
    return fill_bytes == o.fill_bytes && read_requests == o.read_requests &&
           read_bytes == o.read_bytes && writebacks == o.writebacks &&
           writeback_bytes == o.writeback_bytes;
  }
  L2Traffic operator-(const L2Traffic& o) const {
    return L2Traffic{fill_bytes - o.fill_bytes, read_requests - o.read_requests,
                     read_bytes - o.read_bytes, writebacks - o.writebacks,
                     writeback_bytes - o.writeback_bytes};
  }
};

// Payloads for SC_THREADs. SystemC does not unwind a suspended thread's stack when the
// simulation ends (a worker never returns), so a payload living on that stack would leak; the
// pool owns every payload it hands out, and take()/give_back() reuse them.
class PayloadPool {
 public:
  tlm::tlm_generic_payload& take() {
    if (free_.empty()) {
      return all_.emplace_back();
    }
    tlm::tlm_generic_payload* p = free_.back();
    free_.pop_back();
    return *p;
  }
  void give_back(tlm::tlm_generic_payload& p) { free_.push_back(&p); }

 private:
  std::deque<tlm::tlm_generic_payload> all_;
  std::vector<tlm::tlm_generic_payload*> free_;
};

class L2Module : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<L2Module> in;
  tlm_utils::simple_initiator_socket<L2Module> mem;
  L2Module(sc_core::sc_module_name name, uint64_t capacity, uint64_t block_bytes,
           double bytes_per_ps, double hit_latency_ps, double mem_latency_ps, uint64_t access_bytes,
           unsigned writebacks_in_flight, LiveCounts& live);
  L2Cache& cache() { return cache_; }
  bool idle() const { return queue_.empty() && writing_ == 0; }
  // Queues write-backs (burst-aligned ranges) as evictions would (fast-forward replays).
  void post_writebacks(const std::vector<AddrRange>& ranges);
  sc_core::sc_event& idle_event() { return idle_event_; }
  uint64_t requested_read_bytes() const { return mem_read_; }
  uint64_t requested_write_bytes() const { return mem_write_; }
  // Traffic to the memory so far (every access through the socket).
  const L2Traffic& traffic() const { return traffic_; }
  // Appends every access through the socket to `log` (nullptr: stop).
  void set_log(std::vector<L2Access>* log) { log_ = log; }
  // Applies an access to the tags only, as the socket would, adding its memory traffic to
  // `traffic` and its write-backs to `writebacks` (fast-forward replays; nothing is counted,
  // sent or timed).
  void apply_untimed(const L2Access& a, L2Traffic& traffic, std::vector<AddrRange>& writebacks);

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  void writeback_thread();
  // Tags and traffic of one access; the aligned miss range lands in miss_addr/miss_bytes and
  // the aligned write-backs in scratch_.writebacks.
  void apply(const L2Access& a, L2Traffic& traffic, uint64_t& miss_addr, uint64_t& miss_bytes);
  uint64_t access_;
  L2Cache cache_;
  SharedPipe arrays_;
  double hit_latency_ps_, mem_latency_ps_;
  LiveCounts& live_;
  std::deque<AddrRange> queue_;
  unsigned writing_ = 0;
  sc_core::sc_event queued_, idle_event_;
  uint64_t mem_read_ = 0, mem_write_ = 0;
  L2Cache::Result scratch_;
  L2Traffic traffic_;
  std::vector<L2Access>* log_ = nullptr;
  PayloadPool payloads_;
};

struct DmaJob {
  std::vector<Load> ranges;
  bool write = false;
  uint64_t bytes = 0;
  double port_start_ps = 0, port_end_ps = 0;
  double done_ps = 0;
  bool done = false;
  sc_core::sc_event done_event;
};

class DmaEngine : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmaEngine> out;
  // `requestor` tags every request for the memory's scheduler (memory/requestor.hpp).
  DmaEngine(sc_core::sc_module_name name, double port_bytes_per_ps, unsigned workers,
            sc_core::sc_event& drained, uint64_t& outstanding, uint16_t requestor = 0);
  // Reserves the port for the job from now on and queues it; the job must stay alive until
  // done. Returns the port transfer time of the job.
  void post(DmaJob& job);
  double ps_per_byte() const { return port_.ps_per_byte(); }

 private:
  void worker();
  BandwidthPipe port_;
  PayloadPool payloads_;  // one per worker
  std::deque<DmaJob*> queue_;
  sc_core::sc_event queued_;
  sc_core::sc_event& drained_;
  uint64_t& outstanding_;
  uint16_t requestor_;
};

}  // namespace cimsim::vn
