#include "cimsim/report/recorder.hpp"

#include <cmath>

#include "cimsim/common/checked_math.hpp"

namespace cimsim::report {

Recorder::Recorder(const stats::Registry& registry, double clock_ghz)
    : registry_(registry), clock_ghz_(clock_ghz) {
  total_.counts.reset(registry);
}

void Recorder::Agg::add(const trace::Op* op, const OpCost& cost) {
  ++count;
  busy_ps = checked_add(busy_ps, cost.end_ps - cost.start_ps, "busy time");
  if (op != nullptr) flops = checked_add(flops, op->flops, "FLOPs");
  first_start_ps = std::min(first_start_ps, cost.start_ps);
  last_end_ps = std::max(last_end_ps, cost.end_ps);
  if (cost.fast_forwarded) ++fast_forwarded;
  counts.add(cost.counts);
  if (!cost.bound.empty()) ++bounds[cost.bound];
}

Recorder::Agg& Recorder::phase_agg(const trace::Phase& phase) {
  if (phases_.empty() || phases_.back().first != phase) {
    phases_.emplace_back(phase, Agg{});
  }
  return phases_.back().second;
}

Recorder::Agg& Recorder::op_agg(const trace::Phase& phase, const std::string& name,
                                const std::string& kind, int32_t layer) {
  OpKey key{phase.kind, name};
  auto it = op_index_.find(key);
  if (it == op_index_.end()) {
    it = op_index_.emplace(key, ops_.size()).first;
    ops_.emplace_back(key, Agg{});
    op_meta_.push_back(OpMeta{kind, layer});
  }
  return ops_[it->second].second;
}

void Recorder::record(const trace::Op& op, const OpCost& cost) {
  ++ops_recorded_;
  total_.add(&op, cost);
  phase_agg(op.phase).add(&op, cost);
  layers_[op.layer].add(&op, cost);
  kinds_[op.kind].add(&op, cost);
  op_agg(op.phase, op.name, config::enum_name(op.kind), op.layer).add(&op, cost);
}

void Recorder::record_extra(const std::string& kind, const std::string& name, int32_t layer,
                            const trace::Phase& phase, const OpCost& cost) {
  total_.add(nullptr, cost);
  phase_agg(phase).add(nullptr, cost);
  layers_[layer].add(nullptr, cost);
  extra_kinds_[kind].add(nullptr, cost);
  op_agg(phase, name, kind, layer).add(nullptr, cost);
}

void Recorder::record_setup(const std::string& label, const OpCost& cost) {
  for (auto& [name, agg] : setup_) {
    if (name == label) {
      agg.add(nullptr, cost);
      return;
    }
  }
  setup_.emplace_back(label, Agg{});
  setup_.back().second.add(nullptr, cost);
}

double Recorder::dynamic_energy_j(const stats::Counts& counts) const {
  double pj = 0;
  const auto& actions = registry_.actions();
  for (size_t i = 0; i < counts.actions.size() && i < actions.size(); ++i) {
    pj += static_cast<double>(counts.actions[i]) * actions[i].energy_pj;
  }
  return pj * 1e-12;
}

uint64_t Recorder::cycles_of(uint64_t ps) const {
  return static_cast<uint64_t>(std::llround(static_cast<double>(ps) * clock_ghz_ * 1e-3));
}

Json Recorder::bytes_json(const stats::Counts& counts) const {
  Json out = Json::object();
  const auto& links = registry_.links();
  for (size_t i = 0; i < links.size(); ++i) {
    uint64_t r = i < counts.read_bytes.size() ? counts.read_bytes[i] : 0;
    uint64_t w = i < counts.write_bytes.size() ? counts.write_bytes[i] : 0;
    out[links[i].name] = Json{{"read", r}, {"write", w}};
  }
  return out;
}

namespace {
double static_power_w(const stats::Registry& registry) {
  double w = 0;
  for (const auto& c : registry.components()) w += c.static_power_w;
  return w;
}
}  // namespace

Json Recorder::agg_json(const Agg& agg, bool with_span) const {
  Json j = Json::object();
  j["count"] = agg.count;
  if (with_span) {
    uint64_t span = agg.count == 0 ? 0 : agg.last_end_ps - agg.first_start_ps;
    j["start_s"] = agg.count == 0 ? 0.0 : static_cast<double>(agg.first_start_ps) * 1e-12;
    j["cycles"] = cycles_of(span);
    j["seconds"] = static_cast<double>(span) * 1e-12;
    double dyn = dynamic_energy_j(agg.counts);
    double stat = static_power_w(registry_) * static_cast<double>(span) * 1e-12;
    j["energy_j"] = dyn + stat;
    j["dynamic_energy_j"] = dyn;
  } else {
    j["busy_cycles"] = cycles_of(agg.busy_ps);
    j["busy_seconds"] = static_cast<double>(agg.busy_ps) * 1e-12;
    j["dynamic_energy_j"] = dynamic_energy_j(agg.counts);
  }
  j["flops"] = agg.flops;
  j["bytes"] = bytes_json(agg.counts);
  if (agg.fast_forwarded > 0) j["fast_forwarded"] = agg.fast_forwarded;
  if (!agg.bounds.empty()) {
    Json b = Json::object();
    for (const auto& [name, n] : agg.bounds) b[name] = n;
    j["bound"] = b;
  }
  return j;
}

namespace {
// Appends every key of `from` to `into` (keeps `into`'s keys first).
void append(Json& into, const Json& from) {
  for (auto it = from.begin(); it != from.end(); ++it) into[it.key()] = it.value();
}
}  // namespace

Json Recorder::finish(const stats::Counts& unattributed, uint64_t end_ps) const {
  stats::Counts all = total_.counts;
  all.add(unattributed);
  double seconds = static_cast<double>(end_ps) * 1e-12;

  Json components = Json::array();
  double dynamic_total = 0, static_total = 0;
  for (const auto& comp : registry_.components()) {
    Json actions = Json::object();
    double dyn = 0;
    const auto& infos = registry_.actions();
    for (size_t i = 0; i < infos.size(); ++i) {
      if (infos[i].component != comp.name) continue;
      uint64_t n = i < all.actions.size() ? all.actions[i] : 0;
      double e = static_cast<double>(n) * infos[i].energy_pj * 1e-12;
      dyn += e;
      actions[infos[i].action] =
          Json{{"count", n}, {"energy_pj_each", infos[i].energy_pj}, {"energy_j", e}};
    }
    double stat = comp.static_power_w * seconds;
    dynamic_total += dyn;
    static_total += stat;
    Json c{{"name", comp.name},
           {"energy_j", dyn + stat},
           {"dynamic_energy_j", dyn},
           {"static_energy_j", stat},
           {"static_power_w", comp.static_power_w},
           {"instances", comp.instances}};
    if (comp.area_mm2 > 0) c["area_mm2"] = comp.area_mm2;
    c["actions"] = actions;
    components.push_back(c);
  }

  Json totals{{"cycles", cycles_of(end_ps)},
              {"seconds", seconds},
              {"energy_j", dynamic_total + static_total},
              {"dynamic_energy_j", dynamic_total},
              {"static_energy_j", static_total},
              {"flops", total_.flops},
              {"ops", ops_recorded_},
              {"fast_forwarded_ops", total_.fast_forwarded},
              {"bytes", bytes_json(all)}};

  Json phases = Json::array();
  for (const auto& [phase, agg] : phases_) {
    Json p{{"phase", trace::phase_label(phase)},
           {"kind", config::enum_name(phase.kind)},
           {"step", phase.step}};
    append(p, agg_json(agg, true));
    phases.push_back(p);
  }

  // Time to first token is the end of the first phase (prefill, encode or ENTP step 1); the
  // time per output token is the mean gap between the ends of the following phases.
  Json latency = Json::object();
  if (!phases_.empty()) {
    double first = static_cast<double>(phases_.front().second.last_end_ps) * 1e-12;
    latency["time_to_first_token_s"] = first;
    if (phases_.size() > 1) {
      double last = static_cast<double>(phases_.back().second.last_end_ps) * 1e-12;
      latency["time_per_output_token_s"] = (last - first) / static_cast<double>(phases_.size() - 1);
    }
    if (seconds > 0) latency["tokens_per_s"] = static_cast<double>(phases_.size()) / seconds;
  }

  Json layers = Json::array();
  for (const auto& [layer, agg] : layers_) {
    Json l{{"layer", layer}};
    append(l, agg_json(agg, false));
    layers.push_back(l);
  }
  Json kinds = Json::array();
  for (const auto& [kind, agg] : kinds_) {
    Json k{{"kind", config::enum_name(kind)}};
    append(k, agg_json(agg, false));
    kinds.push_back(k);
  }
  for (const auto& [kind, agg] : extra_kinds_) {
    Json k{{"kind", kind}};
    append(k, agg_json(agg, false));
    kinds.push_back(k);
  }
  Json ops = Json::array();
  for (size_t i = 0; i < ops_.size(); ++i) {
    const auto& [key, agg] = ops_[i];
    Json o{{"name", key.name},
           {"kind", op_meta_[i].kind},
           {"layer", op_meta_[i].layer},
           {"phase_kind", config::enum_name(key.phase_kind)}};
    append(o, agg_json(agg, false));
    ops.push_back(o);
  }
  Json setup = Json::array();
  for (const auto& [label, agg] : setup_) {
    Json s{{"label", label}};
    append(s, agg_json(agg, true));
    setup.push_back(s);
  }

  Json links = Json::array();
  for (const auto& l : registry_.links())
    links.push_back(Json{{"name", l.name}, {"description", l.description}});

  return Json{{"clock_ghz", clock_ghz_}, {"totals", totals},         {"latency", latency},
              {"links", links},          {"components", components}, {"phases", phases},
              {"layers", layers},        {"op_kinds", kinds},        {"ops", ops},
              {"setup", setup}};
}

}  // namespace cimsim::report
