// Planning (fabric_plan.hpp).
#include "cimsim/cim/fabric_plan.hpp"

#include <algorithm>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"

namespace cimsim::cim {

TraceUse read_trace_use(const CimConfig& cfg, const trace::TraceHeader& h,
                        const std::deque<trace::Op>& first_phase) {
  TraceUse u;
  std::unordered_map<std::string, bool> seen, gathered;
  std::optional<uint32_t> act, wbits;
  for (const auto& op : first_phase) {
    if (op.kind == trace::OpKind::matmul && op.weight() != nullptr &&
        op.weight()->shape.size() >= 2) {
      const auto* w = op.weight();
      if (!wbits) {
        wbits = trace::dtype_bits(w->dtype);
      }
      for (const auto& t : op.inputs) {
        if (t.kind == trace::TensorKind::activation && !act) {
          act = trace::dtype_bits(t.dtype);
        }
      }
      if (!seen[w->id]) {
        seen[w->id] = true;
        u.weights.push_back(WeightUse{w->id, op.layer, op.mm.k, op.mm.n,
                                      cfg.weight_bits.value_or(trace::dtype_bits(w->dtype))});
      }
    }
    if (op.kind == trace::OpKind::embedding) {
      for (const auto& t : op.inputs) {
        if (t.kind == trace::TensorKind::weight) {
          gathered[t.id] = true;
        }
      }
    }
    if (op.kind == trace::OpKind::attention && !u.first_attention) {
      u.first_attention = op.attn;
    }
  }
  for (const auto& d : h.weights) {
    if (d.shape.size() == 2 && !seen[d.id] && !gathered[d.id]) {
      seen[d.id] = true;
      u.weights.push_back(WeightUse{d.id, d.layer, d.shape[0], d.shape[1],
                                    cfg.weight_bits.value_or(trace::dtype_bits(d.dtype))});
    }
    if (gathered[d.id]) {
      u.gathered.push_back(d.id);
    }
  }
  u.activation_bits = cfg.activation_bits.value_or(act.value_or(16));
  u.weight_bits = cfg.weight_bits.value_or(wbits.value_or(16));
  return u;
}

std::pair<uint32_t, uint32_t> FabricPlan::physical(uint64_t vpe) const {
  uint64_t p = vpe < mapping.total_pes && (mapping.fits || vpe < mapping.weight_region)
                   ? vpe
                   : vpe % mapping.weight_region;
  return {static_cast<uint32_t>(p / pes_per_tile), static_cast<uint32_t>(p % pes_per_tile)};
}

const Strip& FabricPlan::strip(uint64_t global) const {
  const StripRef& r = strip_refs[global];
  return mapping.weights[r.weight].replicas[r.replica][r.strip];
}

uint64_t FabricPlan::allocate(uint32_t stack, uint64_t bytes) {
  uint64_t at = stack_used.at(stack);
  stack_used[stack] += bytes;
  return at;
}

FabricPlan plan_fabric(const CimConfig& cfg, const trace::TraceHeader& h, const TraceUse& use,
                       DynamicPolicy& policy, const ConfigWhere& where, uint32_t at_least) {
  FabricPlan plan;
  plan.pes_per_tile = cfg.tile.pes;
  plan.activation_bits = use.activation_bits;
  plan.weight_bits = use.weight_bits;
  plan.first_attention = use.first_attention;

  MapRequest req;
  req.weights = use.weights;
  req.activation_bits = use.activation_bits;
  // Crossbars for K and V: every layer's cache at full length when there is one, else one
  // pass's K and V (reused by every layer).
  uint64_t layers = h.kv_caches.empty() ? 1 : std::max<uint64_t>(1, h.layers);
  const trace::AttentionShape* attn = use.first_attention ? &*use.first_attention : nullptr;
  DynamicReservation r = policy.reserve(attn, h.prompt + h.generate, layers);
  req.dynamic_pes = r.pes;
  req.dynamic_required = r.required;
  req.where = where;
  auto mapper = cfg.mapper.make();
  SizingInput in;
  in.pes_for_one_copy = mapper->pes_for_one_copy(cfg, req);
  in.reserved_pes = r.pes;
  in.reserve_required = r.required;
  in.at_least = at_least;
  uint64_t kv_bytes = 0;
  for (const auto& d : h.kv_caches) {
    kv_bytes += d.bytes;
  }
  if (!h.kv_caches.empty()) {
    in.chips_for_kv = policy.chips_for_kv(cfg, attn, h.prompt + h.generate, layers, kv_bytes);
  }
  plan.sizing = size_system(cfg, in, where);
  plan.mapping = mapper->place(cfg, req, plan.sizing.chips);
  const Mapping& m = plan.mapping;
  plan.stacks = cfg.stacks_for(m.chips);
  plan.stack_used.assign(plan.stacks, 0);
  for (const auto& d : h.weights) {  // tables gathered by `embedding` stay in stack 0
    if (std::find(use.gathered.begin(), use.gathered.end(), d.id) != use.gathered.end()) {
      plan.embedding_address.push_back(plan.allocate(0, d.bytes));
    }
  }
  const auto& links = cfg.chip.links;
  if (m.chips > 1 && links.count == 0) {
    throw InputError(
        where("machine.chip.links.count"),
        "expected at least 1 chip link: the system has " + std::to_string(m.chips) + " chips");
  }
  if (m.chips > 2 && links.count == 1) {
    throw InputError(where("machine.chip.links.count"),
                     "expected at least 2 links per chip to connect " + std::to_string(m.chips) +
                         " chips, got 1");
  }
  plan.strip_ids.assign(m.weights.size(), {});
  for (uint32_t w = 0; w < m.weights.size(); ++w) {
    for (uint32_t rep = 0; rep < m.weights[w].replicas.size(); ++rep) {
      plan.strip_ids[w].push_back(plan.strip_refs.size());
      for (uint32_t s = 0; s < m.weights[w].replicas[rep].size(); ++s) {
        plan.strip_refs.push_back(StripRef{w, rep, s});
      }
    }
  }
  // The policy's pool tiles.
  const uint64_t P = cfg.tile.pes;
  if (m.dynamic_pes > 0) {
    for (uint64_t t = m.dynamic_first_vpe / P; t < (m.dynamic_first_vpe + m.dynamic_pes) / P; ++t) {
      plan.pool_tiles.push_back(static_cast<uint32_t>(t));
    }
  }
  plan.pool_cells = m.dynamic_pes * cfg.pe.crossbars * cfg.crossbar.rows * cfg.crossbar.cols;
  policy.attach_pool(plan.pool_tiles, plan.pool_cells);
  // Tiles of each layer's weights (distinct, in placement order), for locality.
  for (uint32_t w = 0; w < m.weights.size(); ++w) {
    auto& list = plan.layer_tiles[m.weights[w].use.layer];
    for (const auto& rep : m.weights[w].replicas) {
      for (const auto& s : rep) {
        uint32_t t = plan.physical(s.first_vpe).first;
        if (std::find(list.begin(), list.end(), t) == list.end()) {
          list.push_back(t);
        }
      }
    }
  }
  return plan;
}

}  // namespace cimsim::cim
