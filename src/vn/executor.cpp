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
void sub_counts(stats::Counts& a, const stats::Counts& b) {
  for (size_t i = 0; i < a.actions.size() && i < b.actions.size(); ++i) {
    a.actions[i] -= b.actions[i];
  }
  for (size_t i = 0; i < a.read_bytes.size() && i < b.read_bytes.size(); ++i) {
    a.read_bytes[i] -= b.read_bytes[i];
  }
  for (size_t i = 0; i < a.write_bytes.size() && i < b.write_bytes.size(); ++i) {
    a.write_bytes[i] -= b.write_bytes[i];
  }
}
constexpr int32_t kOther = -1;
constexpr int32_t kScratchRole = 1000;
}  // namespace

struct VnExecutor::Memo {
  struct Block {
    int32_t role = 0;
    int64_t offset = 0;  // blocks from the tensor's first block
    uint64_t valid = 0, dirty = 0;
  };
  uint64_t check = 0;
  uint64_t duration_ps = 0;
  stats::Counts counts;
  std::string bound;
  std::vector<Block> blocks;
};

VnExecutor::VnExecutor(const config::ConfigDoc& doc, MachineConfig cfg,
                       const std::string& module_name, const exec::RunOptions& options,
                       std::unique_ptr<MemoryBackend> memory)
    : ExecutorBase(cfg.name, "von_neumann", config::to_json(cfg), options),
      doc_(doc),
      cfg_(std::move(cfg)),
      memory_(std::move(memory)) {
  memory_->declare(registry());
  machine_ = std::make_unique<VnMachine>(module_name.c_str(), cfg_, *memory_, registry());
  for (size_t i = 0; i < registry().links().size(); ++i) {
    if (registry().links()[i].name == "hbm") {
      hbm_link_ = static_cast<stats::LinkId>(i);
      has_hbm_link_ = true;
    }
  }
  attributed_hbm_.reset(registry());
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

stats::Counts VnExecutor::snapshot() const {
  stats::Counts c = machine_->live().counts;
  memory_->add_counts(c);
  return c;
}

void VnExecutor::player() {
  try {
    trace::Op op;
    while (source_->next(op)) {
      run_op(op);
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
  // L2 state: exactly which sectors of the op's own tensors (and of scratch) are present and
  // dirty; of everything else only how full the cache is and how much of it is dirty, in
  // 1/64ths of the capacity (what decides how much the op evicts and writes back).
  const uint64_t bb = cfg_.l2.block_bytes;
  std::vector<std::array<uint64_t, 4>> mine;
  uint64_t other_valid = 0, other_dirty = 0;
  machine_->l2().cache().for_each_lru([&](const L2Cache::BlockState& b, uint64_t) {
    int32_t role = role_of(b.tensor);
    if (role == kOther) {
      other_valid += static_cast<uint64_t>(__builtin_popcountll(b.valid));
      other_dirty += static_cast<uint64_t>(__builtin_popcountll(b.dirty));
    } else {
      int64_t off =
          static_cast<int64_t>(b.block) - static_cast<int64_t>(map_->at(b.tensor).base / bb);
      mine.push_back({static_cast<uint64_t>(role), static_cast<uint64_t>(off), b.valid, b.dirty});
    }
  });
  std::sort(mine.begin(), mine.end());
  const uint64_t bucket =
      std::max<uint64_t>(1, cfg_.l2.capacity_bytes / 64 / (bb / 64));  // sectors
  uint64_t g = mix(h, 0x5151);
  g = mix(mix(g, other_valid / bucket), other_dirty / bucket);
  h = mix(mix(h, other_valid / bucket), other_dirty / bucket);
  for (const auto& e : mine) {
    for (uint64_t v : e) {
      h = mix(h, v);
      g = mix(g, ~v);
    }
  }
  return {h, g};
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
  L2Cache& cache = machine_->l2().cache();
  const uint64_t bb = cfg_.l2.block_bytes;
  std::pair<uint64_t, uint64_t> key{0, 0};
  const Memo* hit = nullptr;
  if (options().fast_forward) {
    key = memo_key(op);
    auto it = memo_.find(key.first);
    if (it != memo_.end() && it->second->check == key.second) {
      hit = it->second.get();
    }
  }
  cache.set_serial(++op_serial_);
  if (hit != nullptr) {
    // What the memory counts while a replay stands in for the op (background standby, refresh)
    // is already in the recorded counts: it is set aside, not counted twice.
    stats::Counts mem_before;
    mem_before.reset(registry());
    memory_->add_counts(mem_before);
    sc_core::wait(sc_core::sc_time(static_cast<double>(hit->duration_ps), sc_core::SC_PS));
    stats::Counts mem_during;
    mem_during.reset(registry());
    memory_->add_counts(mem_during);
    sub_counts(mem_during, mem_before);
    attributed_hbm_.add(mem_during);
    for (const auto& b : hit->blocks) {
      uint32_t tensor = b.role >= kScratchRole ? static_cast<uint32_t>(b.role - kScratchRole)
                                               : op_tensors_[static_cast<size_t>(b.role)];
      int64_t block = static_cast<int64_t>(map_->at(tensor).base / bb) + b.offset;
      cache.install(L2Cache::BlockState{static_cast<uint64_t>(block), tensor, b.valid, b.dirty});
    }
    cost.end_ps = start + hit->duration_ps;
    cost.counts = hit->counts;
    cost.bound = hit->bound;
    cost.fast_forwarded = true;
    ++ff_ops_;
    ff_ps_ += hit->duration_ps;
  } else {
    stats::Counts before = snapshot();
    stats::Counts mem_before;
    mem_before.reset(registry());
    memory_->add_counts(mem_before);
    for (const auto& k : kernels) {
      machine_->run_kernel(k);
    }
    kernels_ += kernels.size();
    cost.end_ps = static_cast<uint64_t>(std::llround(now_ps()));
    cost.counts = snapshot();
    sub_counts(cost.counts, before);
    stats::Counts mem_after;
    mem_after.reset(registry());
    memory_->add_counts(mem_after);
    sub_counts(mem_after, mem_before);
    attributed_hbm_.add(mem_after);
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
      auto m = std::make_unique<Memo>();
      m->check = key.second;
      m->duration_ps = cost.end_ps - start;
      m->counts = cost.counts;
      m->bound = cost.bound;
      bool ok = true;
      for (const auto& b : cache.touched_since(op_serial_)) {
        int32_t role = role_of(b.tensor);
        if (role == kOther) {
          ok = false;
          break;
        }
        int64_t off =
            static_cast<int64_t>(b.block) - static_cast<int64_t>(map_->at(b.tensor).base / bb);
        m->blocks.push_back(Memo::Block{role, off, b.valid, b.dirty});
      }
      if (ok) {
        memo_[key.first] = std::move(m);
      }
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
  sub_counts(c, attributed_hbm_);
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
  m["thread_blocks"] = machine_->ctas_run();
  m["fast_forward"] = Json{{"enabled", options().fast_forward},
                           {"ops_fast_forwarded", ff_ops_},
                           {"ops_simulated", sim_ops_},
                           {"fast_forwarded_seconds", static_cast<double>(ff_ps_) * 1e-12},
                           {"what",
                            "ops identical in shape, data types and L2 state (in role "
                            "terms) to an earlier simulated op replay its recorded "
                            "time, counts and L2 footprint"}};
  if (cfg_.attention == AttentionImpl::flash && planner_) {
    m["attention"] = "flash";
  } else {
    m["attention"] = "standard";
  }
  Json roof = Json::array();
  for (const auto& [key, s] : op_stats_) {
    double ai =
        s.hbm_bytes > 0 ? static_cast<double>(s.flops) / static_cast<double>(s.hbm_bytes) : 0;
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
    roof.push_back(Json{{"name", key.second},
                        {"phase_kind", config::enum_name(key.first)},
                        {"kind", config::enum_name(s.kind)},
                        {"count", s.count},
                        {"flops", s.flops},
                        {"hbm_bytes", s.hbm_bytes},
                        {"arithmetic_intensity", ai},
                        {"ridge_point", ridge},
                        {"bound", s.hbm_bytes == 0 || ai >= ridge ? "compute" : "memory"},
                        {"achieved_flops_per_s", t > 0 ? static_cast<double>(s.flops) / t : 0.0},
                        {"attainable_flops_per_s", std::min(pk, ai * peak_bw)}});
  }
  m["roofline"] = roof;
  return m;
}

}  // namespace cimsim::vn
