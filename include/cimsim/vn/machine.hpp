// The von Neumann machine as one SystemC module: N units (SMs or cores), each with a DMA
// engine, a crossbar, a banked L2 and a socket to the HBM memory system. It runs kernels
// (kernels.hpp) one after another, as one CUDA stream does: thread blocks are handed to units
// in order as units become free (waves, with wave quantisation), and a kernel ends when its
// last block has finished and its stores and write-backs have drained.
//
// A thread block's main loop is one batched event (timing.hpp): the block posts its first
// stage and the rest of its loads to its DMA engine, learns the latency from the first stage,
// evaluates the software-pipeline recurrence and ends at the later of that and "all loads
// arrived + one step of compute". In step mode (tests) every step is its own event with its
// own transfer; both give the same answer when nothing interrupts the block.
// Left out: warp scheduling, register-file limits on occupancy, L1 caching of non-tile data,
// instruction caches, DVFS/power capping (the clock is fixed at the configured boost clock).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>

#include "cimsim/memory/offchip.hpp"
#include "cimsim/stats/registry.hpp"
#include "cimsim/vn/config.hpp"
#include "cimsim/vn/kernels.hpp"
#include "cimsim/vn/modules.hpp"

namespace cimsim::vn {

class VnMachine : public sc_core::sc_module {
 public:
  // Declares the machine's components, actions and links in `registry` (the memory declares
  // its own first).
  // `memory`: the HBM model (memory/offchip.hpp) or a test stand-in.
  VnMachine(sc_core::sc_module_name name, const MachineConfig& cfg, memory::OffChipMemory& memory,
            stats::Registry& registry);
  ~VnMachine() override;

  // Runs one kernel to completion, starting it at `start_ps` (the launch model's answer) or
  // now if that has passed; call from an SC_THREAD.
  void run_kernel(const KernelPlan& kernel, double start_ps = 0);
  // One event per main-loop step instead of one per thread block (tests).
  void set_step_mode(bool on) { step_mode_ = on; }

  LiveCounts& live() { return live_; }
  const LiveCounts& live() const { return live_; }
  L2Module& l2() { return *l2_; }
  const MachineConfig& config() const { return cfg_; }
  // Bytes the L2 asked the memory to read and write (for the conservation test).
  uint64_t requested_read_bytes() const { return l2_->requested_read_bytes(); }
  uint64_t requested_write_bytes() const { return l2_->requested_write_bytes(); }
  double cycle_ps() const { return 1000.0 / cfg_.clock_ghz; }
  uint64_t kernels_run() const { return kernels_run_; }
  uint64_t ctas_run() const { return ctas_run_; }

 private:
  struct UnitState;
  void unit_thread(unsigned unit);
  void run_cta(unsigned unit, const KernelPlan& k, uint64_t idx);
  double step_ps(const StepWork& s, trace::DType t, bool serial_matmul) const;
  void count_cta(const CtaWork& w, trace::DType t);

  const MachineConfig& cfg_;
  double miss_latency_ps_ = 0;
  double peak_bw_ = 1;  // unloaded round trip of an L2 miss
  LiveCounts live_;
  std::unique_ptr<Noc> noc_;
  std::unique_ptr<L2Module> l2_;
  std::vector<std::unique_ptr<DmaEngine>> dma_;
  std::vector<std::unique_ptr<UnitState>> units_;
  const KernelPlan* kernel_ = nullptr;
  uint64_t next_cta_ = 0, ctas_done_ = 0;
  sc_core::sc_event kernel_start_, ctas_done_event_, drained_;
  uint64_t outstanding_ = 0;
  bool step_mode_ = false;
  uint64_t kernels_run_ = 0, ctas_run_ = 0;
  // Action ids by data type (UINT32_MAX: not declared).
  std::vector<stats::ActionId> tensor_mac_, vector_mac_;
  stats::ActionId vflop_ = 0, sfu_ = 0, smem_read_ = 0, smem_write_ = 0;
};

}  // namespace cimsim::vn
