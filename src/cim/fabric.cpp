#include "cimsim/cim/fabric.hpp"

#include <cmath>

#include "cimsim/common/error.hpp"

#include "cimsim/cim/fabric_report.hpp"
#include "cimsim/cim/technology.hpp"

namespace cimsim::cim {

Fabric::Fabric(const sc_core::sc_module_name& module_name, const CimConfig& config,
               Json config_json, const std::string& report_name, exec::RunOptions options,
               const memory::OffChipFactory& memory, ConfigWhere where)
    : sc_core::sc_module(module_name),
      exec::ExecutorBase(report_name, "cim", std::move(config_json), std::move(options)),
      cfg_(scale_to_node(config)),
      where_(where ? std::move(where) : [](const std::string& path) { return path; }),
      memory_(memory) {
  SC_THREAD(run);
}

Fabric::~Fabric() = default;

void Fabric::start(std::unique_ptr<trace::OpSource> trace) {
  trace_ = std::move(trace);
  header_ = trace_->header();
  set_ops_total(header_.op_count);
  // The first phase uses every weight: read it ahead to learn how each weight is used.
  trace::Op op;
  while (trace_->next(op)) {
    bool new_phase = !first_phase_.empty() && op.phase != first_phase_.front().phase;
    first_phase_.push_back(op);
    if (new_phase || trace_->phase_complete()) {
      break;
    }
  }
  TraceUse use = read_trace_use(cfg_, header_, first_phase_);
  policy_ = cfg_.dynamic_matmul.make(PolicySetup{&cfg_, use.activation_bits});
  // Size, map and place the KV caches; with chips "auto" add chips while caches are not
  // where the policy wants them and more chips help (the sizing's estimate is exact unless a
  // layer's cache cannot be split the way the estimate assumes, e.g. into a global buffer).
  uint64_t misplaced = UINT64_MAX;
  for (uint32_t at_least = 1;;) {
    FabricPlan plan = plan_fabric(cfg_, header_, use, *policy_, where_, at_least);
    auto topo = std::make_unique<Topology>(cfg_, plan.mapping.chips);
    KvPlacement kv = place_kv(cfg_, header_, plan, *topo, *policy_);
    uint64_t now = policy_->kv_misplaced(kv.stores);
    if (now >= misplaced) {
      break;  // no better than with fewer chips: keep those
    }
    plan_ = std::move(plan);
    topo_ = std::move(topo);
    kv_ = std::move(kv);
    misplaced = now;
    if (plan_.sizing.mode != "auto" || misplaced == 0 || plan_.sizing.chips_for_kv == 0 ||
        plan_.mapping.chips >= cfg_.max_chips) {
      break;
    }
    at_least = plan_.mapping.chips + 1;
  }
  policy_->attach_pool(plan_.pool_tiles, plan_.pool_cells);
  build_modules();
  std::string base = module_base_name();
  mem_ = memory_(plan_.stacks, base + "_hbm");
  io_.mem_socket.bind(mem_->target());
  ids_ = declare_fabric(cfg_, plan_.mapping.chips, registry());
  mem_->declare(registry());
  start_recording(cfg_.clock_ghz);
  io_.attach(cfg_, *topo_, ids_, registry(), *mem_, plan_.stacks, tile_ctx_.cycle_ps,
             options().fast_forward);
  OpRecorder& recorder = *this;
  ops_ = std::make_unique<FabricOps>(cfg_, plan_, kv_, io_, *policy_, recorder, where_);
}

std::string Fabric::module_base_name() const {
  std::string base = sc_core::sc_module::name();
  for (auto& ch : base) {
    if (ch == '.') {
      ch = '_';
    }
  }
  return base;
}

void Fabric::build_modules() {
  uint64_t cycle = static_cast<uint64_t>(std::llround(1000.0 / cfg_.clock_ghz));
  noc_ctx_ = NocContext{&cfg_, topo_.get(), &ids_, cycle};
  tile_ctx_ = TileContext{&cfg_, &ids_, cycle, plan_.activation_bits};
  std::string base = module_base_name();
  uint32_t routers = topo_->routers_per_chip() * topo_->chips();
  routers_.reserve(routers);
  for (uint32_t r = 0; r < routers; ++r) {
    std::string n = base + "_router" + std::to_string(r);
    routers_.push_back(std::make_unique<Router>(n.c_str(), noc_ctx_, r));
  }
  chip_net_ = std::make_unique<ChipNetwork>((base + "_chiplinks").c_str(), noc_ctx_);
  for (uint32_t r = 0; r < routers; ++r) {
    for (uint32_t port = 0; port < 4; ++port) {
      int32_t n = topo_->neighbour(r, port);
      if (n >= 0) {
        routers_[r]->bind_port(port, routers_[n]->in);
      }
    }
  }
  for (uint32_t c = 0; c < topo_->chips(); ++c) {
    routers_[topo_->gateway(c)]->bind_port(4, chip_net_->in);
    chip_net_->out.bind(routers_[topo_->gateway(c)]->in);
  }
  tiles_.reserve(topo_->tiles());
  for (uint32_t t = 0; t < topo_->tiles(); ++t) {
    std::string n = base + "_tile" + std::to_string(t);
    tiles_.push_back(std::make_unique<Tile>(n.c_str(), tile_ctx_));
    tiles_.back()->noc.bind(routers_[topo_->router_of(t)]->in);
    io_.tile_socket.bind(tiles_.back()->socket);
  }
}

void Fabric::run() {
  try {
    ops_->program_all();
    trace::Op op;
    for (;;) {
      if (!first_phase_.empty()) {
        op = std::move(first_phase_.front());
        first_phase_.pop_front();
      } else if (!trace_->next(op)) {
        break;
      }
      ops_->run(op);
    }
  } catch (const InputError&) {
    // An input the run cannot continue with (activation_overflow "error"): this machine
    // stops, the others finish, and report() raises it (exit 2, nothing written).
    error_ = std::current_exception();
  }
  finish(ops_->elapsed_ps());
}

Json Fabric::metrics() const {
  FlowStats flow;
  for (const auto& t : tiles_) {
    flow += t->flow_stats();
  }
  Json buffers = ops_->buffers().metrics();
  buffers["flow_control"] =
      Json{{"packet_bytes", tiles_.empty() ? 0 : tiles_[0]->packet_bytes()},
           {"input_buffer_packets_per_pe", tiles_.empty() ? 0 : tiles_[0]->inbox_packets_per_pe()},
           {"streams", flow.streams},
           {"event_streams", flow.event_streams},
           {"stalled_rows", flow.stalled_rows},
           {"sender_stall_ps", flow.stall_ps}};
  FabricReportInput in{cfg_,
                       plan_,
                       kv_.stores,
                       *policy_,
                       *topo_,
                       ops_->stats(),
                       buffers,
                       options().fast_forward,
                       io_.fast_forwarded_bytes(),
                       end_ps()};
  Json m = fabric_metrics(in);
  MeshLinkStats mesh;
  for (const auto& r : routers_) {
    mesh += r->link_stats();
  }
  const MeshFlow mesh_flow{noc_ctx_.cycle_ps, cfg_.router.latency_cycles, cfg_.router.buffer_flits};
  m["noc"] = Json{{"flow_control", "wormhole"},
                  {"buffer_flits", cfg_.router.buffer_flits},
                  {"link_flit_ps", mesh_flow.flit_ps()},
                  {"link_crossings", mesh.crossings},
                  {"backpressure_stalled_crossings", mesh.stalled_crossings},
                  {"backpressure_stall_ps", mesh.stall_ps},
                  {"max_backpressure_stall_ps", mesh.max_stall_ps}};
  return m;
}

Json Fabric::report() const {
  if (error_) {
    std::rethrow_exception(error_);
  }
  return ExecutorBase::report();
}

// The system's silicon area (every declared component with an area: the chips, their links),
// its node, and its peak power: the chips at full activity, plus the idle power of what is not
// on them (HBM stacks, stack links).
std::optional<exec::ExecutorBase::Budget> Fabric::budget(const Json& section) const {
  Budget b;
  double static_off_chip_w = 0;
  for (const auto& c : section["components"]) {
    b.area_mm2 += c.contains("area_mm2") ? c["area_mm2"].get<double>() : 0.0;
    const std::string name = c["name"];
    if (name == memory::kOffChipName || name == "offchip_link") {
      static_off_chip_w += c["static_power_w"].get<double>();
    }
  }
  b.process_nm = process_nm(cfg_);
  b.peak_power_w = plan_.sizing.chip_peak_power_w * plan_.mapping.chips + static_off_chip_w;
  if (plan_.sizing.mode == "iso_area" || plan_.sizing.mode == "iso_power") {
    b.sized_mode = plan_.sizing.mode;
    b.sized_budget = plan_.sizing.budget;
  }
  return b;
}

stats::Counts Fabric::unattributed() const {
  stats::Counts c = io_.unattributed();
  // eDRAM refresh: no op causes it; every row of every tile buffer once per retention time,
  // spread evenly over the run.
  const auto& b = cfg_.tile.buffer;
  if (b.retention_us > 0) {
    double rows = std::ceil(static_cast<double>(b.capacity_bytes) * 8 / b.width_bits);
    double refreshes =
        rows * topo_->tiles() * static_cast<double>(end_ps()) / (b.retention_us * 1e6);
    c.actions[ids_.buf_refresh] += static_cast<uint64_t>(refreshes);
  }
  return c;
}

}  // namespace cimsim::cim
