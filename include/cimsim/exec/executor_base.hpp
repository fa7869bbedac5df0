// What every machine's executor shares: its name and resolved config, the stats registry it
// declares its components into, the recorder that aggregates op costs, progress reporting,
// and the assembly of its report section. A machine derives from this, declares its
// components/actions/links in its constructor, calls start_recording(clock) once declared,
// and record() for every finished op.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cimsim/exec/executor.hpp"
#include "cimsim/report/recorder.hpp"
#include "cimsim/stats/registry.hpp"

namespace cimsim::exec {

class ExecutorBase : public Executor {
 public:
  Json report() const override;
  bool done() const override { return done_; }
  double static_power_w() const override;

 protected:
  ExecutorBase(std::string name, std::string type, Json config, RunOptions options);

  // Call after every component/action/link has been declared in registry().
  void start_recording(double clock_ghz);
  // Records a finished op and reports progress.
  void record(const trace::Op& op, const report::OpCost& cost);
  void record_setup(const std::string& label, const report::OpCost& cost);
  // Records the machine's own work between ops (report/recorder.hpp, record_extra).
  void record_extra(const std::string& kind, const std::string& name, int32_t layer,
                    const trace::Phase& phase, const report::OpCost& cost);
  void set_ops_total(uint64_t total) { ops_total_ = total; }
  // Call at the machine's end, inside the simulation: what no op caused is taken then, so
  // that a machine run side by side with a longer one is not charged the memory's refresh
  // and standby while the other still runs.
  void finish(uint64_t end_ps) {
    end_ps_ = end_ps;
    unattributed_at_end_ = unattributed();
    done_ = true;
  }

  // Machine-specific parts of the report section.
  virtual Json metrics() const { return Json::object(); }
  // The machine's physical budget (for comparisons normalised by area or power): silicon area,
  // process node, peak power (TDP); 0 where not stated. `sized_mode` names the budget the
  // machine was sized to ("iso_area", "iso_power"; empty: none). `section` is the report so
  // far (its components, totals). No budget: none in the report. The report adds the run's
  // average and static power.
  struct Budget {
    double area_mm2 = 0, process_nm = 0, peak_power_w = 0;
    std::string sized_mode;
    double sized_budget = 0;
  };
  virtual std::optional<Budget> budget(const Json& section) const { return std::nullopt; }
  // Actions and bytes no op caused (DRAM refresh, background), for the totals.
  virtual stats::Counts unattributed() const;

  stats::Registry& registry() { return registry_; }
  const stats::Registry& registry() const { return registry_; }
  const report::Recorder& recorder() const { return *recorder_; }
  const RunOptions& options() const { return options_; }
  const std::string& name() const { return name_; }
  uint64_t end_ps() const { return end_ps_; }

 private:
  std::string name_;
  std::string type_;
  Json config_;
  RunOptions options_;
  stats::Registry registry_;
  std::unique_ptr<report::Recorder> recorder_;
  uint64_t ops_total_ = 0;
  uint64_t end_ps_ = 0;
  stats::Counts unattributed_at_end_;
  bool done_ = false;
};

}  // namespace cimsim::exec
