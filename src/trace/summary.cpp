#include "cimsim/trace/summary.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "cimsim/common/checked_math.hpp"

namespace cimsim::trace {
namespace {

void add_to(uint64_t& total, uint64_t v) {
  total = checked_add(total, v, "trace total");
}

uint64_t elements(const std::vector<uint64_t>& shape) {
  uint64_t n = 1;
  for (uint64_t s : shape) {
    n = checked_mul(n, s, "tensor elements");
  }
  return n;
}

std::string grouped(uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return out;
}

// 3 significant digits with a decimal prefix: "248 MB", "43.1 GFLOP", "0 B".
std::string si(uint64_t v, const char* unit) {
  static const char* prefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  double x = static_cast<double>(v);
  int i = 0;
  while (x >= 999.5 && i < 6) {
    x /= 1000;
    ++i;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, i == 0 ? "%.0f %s%s" : "%.3g %s%s", x, prefixes[i], unit);
  return buf;
}

std::string pad(const std::string& s, size_t width, bool left = false) {
  if (s.size() >= width) {
    return s;
  }
  return left ? s + std::string(width - s.size(), ' ') : std::string(width - s.size(), ' ') + s;
}

Json totals_json(const Totals& t) {
  return Json{{"ops", t.ops},
              {"flops", t.flops},
              {"weight_read_bytes", t.weight_read_bytes},
              {"kv_read_bytes", t.kv_read_bytes},
              {"kv_write_bytes", t.kv_write_bytes},
              {"activation_read_bytes", t.activation_read_bytes},
              {"activation_write_bytes", t.activation_write_bytes}};
}

std::string totals_row(const std::string& name, uint64_t steps, const Totals& t) {
  return pad(name, 9, true) + pad(grouped(steps), 7) + pad(grouped(t.ops), 12) +
         pad(si(t.flops, "FLOP"), 12) + pad(si(t.weight_read_bytes, "B"), 11) +
         pad(si(t.kv_read_bytes, "B"), 10) + pad(si(t.kv_write_bytes, "B"), 10) +
         pad(si(t.activation_read_bytes, "B"), 10) + pad(si(t.activation_write_bytes, "B"), 10) +
         "\n";
}

}  // namespace

void Totals::add(const Op& op) {
  add_to(ops, 1);
  add_to(flops, op.flops);
  for (const Tensor& t : op.inputs) {
    if (t.kind == TensorKind::weight) {
      add_to(weight_read_bytes, t.bytes);
    }
    if (t.kind == TensorKind::kv_cache) {
      add_to(kv_read_bytes, t.bytes);
    }
    if (t.kind == TensorKind::activation) {
      add_to(activation_read_bytes, t.bytes);
    }
  }
  for (const Tensor& t : op.outputs) {
    if (t.kind == TensorKind::kv_cache) {
      add_to(kv_write_bytes, t.bytes);
    }
    if (t.kind == TensorKind::activation) {
      add_to(activation_write_bytes, t.bytes);
    }
  }
}

TraceSummary summarize(OpSource& source) {
  TraceSummary s;
  const TraceHeader& h = source.header();
  s.model = h.model;
  s.mode = h.mode;
  s.batch = h.batch;
  s.prompt = h.prompt;
  s.generate = h.generate;
  s.layers = h.layers;
  for (const auto& d : h.weights) {
    add_to(s.parameters, elements(d.shape));
    add_to(s.weight_bytes, d.bytes);
  }
  for (const auto& d : h.kv_caches) {
    add_to(s.kv_cache_bytes, d.bytes);
    if (d.shape.size() > 1) {
      s.kv_positions = d.shape[1];
    }
  }

  Op op;
  bool first = true;
  Phase step;
  uint64_t step_flops = 0;
  auto close_step = [&]() {
    PhaseTotals& p = s.phases.back();
    p.min_step_flops = p.steps == 1 ? step_flops : std::min(p.min_step_flops, step_flops);
    p.max_step_flops = std::max(p.max_step_flops, step_flops);
  };
  while (source.next(op)) {
    if (first || op.phase != step) {
      if (!first) {
        close_step();
      }
      if (first || op.phase.kind != step.kind) {
        s.phases.emplace_back();
        s.phases.back().kind = op.phase.kind;
      }
      ++s.phases.back().steps;
      step = op.phase;
      step_flops = 0;
      first = false;
    }
    add_to(step_flops, op.flops);
    s.phases.back().totals.add(op);
    s.total.add(op);
    auto it = std::find_if(s.kinds.begin(), s.kinds.end(),
                           [&](const KindTotals& k) { return k.kind == op.kind; });
    if (it == s.kinds.end()) {
      it = s.kinds.insert(s.kinds.end(), KindTotals{});
      it->kind = op.kind;
    }
    add_to(it->ops, 1);
    add_to(it->flops, op.flops);
  }
  if (!first) {
    close_step();
  }
  std::sort(s.kinds.begin(), s.kinds.end(),
            [](const KindTotals& a, const KindTotals& b) { return a.kind < b.kind; });
  return s;
}

std::string summary_text(const TraceSummary& s) {
  std::ostringstream out;
  out << s.model << ": mode " << s.mode << ", batch " << s.batch << ", prompt " << s.prompt
      << ", generate " << s.generate << ", " << s.layers << " layers\n";
  out << "  " << grouped(s.total.ops) << " ops, " << si(s.total.flops, "FLOP") << " ("
      << grouped(s.total.flops) << ")\n";
  out << "  weights: " << grouped(s.parameters) << " parameters, " << si(s.weight_bytes, "B")
      << "\n";
  if (s.kv_positions > 0 && s.batch > 0) {
    uint64_t per_token = s.kv_cache_bytes / (s.kv_positions * s.batch);
    out << "  KV cache at full length (" << grouped(s.kv_positions) << " positions x batch "
        << s.batch << "): " << si(s.kv_cache_bytes, "B") << ", " << grouped(per_token)
        << " B per token\n";
  }
  out << "\n"
      << pad("phase", 9, true) << pad("steps", 7) << pad("ops", 12) << pad("FLOPs", 12)
      << pad("weight rd", 11) << pad("KV rd", 10) << pad("KV wr", 10) << pad("act rd", 10)
      << pad("act wr", 10) << "\n";
  for (const PhaseTotals& p : s.phases) {
    out << totals_row(config::enum_name(p.kind), p.steps, p.totals);
    if (p.steps > 1) {
      out << "           per step: " << si(p.min_step_flops, "FLOP") << " to "
          << si(p.max_step_flops, "FLOP") << "\n";
    }
  }
  uint64_t steps = 0;
  for (const PhaseTotals& p : s.phases) {
    steps += p.steps;
  }
  out << totals_row("total", steps, s.total);
  out << "\n" << pad("op kind", 16, true) << pad("ops", 12) << pad("FLOPs", 12) << "\n";
  for (const KindTotals& k : s.kinds) {
    out << pad(config::enum_name(k.kind), 16, true) << pad(grouped(k.ops), 12)
        << pad(si(k.flops, "FLOP"), 12) << "\n";
  }
  return out.str();
}

Json summary_json(const TraceSummary& s) {
  Json phases = Json::array(), kinds = Json::array();
  for (const PhaseTotals& p : s.phases) {
    phases.push_back(Json{{"phase", config::enum_name(p.kind)},
                          {"steps", p.steps},
                          {"min_step_flops", p.min_step_flops},
                          {"max_step_flops", p.max_step_flops},
                          {"totals", totals_json(p.totals)}});
  }
  for (const KindTotals& k : s.kinds) {
    kinds.push_back(Json{{"kind", config::enum_name(k.kind)}, {"ops", k.ops}, {"flops", k.flops}});
  }
  return Json{{"model", s.model},
              {"mode", s.mode},
              {"batch", s.batch},
              {"prompt", s.prompt},
              {"generate", s.generate},
              {"layers", s.layers},
              {"kv_positions", s.kv_positions},
              {"parameters", s.parameters},
              {"weight_bytes", s.weight_bytes},
              {"kv_cache_bytes", s.kv_cache_bytes},
              {"totals", totals_json(s.total)},
              {"phases", phases},
              {"op_kinds", kinds}};
}

}  // namespace cimsim::trace
