// The fabric's machine-specific report section (fabric_report.hpp).
#include "cimsim/cim/fabric_report.hpp"

#include "cimsim/cim/sizing.hpp"
#include "cimsim/cim/technology.hpp"

#include <algorithm>
#include <cmath>

#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

namespace {
Json ratio(double num, double den) {
  return den > 0 ? Json(num / den) : Json(nullptr);
}
}  // namespace

Json fabric_metrics(const FabricReportInput& in) {
  const CimConfig& cfg_ = in.config;
  const Mapping& mapping_ = in.plan.mapping;
  const FabricOpStats& stats_ = in.ops;
  const uint64_t R = cfg_.crossbar.rows, C = cfg_.crossbar.cols;
  const uint64_t P = cfg_.tile.pes, X = cfg_.pe.crossbars;
  Json m = Json::object();
  m["dynamic_matmul"] = config::to_json(cfg_.dynamic_matmul);
  m["weight_bits"] = in.plan.weight_bits;
  m["activation_bits"] = in.plan.activation_bits;
  m["input_slices"] = ceil_div(in.plan.activation_bits, cfg_.dac.bits);
  m["rows_at_once"] = cfg_.rows_at_once();

  uint64_t tiles_total = uint64_t{mapping_.chips} * cfg_.chip.tiles;
  uint64_t xbars_total = tiles_total * P * X;
  uint64_t xbars_used = mapping_.crossbars_used();
  double cells_used = static_cast<double>(mapping_.cells_used());
  m["system"] = Json{{"chips", mapping_.chips},
                     {"chips_auto", cfg_.chips.automatic},
                     {"tiles_total", tiles_total},
                     {"tiles_used_by_weights", mapping_.tiles_used(static_cast<uint32_t>(P))},
                     {"pes_total", mapping_.total_pes},
                     {"pes_used_by_weights", std::min(mapping_.pes_used, mapping_.total_pes)},
                     {"pes_for_one_copy", mapping_.pes_for_one_copy},
                     {"write_xbar_pool_pes", mapping_.dynamic_pes},
                     {"crossbars_total", xbars_total},
                     {"crossbars_used", xbars_used},
                     {"routers", uint64_t{in.topology.routers_per_chip()} * mapping_.chips}};
  // How the system was sized and what did not fit in it.
  Json sizing = sizing_json(in.plan.sizing);
  sizing["hbm_stacks"] = in.plan.stacks;
  sizing["weights_resident"] = mapping_.fits;
  uint64_t offchip_layers = 0;
  for (const auto& s : in.stores) {
    offchip_layers += s.level == KvLevel::offchip ? 1 : 0;
  }
  sizing["kv_cache_layers_offchip"] = offchip_layers;
  m["sizing"] = sizing;
  m["technology"] = technology_json(cfg_);
  m["crossbar_utilisation"] =
      Json{{"cells_used", mapping_.cells_used()},
           {"of_used_crossbars", ratio(cells_used, static_cast<double>(xbars_used * R * C))},
           {"of_all_crossbars", ratio(cells_used, static_cast<double>(xbars_total * R * C))}};

  uint64_t rmin = UINT64_MAX, rmax = 0, rsum = 0;
  Json weights = Json::array();
  for (const auto& w : mapping_.weights) {
    uint64_t r = w.replicas.size();
    rmin = std::min(rmin, r);
    rmax = std::max(rmax, r);
    rsum += r;
    weights.push_back(Json{{"id", w.use.id},
                           {"layer", w.use.layer},
                           {"k", w.use.k},
                           {"n", w.use.n},
                           {"bits", w.use.bits},
                           {"cells_per_weight", w.cells_per_weight},
                           {"row_blocks", w.row_blocks},
                           {"col_blocks", w.col_blocks},
                           {"crossbars_per_copy", w.crossbars_per_copy},
                           {"cells_per_copy", w.cells_per_copy},
                           {"pes_per_copy", w.pes_per_copy},
                           {"strips_per_copy", w.replicas.empty() ? 0 : w.replicas[0].size()},
                           {"copies", r}});
  }
  m["replication"] = Json{
      {"mode", config::to_json(cfg_.replication)},
      {"min", mapping_.weights.empty() ? 0 : rmin},
      {"max", rmax},
      {"mean", ratio(static_cast<double>(rsum), static_cast<double>(mapping_.weights.size()))}};
  m["weights"] = weights;

  uint64_t setup_max = stats_.max_programs_per_pe;
  uint64_t reprog_max = stats_.reprogrammed_strips > 0 && setup_max > 0 ? setup_max - 1 : 0;
  m["programming"] = Json{{"all_weights_resident", mapping_.fits},
                          {"setup_seconds", static_cast<double>(stats_.setup_ps) * 1e-12},
                          {"setup_cells", stats_.setup_cells},
                          {"setup_bytes_from_offchip", stats_.setup_bytes},
                          {"inference_reprogrammed_strips", stats_.reprogrammed_strips},
                          {"inference_reprogrammed_cells", stats_.reprogrammed_cells},
                          {"inference_bytes_from_offchip", stats_.reprogrammed_bytes},
                          {"inference_max_programs_per_cell", reprog_max},
                          {"weights_streamed_through_vector_units", stats_.digital_fallback_ops}};

  Json kv = Json::array();
  for (const auto& s : in.stores) {
    kv.push_back(Json{{"layer", s.layer},
                      {"level", kv_level_name(s.level)},
                      {"bytes", s.bytes},
                      {"positions", s.positions},
                      {"tiles", s.tiles.size()}});
  }
  m["kv_cache"] = kv;
  m["buffers"] = in.buffers;
  const DynamicStats& dyn = in.policy.stats();
  m["dynamic_writes"] = Json{
      {"cells", dyn.cells}, {"bits", dyn.bits}, {"rows", dyn.rows}, {"array_rounds", dyn.rounds}};

  // Wear: the most-written cell over one run of the workload, and how long the cells last if
  // the workload repeats back to back at the simulated rate. Endurance counts switching
  // pulses; a program-and-verify of the most-stressed cell (the top level) applies
  // worst_cell_pulses of them.
  double limit = cfg_.crossbar.program.endurance_writes;
  uint64_t worst = reprog_max;
  std::string where = reprog_max > 0 ? "weights reprogrammed during inference" : "";
  in.policy.worst_wear(in.stores, worst, where);
  const double pulses_per_program = program_cost(cfg_).worst_cell_pulses;
  const double pulses = static_cast<double>(worst) * pulses_per_program;
  double run_s = static_cast<double>(in.end_ps) * 1e-12;
  Json e = Json{{"endurance_pulses_per_cell", limit > 0 ? Json(limit) : Json("unlimited")},
                {"max_writes_per_cell_per_run", worst},
                {"pulses_per_write_worst_cell", pulses_per_program},
                {"max_pulses_per_cell_per_run", pulses},
                {"most_written", where.empty() ? Json(nullptr) : Json(where)},
                {"run_seconds", run_s}};
  if (worst > 0 && limit > 0) {
    double life = limit / pulses * run_s;
    e["lifetime_seconds"] = life;
    e["lifetime_years"] = life / (365.25 * 24 * 3600);
    e["runs_until_worn_out"] = limit / pulses;
  } else {
    e["lifetime_seconds"] = nullptr;
    e["note"] =
        "no crossbar cell is written during inference (weights resident, dynamic "
        "matmuls not on ReRAM): wear does not limit the lifetime";
  }
  m["endurance"] = e;
  m["budget"] = budget_json(cfg_);
  m["fast_forward"] =
      Json{{"enabled", in.fast_forward},
           {"ops_fast_forwarded", stats_.fast_forwarded_ops},
           {"offchip_bytes_extrapolated", in.fast_forwarded_bytes},
           {"what",
            "off-chip streams of at least 1 MiB: a 256 KiB warm-up and a 256 KiB measured "
            "sample go through the memory model, the rest is charged at the measured rate "
            "(time, and every memory action except refreshes); tiles, mesh and crossbars "
            "are always simulated in full"}};
  return m;
}

}  // namespace cimsim::cim
