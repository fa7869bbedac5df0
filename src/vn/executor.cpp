#include "cimsim/vn/executor.hpp"

#include <algorithm>
#include <cmath>
#include <deque>

#include "cimsim/common/error.hpp"
#include "cimsim/vn/bound.hpp"

namespace cimsim::vn {

VnExecutor::VnExecutor(const config::ConfigDoc& doc, MachineConfig cfg,
                       const std::string& module_name, const exec::RunOptions& options,
                       std::unique_ptr<memory::OffChipMemory> memory)
    : ExecutorBase(cfg.name, "von_neumann", config::to_json(cfg), options),
      doc_(doc),
      cfg_(std::move(cfg)),
      memory_(std::move(memory)) {
  memory_->declare(registry());
  machine_ = std::make_unique<VnMachine>(module_name.c_str(), cfg_, *memory_, registry());
  if (auto link = memory::find_offchip_link(registry())) {
    hbm_link_ = *link;
    has_hbm_link_ = true;
  }
  attributed_hbm_.reset(registry());
  background_ = memory_->background_actions();
  if (cfg_.node) {
    make_node();
  }
  start_recording(cfg_.clock_ghz);
}

VnExecutor::~VnExecutor() = default;

void VnExecutor::start(std::unique_ptr<trace::OpSource> trace) {
  source_ = std::move(trace);
  map_ = std::make_unique<AddressMap>(memory_->capacity_bytes(), cfg_.l2.block_bytes);
  if (node_) {
    start_node();
  } else {
    map_->place_header(source_->header(), doc_.where(doc_.root_name + ".memory"));
  }
  config::ConfigDoc doc = doc_;
  planner_ = std::make_unique<KernelPlanner>(
      cfg_, *map_, memory_->peak_bandwidth_bytes_per_s(),
      [doc](const std::string& path) { return doc.where(doc.root_name + "." + path); });
  memo_ = std::make_unique<FastForwardMemo>(*map_, machine_->l2(),
                                            memory_->peak_bandwidth_bytes_per_s(),
                                            cfg_.compute.gemv_max_rows, cfg_.gemm.mma_m);
  launch_ = cfg_.execution.make();
  fuser_ = std::make_unique<Fuser>(cfg_.fusion);
  set_ops_total(source_->header().op_count);
  std::string n = std::string(machine_->name()) + "_player";
  sc_core::sc_spawn(sc_core::sc_bind(&VnExecutor::player, this), n.c_str());
}

std::optional<uint64_t> VnExecutor::kv_budget_bytes(uint64_t weight_bytes,
                                                    double utilization) const {
  // A node: every device used holds its share of the weights and of each token's K and V
  // (tensor parallelism splits both by heads, pipeline parallelism by layers), so the pool is
  // the node's; weights a rank replicates (embedding, norms) are counted once. The memory is
  // already the pipeline stages' (fold_memory): the tensor-parallel ranks multiply it.
  const double devices = node_ ? node_->tensor_parallel() : 1;
  const auto usable =
      static_cast<uint64_t>(static_cast<double>(memory_->capacity_bytes()) * devices * utilization);
  return usable > weight_bytes ? usable - weight_bytes : 0;
}

bool VnExecutor::done() const {
  if (error_) {
    std::rethrow_exception(error_);
  }
  return ExecutorBase::done();
}

const stats::Counts& VnExecutor::memory_now() {
  // Ops follow one another with no time in between, so one op's end is the next one's start:
  // the memory is asked once per instant (asking copies all of its statistics).
  const double t = now_ps();
  if (t != memory_now_ps_) {
    memory_now_.reset(registry());
    memory_->add_counts(memory_now_);
    memory_now_ps_ = t;
  }
  return memory_now_;
}

void VnExecutor::player() {
  try {
    // One phase at a time: fusions look ahead within it (fusion.hpp), and at its start the
    // host waits for the previous phase before launching (execution.hpp).
    std::deque<trace::Op> phase;
    trace::Op next;
    bool have = pull(next);
    bool first = true;
    while (have) {
      const trace::Phase p = next.phase;
      // A live source ends a phase without showing the next op: run the phase, then read on.
      bool read_after = false;
      while (have && next.phase == p) {
        phase.push_back(std::move(next));
        next = trace::Op{};
        // A node reads its first phase ahead (pending_): only a drained read-ahead may end one.
        read_after = pending_.empty() && source_->phase_complete();
        if (read_after) break;
        have = pull(next);
      }
      if (first) {
        memory_first_ = memory_now();
        first = false;
      }
      launch_->begin_phase(now_ps());
      ++phases_;
      if (node_) {
        run_node_phase(phase);  // empties `phase`
      }
      while (!phase.empty()) {
        run_group(fuser_->take(phase, *planner_));
      }
      if (read_after) have = pull(next);
    }
    if (!first) {
      // Everything the memory counted from the first op's start to the last one's end belongs
      // to some op (simulated ops take their share, replays stand for theirs).
      attributed_hbm_ = memory_now() - memory_first_;
    }
  } catch (...) {
    error_ = std::current_exception();
    return;
  }
  finish(static_cast<uint64_t>(std::llround(now_ps())));
}

void VnExecutor::run_group(const OpGroup& group) {
  map_->begin_use();
  std::vector<KernelPlan> kernels = planner_->plan(group);
  const trace::Op& anchor = group.ops[group.anchor];
  memo_->set_ops(group.ops, map_->used_scratch());
  report::OpCost cost;
  const uint64_t start = static_cast<uint64_t>(std::llround(now_ps()));
  cost.start_ps = start;
  FastForwardMemo::Key key{0, 0};
  const Recording* hit = nullptr;
  FastForwardMemo::TrafficDelta delta;
  if (options().fast_forward) {
    key = memo_->key(group.ops, group.variant);
    hit = memo_->try_replay(key, replay_writebacks_, delta);
  }
  uint64_t flops = 0;
  for (const auto& op : group.ops) {
    flops += op.flops;
  }
  if (hit != nullptr) {
    // Write-backs the recorded op did not have go to the memory for real, alongside the
    // replay. What the memory counts meanwhile in the background (standby, refresh) is already
    // in the recorded counts: it is set aside, not counted twice; the rest (the write-backs'
    // activates, bursts and bytes) is charged to the op.
    // The memory's traffic counts (all but the background actions) have not changed since it
    // was last asked: every op that sent traffic asked it at its end.
    stats::Counts mem_before;
    if (!replay_writebacks_.empty()) {
      mem_before = memory_now_ps_ >= 0 ? memory_now_ : memory_now();
    }
    L2Module& l2 = machine_->l2();
    l2.post_writebacks(replay_writebacks_);
    if (!replay_writebacks_.empty()) {
      ++ff_with_writebacks_;
    }
    uint64_t wb_bytes = 0;
    for (const auto& w : replay_writebacks_) {
      wb_bytes += w.bytes;
    }
    // The recorded kernels, placed by the launch model as if they ran now; the write-backs'
    // share of the memory's bandwidth after them, as if the op were memory bound.
    for (uint64_t k_ps : hit->kernel_ps) {
      const double at = std::max(launch_->kernel_start_ps(gpu_end_ps_), now_ps());
      launch_idle_ps_ += at - gpu_end_ps_;
      gpu_end_ps_ = at + static_cast<double>(k_ps);
    }
    kernels_ += hit->kernel_ps.size();
    // Traffic that differs from the recording's (within the memo's share) adds or saves its
    // time at peak bandwidth.
    const double extra_ps = static_cast<double>(static_cast<int64_t>(wb_bytes) + delta.fill_bytes +
                                                delta.writeback_bytes) /
                            memory_->peak_bandwidth_bytes_per_s() * 1e12;
    gpu_end_ps_ = std::max(now_ps(), gpu_end_ps_ + extra_ps);
    wait_until_ps(gpu_end_ps_);
    while (!l2.idle()) {
      sc_core::wait(l2.idle_event());
    }
    cost.end_ps = static_cast<uint64_t>(std::llround(now_ps()));
    cost.counts = hit->counts;
    // Recorded for other rows (the same padded M): what the thread blocks count is this op's.
    if (hit->m_rows != memo_->matmul_rows(group.ops)) {
      cost.counts -= hit->plan;
      cost.counts += machine_->plan_counts(kernels);
    }
    if (!replay_writebacks_.empty()) {
      stats::Counts mem_during = memory_now() - mem_before;
      for (stats::ActionId a : background_) {
        mem_during.actions[a] = 0;
      }
      cost.counts.add(mem_during);
    }
    if ((delta.fill_bytes != 0 || delta.writeback_bytes != 0) && has_hbm_link_) {
      // The HBM bytes the L2 asked for, exactly; the DRAM's actions stay the recording's.
      auto shift = [](uint64_t& v, int64_t d) {
        v = static_cast<uint64_t>(std::max<int64_t>(0, static_cast<int64_t>(v) + d));
      };
      shift(cost.counts.read_bytes[hbm_link_], delta.fill_bytes);
      shift(cost.counts.write_bytes[hbm_link_], delta.writeback_bytes);
      ++ff_near_traffic_;
    }
    cost.bound = hit->bound;
    cost.fast_forwarded = true;
    ++ff_ops_;
    ff_ps_ += cost.end_ps - start;
  } else {
    const stats::Counts live_before = machine_->live().counts;
    const stats::Counts mem_before = memory_now();
    L2Module& l2 = machine_->l2();
    const L2Traffic traffic_before = l2.traffic();
    log_.clear();
    if (options().fast_forward) {
      l2.set_log(&log_);
    }
    Recording rec;
    for (const auto& k : kernels) {
      if (k.ctas == 0) {
        continue;
      }
      const double at = std::max(launch_->kernel_start_ps(gpu_end_ps_), now_ps());
      launch_idle_ps_ += at - gpu_end_ps_;
      machine_->run_kernel(k, at);
      gpu_end_ps_ = now_ps();
      rec.kernel_ps.push_back(static_cast<uint64_t>(std::llround(gpu_end_ps_ - at)));
    }
    l2.set_log(nullptr);
    kernels_ += rec.kernel_ps.size();
    cost.end_ps = static_cast<uint64_t>(std::llround(now_ps()));
    cost.counts = machine_->live().counts - live_before;
    cost.counts += memory_now() - mem_before;
    ++sim_ops_;
    uint64_t hbm =
        has_hbm_link_ ? cost.counts.read_bytes[hbm_link_] + cost.counts.write_bytes[hbm_link_] : 0;
    trace::DType t = anchor.inputs.empty() ? trace::DType::fp16 : anchor.inputs[0].dtype;
    cost.bound = classify_bound(static_cast<double>(flops),
                                op_peak_flops_per_s(anchor.kind, t, planner_.get(), cfg_),
                                static_cast<double>(hbm), memory_->peak_bandwidth_bytes_per_s(),
                                static_cast<double>(cost.end_ps - start) * 1e-12);
    if (options().fast_forward) {
      rec.counts = cost.counts;
      rec.bound = cost.bound;
      rec.m_rows = memo_->matmul_rows(group.ops);
      if (rec.m_rows != 0) {
        rec.plan = machine_->plan_counts(kernels);
      }
      memo_->remember(key, rec, log_, l2.traffic() - traffic_before);
    }
  }
  gpu_end_ps_ = now_ps();
  if (group.name != nullptr) {
    ++fused_groups_[*group.name];
  }
  // The group's cost on its anchor; the other ops ran inside its kernels.
  for (size_t i = 0; i < group.ops.size(); ++i) {
    const trace::Op& op = group.ops[i];
    auto& s = op_stats_[{op.phase.kind, op.name}];
    if (s.count == 0) {
      s.kind = op.kind;
      s.dtype = op.inputs.empty() ? trace::DType::fp16 : op.inputs[0].dtype;
    }
    s.count++;
    if (i == group.anchor) {
      s.flops += flops;
      s.ps += cost.end_ps - start;
      if (has_hbm_link_) {
        s.hbm_bytes += cost.counts.read_bytes[hbm_link_] + cost.counts.write_bytes[hbm_link_];
      }
      record_op(op, cost);
    } else {
      report::OpCost inside;
      inside.start_ps = inside.end_ps = cost.end_ps;
      inside.counts.reset(registry());
      inside.bound = "fused";
      inside.fast_forwarded = cost.fast_forwarded;
      record_op(op, inside);
    }
  }
}

uint64_t VnExecutor::requested_bytes() const {
  return machine_->requested_read_bytes() + machine_->requested_write_bytes();
}

uint64_t VnExecutor::memory_reported_bytes() const {
  if (!has_hbm_link_) {
    return 0;
  }
  stats::Counts c;
  c.reset(registry());
  memory_->add_counts(c);
  return c.read_bytes[hbm_link_] + c.write_bytes[hbm_link_];
}

stats::Counts VnExecutor::unattributed() const {
  stats::Counts c;
  c.reset(registry());
  memory_->add_counts(c);
  c -= attributed_hbm_;
  if (node_) {
    node_->scale(c);
  }
  return c;
}

Json VnExecutor::metrics() const {
  Json m = Json::object();
  const double seconds = static_cast<double>(end_ps()) * 1e-12;
  const double clock = cfg_.clock_ghz * 1e9;
  Json peaks = Json::object();
  for (const auto& [t, n] : config::EnumNames<trace::DType>::names()) {
    double r = planner_ ? planner_->peak_macs_per_cycle(t) : 0;
    if (r > 0) {
      peaks[n] = 2.0 * r * clock;
    }
  }
  m["peak_flops_per_s"] = peaks;
  double peak_bw = memory_->peak_bandwidth_bytes_per_s();
  m["peak_hbm_bytes_per_s"] = peak_bw;
  uint64_t flops = 0, hbm = 0;
  std::map<trace::DType, uint64_t> flops_by_type;
  for (const auto& [k, s] : op_stats_) {
    flops += s.flops;
    hbm += s.hbm_bytes;
    flops_by_type[s.dtype] += s.flops;
  }
  trace::DType main_type = trace::DType::fp16;
  uint64_t most = 0;
  for (const auto& [t, f] : flops_by_type) {
    if (f > most) {
      most = f;
      main_type = t;
    }
  }
  double peak = planner_ ? 2.0 * planner_->peak_macs_per_cycle(main_type) * clock : 0;
  double achieved = seconds > 0 ? static_cast<double>(flops) / seconds : 0;
  double achieved_bw = seconds > 0 ? static_cast<double>(hbm) / seconds : 0;
  m["achieved_flops_per_s"] = achieved;
  m["achieved_hbm_bytes_per_s"] = achieved_bw;
  m["compute_utilization"] = peak > 0 ? achieved / peak : 0.0;
  m["compute_utilization_dtype"] = config::enum_name(main_type);
  m["bandwidth_utilization"] = peak_bw > 0 ? achieved_bw / peak_bw : 0.0;
  m["kernels"] = kernels_;
  m["execution"] = Json{{"name", cfg_.execution.name},
                        {"phases", phases_},
                        {"gpu_idle_between_kernels_s", launch_idle_ps_ * 1e-12}};
  Json fused = Json::object();
  for (const auto& [name, n] : fused_groups_) {
    fused[name] = n;
  }
  m["fusion"] = fused;
  m["thread_blocks"] = machine_->ctas_run();
  m["fast_forward"] = Json{
      {"enabled", options().fast_forward},
      {"ops_fast_forwarded", ff_ops_},
      {"ops_simulated", sim_ops_},
      {"ops_fast_forwarded_with_writebacks", ff_with_writebacks_},
      {"ops_fast_forwarded_with_other_traffic", ff_near_traffic_},
      {"replay_trials_failed", memo_ ? memo_->trials_failed() : 0},
      {"fast_forwarded_seconds", static_cast<double>(ff_ps_) * 1e-12},
      {"what",
       "an op (or fused group) identical in kind, shapes, data types and bytes to an earlier "
       "simulated one, with about the same share of its own tensors in L2, replays that op's "
       "recorded L2 accesses on the L2 tags; if the L2 then asks the memory for the same fills "
       "and write-backs (bytes and requests), the recorded kernel times (placed again by the "
       "launch model) and action counts stand in for simulating it (the DRAM itself is not "
       "simulated for it); if only this op writes back evicted data, the write-backs are "
       "simulated alongside the replay; if fills and write-backs differ by at most 0.5 %, the "
       "HBM bytes are corrected and the difference's time at peak bandwidth added or taken off; "
       "otherwise the tags are rolled back and the op is simulated"}};
  m["attention"] = cfg_.attention.name;
  if (node_) {
    m["node"] = node_->metrics();
  }
  m["roofline"] = roofline(
      op_stats_,
      [this](trace::OpKind kind, trace::DType t) {
        return op_peak_flops_per_s(kind, t, planner_.get(), cfg_);
      },
      peak_bw);
  return m;
}

}  // namespace cimsim::vn
