#include "cimsim/vn/machine.hpp"

#include <algorithm>
#include <cmath>

#include "cimsim/common/enum_names.hpp"

namespace cimsim::vn {

namespace {
constexpr stats::ActionId kNone = UINT32_MAX;
constexpr size_t kDTypes = 6;
uint64_t to_count(double v) {
  return v <= 0 ? 0 : static_cast<uint64_t>(std::llround(v));
}
double pj(const std::map<std::string, double>& table, const std::string& key) {
  auto it = table.find(key);
  return it == table.end() ? 0.0 : it->second;
}
}  // namespace

struct VnMachine::UnitState {
  CtaWork work;
  DmaJob first, rest, store;
  std::vector<std::unique_ptr<DmaJob>> steps;
};

VnMachine::VnMachine(sc_core::sc_module_name name, const MachineConfig& cfg,
                     memory::OffChipMemory& memory, stats::Registry& reg)
    : sc_module(name), cfg_(cfg) {
  const double cyc = 1000.0 / cfg.clock_ghz;  // ps per cycle
  const std::string unit = cfg.compute.unit_name;
  const auto& en = cfg.energy;
  const std::string src = "machine config energy table";
  tensor_mac_.assign(kDTypes, kNone);
  vector_mac_.assign(kDTypes, kNone);
  for (const auto& [t, n] : config::EnumNames<trace::DType>::names()) {
    size_t i = static_cast<size_t>(t);
    if (rate_for(cfg.compute.tensor_macs_per_cycle, t) > 0) {
      tensor_mac_[i] =
          reg.action(unit + ".tensor", std::string("mac_") + n, pj(en.tensor_mac_pj, n), src);
    }
    if (rate_for(cfg.compute.vector_macs_per_cycle, t) > 0) {
      vector_mac_[i] =
          reg.action(unit + ".vector", std::string("mac_") + n, pj(en.vector_mac_pj, n), src);
    }
  }
  vflop_ = reg.action(unit + ".vector", "flop_fp32", en.vector_flop_pj, src);
  sfu_ = reg.action(unit + ".sfu", "op", en.sfu_op_pj, src);
  smem_read_ = reg.action(unit + ".smem", "read_byte", en.smem_read_pj_per_byte, src);
  smem_write_ = reg.action(unit + ".smem", "write_byte", en.smem_write_pj_per_byte, src);
  live_.l2_read = reg.action("l2", "read_byte", en.l2_read_pj_per_byte, src);
  live_.l2_write = reg.action("l2", "write_byte", en.l2_write_pj_per_byte, src);
  live_.noc_byte = reg.action("noc", "transfer_byte", en.noc_pj_per_byte, src);
  const auto& sp = cfg.static_power;
  reg.component(unit, sp.unit_w * cfg.compute.units, 0, cfg.compute.units);
  reg.component("l2", sp.l2_w, 0, cfg.l2.banks);
  reg.component("noc", sp.noc_w, 0, 1);
  reg.component("other", sp.other_w, 0, 1);
  live_.l2_link = reg.link("l2", "L2 <-> " + unit + " shared memory (over the NoC)");
  live_.smem_link = reg.link("smem", unit + " shared memory <-> compute");
  live_.counts.reset(reg);

  peak_bw_ = memory.peak_bandwidth_bytes_per_s();
  noc_ = std::make_unique<Noc>("noc", cfg.noc.bisection_bytes_per_cycle / cyc,
                               static_cast<double>(cfg.noc.latency_cycles) * cyc, live_);
  l2_ = std::make_unique<L2Module>("l2", cfg.l2.capacity_bytes, cfg.l2.block_bytes,
                                   cfg.l2.bank_bytes_per_cycle * cfg.l2.banks / cyc,
                                   static_cast<double>(cfg.l2.hit_latency_cycles) * cyc,
                                   static_cast<double>(cfg.noc.memory_latency_cycles) * cyc,
                                   memory.access_bytes(), cfg.l2.writebacks_in_flight, live_);
  noc_->out.bind(l2_->in);
  miss_latency_ps_ =
      static_cast<double>(2 * cfg.noc.latency_cycles + 2 * cfg.l2.hit_latency_cycles +
                          2 * cfg.noc.memory_latency_cycles) *
          cyc +
      memory.unloaded_latency_ps();
  l2_->mem.bind(memory.target());
  uint32_t max_stages = 2;
  for (const auto& t : cfg.gemm.tiles) {
    max_stages = std::max(max_stages, t.stages);
  }
  unsigned workers = std::max<unsigned>(4, max_stages * cfg.compute.max_ctas_per_unit + 2);
  for (uint32_t u = 0; u < cfg.compute.units; ++u) {
    std::string n = unit + std::to_string(u) + "_dma";
    // Requestor ids for the memory's scheduler: unit u is u + 1 (0 is "unknown": write-backs).
    dma_.push_back(std::make_unique<DmaEngine>(n.c_str(), cfg.noc.port_bytes_per_cycle / cyc,
                                               workers, drained_, outstanding_,
                                               static_cast<uint16_t>(std::min(u + 1, 0xFFFFu))));
    dma_.back()->out.bind(noc_->in);
    units_.push_back(std::make_unique<UnitState>());
    sc_core::sc_spawn(sc_core::sc_bind(&VnMachine::unit_thread, this, u),
                      (unit + std::to_string(u)).c_str());
  }
}

VnMachine::~VnMachine() = default;

double VnMachine::step_ps(const StepWork& s, trace::DType t, bool serial_matmul) const {
  const auto& c = cfg_.compute;
  // Matrix work runs at the rate the units sustain (compute.tensor_efficiency); a type with
  // no matrix unit runs on the SIMD units at their rate.
  double matrix = 0;
  if (s.tensor_macs > 0) {
    double r = rate_for(c.tensor_macs_per_cycle, t) * c.tensor_efficiency;
    if (r <= 0) {
      r = rate_for(c.vector_macs_per_cycle, t);
    }
    matrix = s.tensor_macs / std::max(r, 1e-9);
  }
  if (s.vector_macs > 0) {
    double r = rate_for(c.vector_macs_per_cycle, t);
    if (r <= 0) {
      r = rate_for(c.tensor_macs_per_cycle, t) * c.tensor_efficiency;
    }
    matrix = std::max(matrix, s.vector_macs / std::max(r, 1e-9));
  }
  const double other =
      std::max(s.vector_flops / c.vector_flops_per_cycle, s.sfu_ops / c.sfu_ops_per_cycle);
  const double smem = (s.smem_read + s.smem_write) / cfg_.smem.bandwidth_bytes_per_cycle;
  const double cycles =
      serial_matmul ? std::max(matrix + other, smem) : std::max({matrix, other, smem});
  return cycles * cycle_ps();
}

void VnMachine::count_cta(const CtaWork& w, trace::DType t) {
  auto& a = live_.counts.actions;
  double n = static_cast<double>(w.steps);
  size_t i = static_cast<size_t>(t);
  if (w.step.tensor_macs > 0) {
    stats::ActionId id = tensor_mac_[i] != kNone ? tensor_mac_[i] : vector_mac_[i];
    if (id != kNone) {
      a[id] += to_count(w.step.tensor_macs * n);
    }
  }
  if (w.step.vector_macs > 0) {
    stats::ActionId id = vector_mac_[i] != kNone ? vector_mac_[i] : tensor_mac_[i];
    if (id != kNone) {
      a[id] += to_count(w.step.vector_macs * n);
    }
  }
  a[vflop_] += to_count(w.step.vector_flops * n + w.epilogue.vector_flops);
  a[sfu_] += to_count(w.step.sfu_ops * n + w.epilogue.sfu_ops);
  uint64_t rd = to_count(w.step.smem_read * n + w.epilogue.smem_read);
  uint64_t wr = to_count(w.step.smem_write * n + w.epilogue.smem_write);
  a[smem_read_] += rd;
  a[smem_write_] += wr;
  live_.counts.read_bytes[live_.smem_link] += rd;
  live_.counts.write_bytes[live_.smem_link] += to_count(w.epilogue.smem_write);
}

namespace {
// Bytes [lo, hi) of the concatenation of `loads`.
void slice_loads(const std::vector<Load>& loads, uint64_t lo, uint64_t hi, std::vector<Load>& out) {
  out.clear();
  uint64_t pos = 0;
  for (const auto& l : loads) {
    uint64_t a = std::max(lo, pos), b = std::min(hi, pos + l.bytes);
    if (a < b) {
      out.push_back(Load{l.addr + (a - pos), b - a, l.tensor});
    }
    pos += l.bytes;
    if (pos >= hi) {
      break;
    }
  }
}
}  // namespace

void VnMachine::run_cta(unsigned u, const KernelPlan& k, uint64_t idx) {
  UnitState& st = *units_[u];
  DmaEngine& dma = *dma_[u];
  CtaWork& w = st.work;
  w.clear();
  k.cta(idx, w);
  count_cta(w, k.dtype);
  if (cfg_.compute.cta_launch_cycles > 0) {
    sc_core::wait(sc_core::sc_time(static_cast<double>(cfg_.compute.cta_launch_cycles) * cycle_ps(),
                                   sc_core::SC_PS));
  }
  const double t0 = now_ps();
  const double c = step_ps(w.step, k.dtype, k.serial_matmul);
  uint64_t total = 0;
  for (const auto& l : w.loads) {
    total += l.bytes;
  }
  const uint64_t n = std::max<uint64_t>(1, w.steps);
  const uint32_t stages = std::max<uint32_t>(1, k.stages * std::max<uint32_t>(1, k.occupancy));
  if (total == 0) {
    wait_until_ps(t0 + c * static_cast<double>(n));
  } else if (!step_mode_) {
    uint64_t first = std::max<uint64_t>(1, total / n);
    slice_loads(w.loads, 0, first, st.first.ranges);
    slice_loads(w.loads, first, total, st.rest.ranges);
    st.first.write = st.rest.write = false;
    dma.post(st.first);
    if (!st.rest.ranges.empty()) {
      dma.post(st.rest);
    }
    if (!st.first.done) {
      sc_core::wait(st.first.done_event);
    }
    // The recurrence takes the per-step latency without queueing (capped at an unloaded L2
    // miss); queueing under contention delays the first arrival and the last one (below).
    PipelineParams p;
    p.steps = n;
    p.stages = stages;
    p.load_ps = static_cast<double>(first) * dma.ps_per_byte();
    double measured = std::max(0.0, st.first.done_ps - t0 - p.load_ps);
    p.latency_ps =
        std::min(measured, miss_latency_ps_ + static_cast<double>(first) * 1e12 / peak_bw_);
    p.compute_ps = c;
    double end = st.first.done_ps - p.load_ps - p.latency_ps + pipeline_span_ps(p);
    if (!st.rest.ranges.empty()) {
      if (!st.rest.done) {
        sc_core::wait(st.rest.done_event);
      }
      end = std::max(end, st.rest.done_ps + c);
    }
    wait_until_ps(end);
  } else {
    if (st.steps.size() < n) {
      while (st.steps.size() < n) {
        st.steps.push_back(std::make_unique<DmaJob>());
      }
    }
    uint64_t posted = 0;
    double prev_end = t0;
    for (uint64_t s = 0; s < n; ++s) {
      while (posted < n && (posted < stages || posted - stages < s)) {
        DmaJob& j = *st.steps[posted];
        slice_loads(w.loads, total * posted / n, total * (posted + 1) / n, j.ranges);
        j.write = false;
        dma.post(j);
        ++posted;
      }
      if (!st.steps[s]->done) {
        sc_core::wait(st.steps[s]->done_event);
      }
      wait_until_ps(std::max(now_ps(), prev_end) + c);
      prev_end = now_ps();
    }
  }
  double epi = step_ps(w.epilogue, k.dtype, false);
  if (epi > 0) {
    wait_until_ps(now_ps() + epi);
  }
  if (!w.stores.empty()) {
    if (st.store.bytes > 0 && !st.store.done) {
      sc_core::wait(st.store.done_event);
    }
    st.store.ranges = w.stores;
    st.store.write = true;
    dma.post(st.store);
  }
}

void VnMachine::unit_thread(unsigned u) {
  for (;;) {
    while (kernel_ == nullptr || next_cta_ >= kernel_->ctas) {
      sc_core::wait(kernel_start_);
    }
    const KernelPlan& k = *kernel_;
    uint64_t idx = next_cta_++;
    run_cta(u, k, idx);
    ++ctas_run_;
    if (++ctas_done_ == k.ctas) {
      ctas_done_event_.notify(sc_core::SC_ZERO_TIME);
    }
  }
}

void VnMachine::run_kernel(const KernelPlan& kernel, double start_ps) {
  if (kernel.ctas == 0) {
    return;
  }
  wait_until_ps(start_ps);
  kernel_ = &kernel;
  next_cta_ = 0;
  ctas_done_ = 0;
  kernel_start_.notify(sc_core::SC_ZERO_TIME);
  while (ctas_done_ < kernel.ctas) {
    sc_core::wait(ctas_done_event_);
  }
  kernel_ = nullptr;
  while (outstanding_ > 0 || !l2_->idle()) {
    if (outstanding_ > 0) {
      sc_core::wait(drained_);
    } else {
      sc_core::wait(l2_->idle_event());
    }
  }
  ++kernels_run_;
}

}  // namespace cimsim::vn
