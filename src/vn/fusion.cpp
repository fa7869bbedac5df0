#include "cimsim/vn/fusion.hpp"

#include "cimsim/vn/kernels.hpp"

namespace cimsim::vn {

bool OpWindow::read_from(const std::string& id, size_t from) const {
  for (size_t i = from; i < ops_.size(); ++i) {
    for (const auto& t : ops_[i].inputs) {
      if (t.id == id) {
        return true;
      }
    }
  }
  return false;
}

bool is_activation(trace::OpKind k) {
  return k == trace::OpKind::gelu || k == trace::OpKind::silu || k == trace::OpKind::relu;
}

bool is_norm(trace::OpKind k) {
  return k == trace::OpKind::layernorm || k == trace::OpKind::rmsnorm;
}

Fuser::Fuser(const std::vector<config::Choice<FusionAxis>>& fusions) {
  for (const auto& f : fusions) {
    patterns_.push_back(f.make());
    names_.push_back(f.name);
  }
}

Fuser::~Fuser() = default;

OpGroup Fuser::take(std::deque<trace::Op>& phase, const KernelPlanner& planner) const {
  OpGroup g;
  const OpWindow w(phase);
  for (size_t i = 0; i < patterns_.size(); ++i) {
    FusionMatch m = patterns_[i]->match(w, planner);
    if (m.ops >= 2 && m.ops <= phase.size()) {
      g.pattern = patterns_[i].get();
      g.name = &names_[i];
      g.anchor = m.anchor;
      g.variant = m.variant;
      for (size_t i = 0; i < m.ops; ++i) {
        g.ops.push_back(std::move(phase.front()));
        phase.pop_front();
      }
      return g;
    }
  }
  g.ops.push_back(std::move(phase.front()));
  phase.pop_front();
  return g;
}

}  // namespace cimsim::vn
