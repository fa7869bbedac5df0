// Plain C++ timing primitives of the von Neumann machine (no SystemC inside).
//
// BandwidthPipe: a first-come first-served bandwidth reservation (a port, a crossbar, the L2
// data arrays). A transfer of B bytes requested at t occupies the pipe from max(t, free) for
// B / rate; the caller learns its finish time without any event.
//
// Tile pipeline: the software pipeline of a thread block's main loop (CUTLASS multistage,
// cp.async double buffering). Step k's operands are loaded into one of `stages` buffers; the
// load may start only when the buffer is free (compute of step k - stages has ended); loads
// share the unit's port one after another; data is usable `latency` after its transfer; step
// k computes once its data has arrived and step k-1 has computed. pipeline_span_ps() evaluates
// this recurrence exactly; it is what one batched tile event waits for, and what the
// step-by-step mode produces with one event per step (tests/vn/test_tile_batching.cpp).
// Left out: warp scheduling and instruction issue inside a step (a step's compute is
// max(tensor, vector, SFU, shared-memory) time at peak rate).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace cimsim::vn {

class BandwidthPipe {
 public:
  BandwidthPipe() = default;
  explicit BandwidthPipe(double bytes_per_ps) : ps_per_byte_(1.0 / bytes_per_ps) {}
  // Reserves `bytes` from max(now, free); returns the finish time in ps.
  double reserve(double now_ps, uint64_t bytes) {
    double start = std::max(now_ps, free_ps_);
    free_ps_ = start + static_cast<double>(bytes) * ps_per_byte_;
    return free_ps_;
  }
  double start_of_next(double now_ps) const { return std::max(now_ps, free_ps_); }
  double ps_per_byte() const { return ps_per_byte_; }

 private:
  double ps_per_byte_ = 0;
  double free_ps_ = 0;
};

// A pipe shared by many requesters (crossbar, L2 data arrays). Its aggregate throughput is
// bounded as in a FCFS pipe, but a request does not wait behind the whole backlog of earlier
// bulk transfers: with k transfers in flight it finishes no later than if it had 1/(k+1) of
// the pipe (processor sharing), which is how interleaved bursts of concurrent streams behave.
// With nothing in flight it is exactly bytes / rate.
class SharedPipe {
 public:
  SharedPipe() = default;
  explicit SharedPipe(double bytes_per_ps) : ps_per_byte_(1.0 / bytes_per_ps) {}
  double reserve(double now_ps, uint64_t bytes) {
    while (!active_.empty() && active_.top() <= now_ps) {
      active_.pop();
    }
    double own = static_cast<double>(bytes) * ps_per_byte_;
    double fcfs = std::max(now_ps, free_ps_) + own;
    free_ps_ = fcfs;
    double shared = now_ps + own * static_cast<double>(1 + active_.size());
    double done = std::min(fcfs, shared);
    active_.push(done);
    return done;
  }

 private:
  double ps_per_byte_ = 0;
  double free_ps_ = 0;
  std::priority_queue<double, std::vector<double>, std::greater<double>> active_;
};

struct PipelineParams {
  uint64_t steps = 1;
  uint32_t stages = 2;    // operand buffers (loads in flight + the one being computed on)
  double load_ps = 0;     // port transfer time of one step's operands
  double latency_ps = 0;  // from the end of a step's transfer until its data is usable
  double compute_ps = 0;  // compute time of one step
};

// Time from the first load's issue until the last step's compute ends.
double pipeline_span_ps(const PipelineParams& p);

}  // namespace cimsim::vn
