#include "cimsim/exec/executor_base.hpp"

#include <stdexcept>

namespace cimsim::exec {

ExecutorBase::ExecutorBase(std::string name, std::string type, Json config, RunOptions options)
    : name_(std::move(name)),
      type_(std::move(type)),
      config_(std::move(config)),
      options_(std::move(options)) {}

void ExecutorBase::start_recording(double clock_ghz) {
  recorder_ = std::make_unique<report::Recorder>(registry_, clock_ghz);
}

void ExecutorBase::record(const trace::Op& op, const report::OpCost& cost) {
  recorder_->record(op, cost);
  if (options_.on_op) options_.on_op(op, cost, recorder_->dynamic_energy_j(cost.counts));
  if (options_.on_progress) options_.on_progress(name_, recorder_->ops_recorded(), ops_total_);
}

void ExecutorBase::record_setup(const std::string& label, const report::OpCost& cost) {
  recorder_->record_setup(label, cost);
}

void ExecutorBase::record_extra(const std::string& kind, const std::string& name, int32_t layer,
                                const trace::Phase& phase, const report::OpCost& cost) {
  recorder_->record_extra(kind, name, layer, phase, cost);
}

double ExecutorBase::static_power_w() const {
  double w = 0;
  for (const auto& c : registry_.components()) w += c.static_power_w;
  return w;
}

stats::Counts ExecutorBase::unattributed() const {
  stats::Counts none;
  none.reset(registry_);
  return none;
}

Json ExecutorBase::report() const {
  if (!recorder_) throw std::logic_error("executor " + name_ + " never started recording");
  Json out{{"name", name_}, {"type", type_}};
  Json section = recorder_->finish(done_ ? unattributed_at_end_ : unattributed(), end_ps_);
  for (auto& [k, v] : section.items()) out[k] = v;
  if (auto b = budget(out)) {
    const Json& t = out["totals"];
    const double seconds = t["seconds"].get<double>();
    Json budget{{"area_mm2", b->area_mm2},
                {"process_nm", b->process_nm > 0 ? Json(b->process_nm) : Json(nullptr)},
                {"peak_power_w", b->peak_power_w},
                {"average_power_w",
                 seconds > 0 ? Json(t["energy_j"].get<double>() / seconds) : Json(nullptr)},
                {"static_power_w",
                 seconds > 0 ? Json(t["static_energy_j"].get<double>() / seconds) : Json(nullptr)}};
    if (!b->sized_mode.empty()) {
      budget["sized"] = Json{{"mode", b->sized_mode}, {"budget", b->sized_budget}};
    }
    out["budget"] = budget;
  }
  out["metrics"] = metrics();
  out["config"] = config_;
  return out;
}

}  // namespace cimsim::exec
