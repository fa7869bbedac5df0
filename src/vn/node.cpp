// The von Neumann node (node.hpp): stages, sends, the counts of all devices, its report.
#include "cimsim/vn/node.hpp"

#include <algorithm>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"

namespace cimsim::vn {

using trace::Op;
using trace::Tensor;
using trace::TensorKind;

Node::Node(const NodeConfig& cfg, std::function<std::string(const std::string&)> where)
    : cfg_(cfg), where_(std::move(where)) {
  link_.bandwidth_bytes_per_s = cfg_.link.bandwidth_bytes_per_s;
  link_.latency_ps = cfg_.link.latency_ns * 1e3;
  link_.base_ps = cfg_.link.base_latency_ns * 1e3;
  link_.topology = cfg_.link.topology;
  link_.devices = cfg_.devices;
  if (cfg_.tensor_parallel > 1) {
    tp_ = std::make_unique<TensorParallel>(cfg_.tensor_parallel, where_("node.tensor_parallel"));
  }
}

Node::~Node() = default;

void Node::declare(stats::Registry& registry, const std::vector<stats::ActionId>& refresh) {
  const uint32_t n = devices_used();
  const std::vector<stats::ComponentInfo> components = registry.components();
  for (const auto& c : components) {
    registry.component(c.name, c.static_power_w * n, c.area_mm2 * n, c.instances * n);
  }
  for (const auto& l : registry.links()) {
    if (l.name == cfg_.link.name) {
      throw InputError(
          where_("node.link.name"),
          "expected a name no other link of the machine has, got " + quote_for_message(l.name));
    }
  }
  link_id_ = registry.link(cfg_.link.name,
                           "device <-> device (bytes each device sends: write, "
                           "receives: read; summed over the node's devices)");
  send_action_ = registry.action(cfg_.link.name, "send_byte", 8 * cfg_.link.energy_pj_per_bit,
                                 "node.link.energy_pj_per_bit x 8");
  refresh_.assign(registry.actions().size(), false);
  for (stats::ActionId a : refresh) {
    if (a < refresh_.size()) {
      refresh_[a] = true;
    }
  }
}

uint32_t Node::stage_of(int32_t layer) const {
  const uint32_t p = cfg_.pipeline_parallel;
  if (layer < 0 || p == 1) {
    return 0;
  }
  if (static_cast<uint32_t>(layer) >= layers_) {
    return p - 1;
  }
  // Balanced: stage s holds layers [s L / P, (s + 1) L / P).
  return static_cast<uint32_t>(uint64_t{static_cast<uint32_t>(layer)} * p / layers_);
}

void Node::place(const trace::TraceHeader& h, const std::deque<Op>& first_phase, AddressMap& map,
                 uint64_t device_capacity_bytes, uint64_t align_bytes,
                 const std::string& memory_where) {
  layers_ = h.layers;
  const uint32_t p = cfg_.pipeline_parallel;
  if (p > std::max<uint32_t>(layers_, 1)) {
    throw InputError(where_("node.pipeline_parallel"),
                     "expected at most the model's " + std::to_string(layers_) +
                         " layers (each stage holds at least one), got " + std::to_string(p));
  }
  const trace::TraceHeader rank = tp_ ? tp_->shard_header(h, first_phase) : h;
  device_capacity_ = device_capacity_bytes;
  stage_bytes_.assign(p, 0);
  for (const auto* decls : {&rank.weights, &rank.kv_caches}) {
    for (const auto& d : *decls) {
      uint64_t& b = stage_bytes_[stage_of(d.layer)];
      b = checked_add(b, ceil_div(std::max<uint64_t>(d.bytes, 1), align_bytes) * align_bytes,
                      "HBM footprint");
    }
  }
  for (uint32_t s = 0; s < p; ++s) {
    if (stage_bytes_[s] > device_capacity_bytes) {
      std::string stage = p > 1 ? "stage " + std::to_string(s) + "'s " : "the ";
      throw InputError(
          where_("node"),
          stage + "weights and KV caches need " + std::to_string(stage_bytes_[s]) +
              " bytes per device with tensor_parallel = " + std::to_string(cfg_.tensor_parallel) +
              " and pipeline_parallel = " + std::to_string(p) +
              ", more than one device's HBM capacity of " + std::to_string(device_capacity_bytes) +
              " bytes (raise tensor_parallel or pipeline_parallel)");
    }
  }
  map.place_header(
      rank, memory_where, [this](const trace::TensorDecl& d) { return stage_of(d.layer); },
      device_capacity_bytes);
}

NodeComm Node::comm(const char* kind, std::string name, int32_t layer, const trace::Phase& phase,
                    CommCost cost) const {
  NodeComm c;
  c.kind = kind;
  c.name = std::move(name);
  c.layer = layer;
  c.phase = phase;
  c.cost = cost;
  return c;
}

std::vector<NodeSegment> Node::begin_phase(std::deque<Op>& phase) {
  std::vector<NodeSegment> out;
  if (phase.empty()) {
    return out;
  }
  phase_ = phase.front().phase;
  if (tp_) {
    tp_->shard_phase(phase);
  }
  const uint32_t t = cfg_.tensor_parallel;
  // Where each activation of the phase was written, and which stages already received it.
  struct Origin {
    uint32_t stage = 0;
    int32_t layer = 0;
    std::vector<bool> sent;
  };
  std::unordered_map<std::string, Origin> origin;
  uint32_t current = UINT32_MAX;
  for (Op& op : phase) {
    const uint32_t s = stage_of(op.layer);
    if (out.empty() || s != current) {
      out.emplace_back();
      current = s;
    }
    NodeSegment& seg = out.back();
    for (const Tensor& in : op.inputs) {
      if (in.kind != TensorKind::activation) {
        continue;
      }
      const uint64_t bytes = trace::dtype_bytes(in.dtype, trace::shape_elements(in.shape));
      if (in.id == "tokens") {
        // The token the last stage sampled goes back to the first (not before the prefill,
        // whose tokens come from the host).
        if (cfg_.pipeline_parallel > 1 && phases_ > 0 && s == 0 && origin.count(in.id) == 0) {
          origin[in.id].stage = 0;
          seg.before.push_back(comm("send", "tokens.send", op.layer, phase_,
                                    send(link_, t * (cfg_.pipeline_parallel - 1), bytes)));
        }
        continue;
      }
      auto it = origin.find(in.id);
      if (it == origin.end() || it->second.stage >= s) {
        continue;
      }
      Origin& o = it->second;
      o.sent.resize(cfg_.pipeline_parallel, false);
      if (!o.sent[s]) {
        o.sent[s] = true;
        seg.before.push_back(
            comm("send", in.id + ".send", o.layer, phase_, send(link_, t * (s - o.stage), bytes)));
      }
    }
    for (const Tensor& o : op.outputs) {
      if (o.kind == TensorKind::activation) {
        origin[o.id] = Origin{s, op.layer, {}};
      }
    }
    seg.ops.push_back(std::move(op));
  }
  phase.clear();
  ++phases_;
  return out;
}

std::vector<NodeComm> Node::before(const Op& op) const {
  std::vector<NodeComm> out;
  if (tp_) {
    for (const TpCollective& c : tp_->before(op.id)) {
      out.push_back(comm("all_reduce", c.producer + ".all_reduce", c.layer, op.phase,
                         ring_all_reduce(link_, cfg_.tensor_parallel, c.bytes)));
    }
  }
  return out;
}

std::vector<NodeComm> Node::after(const Op& op) const {
  std::vector<NodeComm> out;
  if (tp_) {
    for (const TpCollective& c : tp_->after(op.id)) {
      out.push_back(comm("all_gather", c.producer + ".all_gather", c.layer, op.phase,
                         ring_all_gather(link_, cfg_.tensor_parallel, c.bytes)));
    }
  }
  return out;
}

void Node::count(const NodeComm& c, stats::Counts& counts) const {
  counts.write_bytes[link_id_] =
      checked_add(counts.write_bytes[link_id_], c.cost.sent_bytes, "link bytes");
  counts.read_bytes[link_id_] =
      checked_add(counts.read_bytes[link_id_], c.cost.received_bytes, "link bytes");
  counts.actions[send_action_] =
      checked_add(counts.actions[send_action_], c.cost.sent_bytes, "link bytes");
}

void Node::scale(stats::Counts& counts) const {
  const uint64_t t = cfg_.tensor_parallel, all = devices_used();
  if (all == 1) {
    return;
  }
  for (size_t a = 0; a < counts.actions.size(); ++a) {
    counts.actions[a] = checked_mul(counts.actions[a], a < refresh_.size() && refresh_[a] ? all : t,
                                    "node action count");
  }
  for (auto* v : {&counts.read_bytes, &counts.write_bytes}) {
    for (uint64_t& b : *v) {
      b = checked_mul(b, t, "node bytes");
    }
  }
}

Op Node::reported(const Op& rank_op) const {
  Op op;
  op.id = rank_op.id;
  op.kind = rank_op.kind;
  op.name = rank_op.name;
  op.layer = rank_op.layer;
  op.phase = rank_op.phase;
  op.flops = tp_ ? tp_->model_flops(rank_op.id) : rank_op.flops;
  return op;
}

void Node::note(const NodeComm& c, uint64_t ps) {
  Tally& t = tally_[c.kind];
  ++t.count;
  t.ps += ps;
  t.bytes += c.cost.sent_bytes * cfg_.tensor_parallel;
}

Json Node::metrics() const {
  Json stages = Json::array();
  for (uint32_t s = 0; s < stage_bytes_.size(); ++s) {
    int32_t first = INT32_MAX, last = INT32_MIN;
    for (int32_t l = -1; l <= static_cast<int32_t>(layers_); ++l) {
      if (stage_of(l) == s) {
        first = std::min(first, l);
        last = std::max(last, l);
      }
    }
    stages.push_back(Json{{"stage", s},
                          {"first_layer", first},
                          {"last_layer", last},
                          {"bytes_per_device", stage_bytes_[s]}});
  }
  Json comms = Json::object();
  for (const auto& [kind, t] : tally_) {
    comms[kind] = Json{
        {"count", t.count}, {"seconds", static_cast<double>(t.ps) * 1e-12}, {"bytes", t.bytes}};
  }
  const NodeLinkConfig& l = cfg_.link;
  return Json{
      {"devices", cfg_.devices},
      {"devices_used", devices_used()},
      {"tensor_parallel", cfg_.tensor_parallel},
      {"pipeline_parallel", cfg_.pipeline_parallel},
      {"heads_per_rank", tp_ ? tp_->heads_per_rank() : 0},
      {"kv_heads_per_rank", tp_ ? tp_->kv_heads_per_rank() : 0},
      {"link", Json{{"name", l.name},
                    {"bandwidth_bytes_per_s", l.bandwidth_bytes_per_s},
                    {"latency_ns", l.latency_ns},
                    {"base_latency_ns", l.base_latency_ns},
                    {"energy_pj_per_bit", l.energy_pj_per_bit},
                    {"topology", config::enum_name(l.topology)}}},
      {"device_memory_bytes", device_capacity_},
      {"stages", stages},
      {"communication", comms},
      {"what",
       "one device is simulated: one tensor-parallel rank's share of every op, the pipeline "
       "stages in turn; counts, energy and bytes are the node's (x tensor_parallel; static "
       "power and DRAM refresh x every device used); collectives and sends are closed forms "
       "(ring, docs/parallelism.md)"}};
}

}  // namespace cimsim::vn
