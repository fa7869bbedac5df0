#include "cimsim/vn/executor.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "cimsim/common/error.hpp"

namespace cimsim::vn {

namespace {
uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 29);
}
constexpr int32_t kOther = -1;
constexpr int32_t kScratchRole = 1000;
}  // namespace

struct VnExecutor::Memo {
  // One L2 access of the op, in role terms: which of the op's tensors (or which scratch
  // tensor) and where in it.
  struct Access {
    int32_t role = 0;
    bool write = false;
    int64_t offset = 0;
    uint64_t bytes = 0;
  };
  uint64_t check = 0;
  uint64_t duration_ps = 0;
  stats::Counts counts;
  std::string bound;
  std::vector<Access> log;
  L2Traffic traffic;  // what the op asked of the memory
};

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
  start_recording(cfg_.clock_ghz);
}

VnExecutor::~VnExecutor() = default;

void VnExecutor::start(std::unique_ptr<trace::OpSource> trace) {
  source_ = std::move(trace);
  map_ = std::make_unique<AddressMap>(memory_->capacity_bytes(), cfg_.l2.block_bytes);
  map_->place_header(source_->header(), doc_.where(doc_.root_name + ".memory"));
  config::ConfigDoc doc = doc_;
  planner_ = std::make_unique<KernelPlanner>(
      cfg_, *map_, memory_->peak_bandwidth_bytes_per_s(),
      [doc](const std::string& path) { return doc.where(doc.root_name + "." + path); });
  set_ops_total(source_->header().op_count);
  std::string n = std::string(machine_->name()) + "_player";
  sc_core::sc_spawn(sc_core::sc_bind(&VnExecutor::player, this), n.c_str());
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
    trace::Op op;
    bool first = true;
    while (source_->next(op)) {
      if (first) {
        memory_first_ = memory_now();
        first = false;
      }
      run_op(op);
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

int32_t VnExecutor::role_of(uint32_t tensor) const {
  for (size_t i = 0; i < op_tensors_.size(); ++i) {
    if (op_tensors_[i] == tensor) {
      return static_cast<int32_t>(i);
    }
  }
  return map_->is_scratch(tensor) ? kScratchRole + static_cast<int32_t>(tensor) : kOther;
}

std::pair<uint64_t, uint64_t> VnExecutor::memo_key(const trace::Op& op) {
  uint64_t h = mix(0x1234, static_cast<uint64_t>(op.kind));
  for (uint64_t v : {op.mm.batch, op.mm.m, op.mm.n, op.mm.k, op.attn.batch, op.attn.heads,
                     op.attn.kv_heads, op.attn.head_dim, op.attn.q_len, op.attn.kv_len,
                     uint64_t{op.attn.causal}, op.rows.rows, op.rows.cols}) {
    h = mix(h, v);
  }
  for (const auto* list : {&op.inputs, &op.outputs}) {
    h = mix(h, list->size());
    for (const auto& t : *list) {
      h = mix(mix(mix(h, static_cast<uint64_t>(t.kind)), static_cast<uint64_t>(t.dtype)), t.bytes);
      for (uint64_t d : t.shape) {
        h = mix(h, d);
      }
    }
  }
  // L2 state as it concerns the op: exactly which sectors of its own tensors (and of scratch)
  // are present and dirty, found by looking up the blocks of those tensors. The rest of the
  // L2 (what the op would evict) is checked by the trial replay in run_op, not here.
  const uint64_t bb = cfg_.l2.block_bytes;
  const L2Cache& cache = machine_->l2().cache();
  uint64_t g = mix(h, 0x5151);
  auto add_tensor = [&](uint64_t role, uint32_t tensor) {
    const TensorLoc& loc = map_->at(tensor);
    const uint64_t first = loc.base / bb,
                   last = (loc.base + std::max<uint64_t>(loc.size, 1) - 1) / bb;
    L2Cache::BlockState b;
    for (uint64_t blk = first; blk <= last; ++blk) {
      if (cache.lookup(blk, b) && b.tensor == tensor) {
        for (uint64_t v : {role, blk - first, b.valid, b.dirty}) {
          h = mix(h, v);
          g = mix(g, ~v);
        }
      }
    }
  };
  for (size_t r = 0; r < op_tensors_.size(); ++r) {
    uint32_t t = op_tensors_[r];
    if (t == UINT32_MAX || role_of(t) != static_cast<int32_t>(r)) {
      continue;  // not placed, or already seen in an earlier role
    }
    add_tensor(r, t);
  }
  for (uint32_t t : map_->scratch_indices()) {
    if (role_of(t) >= kScratchRole) {
      add_tensor(static_cast<uint64_t>(kScratchRole) + t, t);
    }
  }
  return {h, g};
}

const VnExecutor::Memo* VnExecutor::try_replay(const std::pair<uint64_t, uint64_t>& key,
                                               std::vector<AddrRange>& writebacks) {
  auto it = memo_.find(key.first);
  if (it == memo_.end()) {
    return nullptr;
  }
  auto& variants = it->second;
  L2Module& l2 = machine_->l2();
  L2Cache& cache = l2.cache();
  for (size_t v = 0; v < variants.size(); ++v) {
    const Memo& m = *variants[v];
    if (m.check != key.second) {
      continue;
    }
    // Replay the recorded accesses on the tags. The replay stands in for the op if the L2
    // asks the memory for exactly what it asked when the op was simulated, or for the same
    // fills plus write-backs of data the op evicts where the recorded op wrote nothing back:
    // then those write-backs are sent to the memory for real.
    cache.begin_trial();
    L2Traffic t;
    writebacks.clear();
    for (const auto& a : m.log) {
      uint32_t tensor = tensor_of(a.role);
      l2.apply_untimed(
          L2Access{static_cast<uint64_t>(static_cast<int64_t>(map_->at(tensor).base) + a.offset),
                   a.bytes, tensor, a.write},
          t, writebacks);
    }
    const bool same_fills = t.fill_bytes == m.traffic.fill_bytes &&
                            t.read_requests == m.traffic.read_requests &&
                            t.read_bytes == m.traffic.read_bytes;
    const bool exact = same_fills && t.writebacks == m.traffic.writebacks &&
                       t.writeback_bytes == m.traffic.writeback_bytes;
    // Write-backs the recorded op did not have are simulated, but not their contention with
    // the op's own traffic (the replay adds their time at the memory's peak bandwidth, right
    // for a memory-bound op): allowed only where that time is a small part of the op's.
    const bool small_writebacks =
        same_fills && m.traffic.writebacks == 0 &&
        static_cast<double>(t.writeback_bytes) / memory_->peak_bandwidth_bytes_per_s() * 1e12 <=
            kReplayWritebackShare * static_cast<double>(m.duration_ps);
    if (exact || small_writebacks) {
      cache.commit();
      if (exact) {
        writebacks.clear();
      }
      if (v > 0) {
        std::rotate(variants.begin(), variants.begin() + static_cast<std::ptrdiff_t>(v),
                    variants.begin() + static_cast<std::ptrdiff_t>(v) + 1);
      }
      return variants.front().get();
    }
    cache.rollback();
    ++ff_trials_failed_;
  }
  return nullptr;
}

uint32_t VnExecutor::tensor_of(int32_t role) const {
  return role >= kScratchRole ? static_cast<uint32_t>(role - kScratchRole)
                              : op_tensors_[static_cast<size_t>(role)];
}

void VnExecutor::remember(const std::pair<uint64_t, uint64_t>& key, const report::OpCost& cost,
                          uint64_t duration_ps, const std::vector<L2Access>& log,
                          const L2Traffic& traffic) {
  auto m = std::make_unique<Memo>();
  m->check = key.second;
  m->duration_ps = duration_ps;
  m->counts = cost.counts;
  m->bound = cost.bound;
  m->traffic = traffic;
  m->log.reserve(log.size());
  for (const auto& a : log) {
    int32_t role = role_of(a.tensor);
    if (role == kOther) {
      return;  // touches data the op does not name: cannot be mapped onto another op
    }
    m->log.push_back(Memo::Access{
        role, a.write, static_cast<int64_t>(a.addr) - static_cast<int64_t>(map_->at(a.tensor).base),
        a.bytes});
  }
  auto& variants = memo_[key.first];
  variants.insert(variants.begin(), std::move(m));
  if (variants.size() > kMaxVariants) {
    variants.pop_back();
  }
}

void VnExecutor::run_op(const trace::Op& op) {
  std::vector<KernelPlan> kernels = planner_->plan(op);
  op_tensors_.clear();
  for (const auto* list : {&op.inputs, &op.outputs}) {
    for (const auto& t : *list) {
      const TensorLoc* l = map_->find(t.id);
      op_tensors_.push_back(l != nullptr ? l->index : UINT32_MAX);
    }
  }
  report::OpCost cost;
  const uint64_t start = static_cast<uint64_t>(std::llround(now_ps()));
  cost.start_ps = start;
  std::pair<uint64_t, uint64_t> key{0, 0};
  const Memo* hit = nullptr;
  if (options().fast_forward) {
    key = memo_key(op);
    hit = try_replay(key, replay_writebacks_);
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
    // Their share of the memory's bandwidth, as if the op were memory bound.
    const double extra_ps =
        static_cast<double>(wb_bytes) / memory_->peak_bandwidth_bytes_per_s() * 1e12;
    sc_core::wait(sc_core::sc_time(std::ceil(static_cast<double>(hit->duration_ps) + extra_ps),
                                   sc_core::SC_PS));
    while (!l2.idle()) {
      sc_core::wait(l2.idle_event());
    }
    cost.end_ps = static_cast<uint64_t>(std::llround(now_ps()));
    cost.counts = hit->counts;
    if (!replay_writebacks_.empty()) {
      stats::Counts mem_during = memory_now() - mem_before;
      for (stats::ActionId a : background_) {
        mem_during.actions[a] = 0;
      }
      cost.counts.add(mem_during);
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
    for (const auto& k : kernels) {
      machine_->run_kernel(k);
    }
    l2.set_log(nullptr);
    kernels_ += kernels.size();
    cost.end_ps = static_cast<uint64_t>(std::llround(now_ps()));
    cost.counts = machine_->live().counts - live_before;
    cost.counts += memory_now() - mem_before;
    ++sim_ops_;
    // What limited the op: compute or HBM at peak, or neither (launch/latency bound).
    uint64_t hbm =
        has_hbm_link_ ? cost.counts.read_bytes[hbm_link_] + cost.counts.write_bytes[hbm_link_] : 0;
    double peak_flops = 0;
    if (op.kind == trace::OpKind::matmul || op.kind == trace::OpKind::batched_matmul ||
        op.kind == trace::OpKind::attention) {
      trace::DType t = op.inputs.empty() ? trace::DType::fp16 : op.inputs[0].dtype;
      peak_flops = 2.0 * planner_->peak_macs_per_cycle(t) * cfg_.clock_ghz * 1e9;
    }
    if (peak_flops <= 0) {
      peak_flops = cfg_.compute.vector_flops_per_cycle * cfg_.compute.units * cfg_.clock_ghz * 1e9;
    }
    double t_c = static_cast<double>(op.flops) / peak_flops;
    double t_m = static_cast<double>(hbm) / memory_->peak_bandwidth_bytes_per_s();
    double t = static_cast<double>(cost.end_ps - start) * 1e-12;
    cost.bound = std::max(t_c, t_m) < 0.5 * t ? "latency" : (t_c >= t_m ? "compute" : "memory");
    if (options().fast_forward) {
      remember(key, cost, cost.end_ps - start, log_, l2.traffic() - traffic_before);
    }
  }
  auto& s = op_stats_[{op.phase.kind, op.name}];
  if (s.count == 0) {
    s.kind = op.kind;
    s.dtype = op.inputs.empty() ? trace::DType::fp16 : op.inputs[0].dtype;
  }
  s.count++;
  s.flops += op.flops;
  s.ps += cost.end_ps - start;
  if (has_hbm_link_) {
    s.hbm_bytes += cost.counts.read_bytes[hbm_link_] + cost.counts.write_bytes[hbm_link_];
  }
  record(op, cost);
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
  return c -= attributed_hbm_;
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
  m["thread_blocks"] = machine_->ctas_run();
  m["fast_forward"] = Json{
      {"enabled", options().fast_forward},
      {"ops_fast_forwarded", ff_ops_},
      {"ops_simulated", sim_ops_},
      {"ops_fast_forwarded_with_writebacks", ff_with_writebacks_},
      {"replay_trials_failed", ff_trials_failed_},
      {"fast_forwarded_seconds", static_cast<double>(ff_ps_) * 1e-12},
      {"what",
       "an op identical in kind, shapes, data types and bytes to an earlier simulated op, with "
       "the same sectors of its own tensors in L2, replays that op's recorded L2 accesses on "
       "the L2 tags; if the L2 then asks the memory for exactly the same fills and write-backs "
       "(bytes and requests), the op's recorded time and action counts stand in for simulating "
       "it (the DRAM itself is not simulated for it); if the fills are the same and only this "
       "op writes back evicted data, the write-backs are simulated alongside the replay; "
       "otherwise the tags are rolled back and the op is simulated"}};
  if (cfg_.attention == AttentionImpl::flash && planner_) {
    m["attention"] = "flash";
  } else {
    m["attention"] = "standard";
  }
  Json roof = Json::array();
  for (const auto& [key, s] : op_stats_) {
    double pk = 0;
    if (planner_ && (s.kind == trace::OpKind::matmul || s.kind == trace::OpKind::batched_matmul ||
                     s.kind == trace::OpKind::attention)) {
      pk = 2.0 * planner_->peak_macs_per_cycle(s.dtype) * clock;
    }
    if (pk <= 0) {
      pk = cfg_.compute.vector_flops_per_cycle * cfg_.compute.units * clock;
    }
    double ridge = peak_bw > 0 ? pk / peak_bw : 0;
    double t = static_cast<double>(s.ps) * 1e-12;
    // No HBM traffic: the intensity is unbounded (null) and only the compute roof applies. No
    // FLOPs (copies, KV writes): the op has no place on a roofline (bound "none").
    Json ai = nullptr;
    std::string bound = "none";
    double attainable = 0;
    if (s.flops > 0 && s.hbm_bytes == 0) {
      bound = "compute";
      attainable = pk;
    } else if (s.flops > 0) {
      double v = static_cast<double>(s.flops) / static_cast<double>(s.hbm_bytes);
      ai = v;
      bound = v >= ridge ? "compute" : "memory";
      attainable = std::min(pk, v * peak_bw);
    } else if (s.hbm_bytes > 0) {
      ai = 0.0;
    }
    roof.push_back(Json{{"name", key.second},
                        {"phase_kind", config::enum_name(key.first)},
                        {"kind", config::enum_name(s.kind)},
                        {"count", s.count},
                        {"flops", s.flops},
                        {"hbm_bytes", s.hbm_bytes},
                        {"arithmetic_intensity", ai},
                        {"ridge_point", ridge},
                        {"bound", bound},
                        {"achieved_flops_per_s", t > 0 ? static_cast<double>(s.flops) / t : 0.0},
                        {"attainable_flops_per_s", attainable}});
  }
  m["roofline"] = roof;
  return m;
}

}  // namespace cimsim::vn
