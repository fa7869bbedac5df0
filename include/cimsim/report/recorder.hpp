// Turns what a machine did into the report's machine section.
//
// A machine calls record() once per executed op with what the op cost (its time span, the
// actions it caused and the bytes it moved per link). The recorder aggregates per phase,
// per layer, per op kind and per op name (an op name aggregated over decode/ENTP steps), and
// after the run applies the energy table: energy = action counts x energy per action, plus
// static power x time. Nothing is stored per executed op, so memory stays flat however long
// the trace is. The JSON layout is documented in docs/report-format.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "cimsim/common/json.hpp"
#include "cimsim/stats/registry.hpp"
#include "cimsim/trace/op.hpp"

namespace cimsim::report {

constexpr int kReportSchemaVersion = 1;

struct OpCost {
  uint64_t start_ps = 0;  // simulated time the op started and finished
  uint64_t end_ps = 0;
  stats::Counts counts;         // actions and bytes this op caused
  std::string bound;            // what limited it: "compute", "memory", "latency", ... (optional)
  bool fast_forwarded = false;  // copied from an identical earlier op instead of simulated
};

class Recorder {
 public:
  Recorder(const stats::Registry& registry, double clock_ghz);

  void record(const trace::Op& op, const OpCost& cost);
  // Work a machine does between trace ops (a collective of a multi-device node): recorded
  // like an op, under its own kind and name, without FLOPs and not counted in totals.ops.
  void record_extra(const std::string& kind, const std::string& name, int32_t layer,
                    const trace::Phase& phase, const OpCost& cost);
  // Work before inference (the CIM weight load): reported under "setup", outside the totals.
  void record_setup(const std::string& label, const OpCost& cost);

  // The machine section of the report. `unattributed` holds actions and bytes no op caused
  // (DRAM refresh, background work); they count in the totals and components only.
  Json finish(const stats::Counts& unattributed, uint64_t end_ps) const;

  uint64_t ops_recorded() const { return ops_recorded_; }
  const stats::Registry& registry() const { return registry_; }
  double clock_ghz() const { return clock_ghz_; }

  // Energy of counts under the registry's table, in joules (dynamic only).
  double dynamic_energy_j(const stats::Counts& counts) const;

 private:
  struct Agg {
    uint64_t count = 0;
    uint64_t busy_ps = 0;
    uint64_t flops = 0;
    uint64_t first_start_ps = UINT64_MAX;
    uint64_t last_end_ps = 0;
    uint64_t fast_forwarded = 0;
    stats::Counts counts;
    std::map<std::string, uint64_t> bounds;
    void add(const trace::Op* op, const OpCost& cost);
  };
  struct OpKey {
    trace::PhaseKind phase_kind;
    std::string name;
    bool operator==(const OpKey& o) const { return phase_kind == o.phase_kind && name == o.name; }
  };
  struct OpKeyHash {
    size_t operator()(const OpKey& k) const {
      return std::hash<std::string>()(k.name) * 31 + static_cast<size_t>(k.phase_kind);
    }
  };

  Json agg_json(const Agg& agg, bool with_span) const;
  Json bytes_json(const stats::Counts& counts) const;
  uint64_t cycles_of(uint64_t ps) const;

  const stats::Registry& registry_;
  double clock_ghz_;
  uint64_t ops_recorded_ = 0;
  Agg total_;
  std::vector<std::pair<trace::Phase, Agg>> phases_;
  std::map<int32_t, Agg> layers_;
  std::map<trace::OpKind, Agg> kinds_;
  std::map<std::string, Agg> extra_kinds_;  // after the trace's kinds in the report
  std::vector<std::pair<OpKey, Agg>> ops_;
  std::unordered_map<OpKey, size_t, OpKeyHash> op_index_;
  std::vector<std::pair<std::string, Agg>> setup_;
  struct OpMeta {
    std::string kind;
    int32_t layer;
  };
  Agg& op_agg(const trace::Phase& phase, const std::string& name, const std::string& kind,
              int32_t layer);
  Agg& phase_agg(const trace::Phase& phase);
  std::vector<OpMeta> op_meta_;
};

}  // namespace cimsim::report
