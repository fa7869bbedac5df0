// The fabric's machine-specific report section ("metrics").
#include <algorithm>
#include <cmath>

#include "cimsim/cim/fabric.hpp"
#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

namespace {
Json ratio(double num, double den) {
  return den > 0 ? Json(num / den) : Json(nullptr);
}
}  // namespace

Json Fabric::metrics() const {
  const uint64_t R = cfg_.crossbar.rows, C = cfg_.crossbar.cols;
  const uint64_t P = cfg_.tile.pes, X = cfg_.pe.crossbars;
  Json m = Json::object();
  m["dynamic_matmul"] = config::enum_name(cfg_.dynamic_matmul);
  m["weight_bits"] = weight_bits_;
  m["activation_bits"] = act_bits_;
  m["input_slices"] = ceil_div(act_bits_, cfg_.dac.bits);
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
                     {"routers", uint64_t{topo_->routers_per_chip()} * mapping_.chips}};
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

  uint64_t reprog_max = 0;
  uint64_t setup_max = 0;
  for (size_t p = 0; p < pe_programs_.size(); ++p) {
    setup_max = std::max<uint64_t>(setup_max, pe_programs_[p]);
  }
  reprog_max = stats_.reprogrammed_strips > 0 && setup_max > 0 ? setup_max - 1 : 0;
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
  for (const auto& s : stores_) {
    kv.push_back(Json{{"layer", s.layer},
                      {"level", kv_level_name(s.level)},
                      {"bytes", s.bytes},
                      {"positions", s.positions},
                      {"tiles", s.tiles.size()}});
  }
  m["kv_cache"] = kv;
  m["dynamic_writes"] = Json{{"cells", stats_.dynamic_cells},
                             {"bits", stats_.dynamic_bits},
                             {"rows", stats_.dynamic_rows},
                             {"array_rounds", stats_.dynamic_rounds}};

  // Wear: the most-written cell over one run of the workload, and how long the cells last if
  // the workload repeats back to back at the simulated rate.
  double limit = cfg_.crossbar.program.endurance_writes;
  uint64_t worst = reprog_max;
  std::string where = reprog_max > 0 ? "weights reprogrammed during inference" : "";
  if (cfg_.dynamic_matmul == DynamicMatmul::write_xbar) {
    for (const auto& s : stores_) {
      if (s.max_writes() > worst) {
        worst = s.max_writes();
        where = "KV cache crossbars of layer " + std::to_string(s.layer);
      }
    }
    if (pool_cells_ > 0) {
      uint64_t pool = ceil_div(pool_cell_writes_, pool_cells_);
      if (pool > worst) {
        worst = pool;
        where = "write_xbar pool (K/V rewritten every op, writes spread round-robin)";
      }
    }
  }
  double run_s = static_cast<double>(end_ps()) * 1e-12;
  Json e = Json{{"endurance_writes_per_cell", limit > 0 ? Json(limit) : Json("unlimited")},
                {"max_writes_per_cell_per_run", worst},
                {"most_written", where.empty() ? Json(nullptr) : Json(where)},
                {"run_seconds", run_s}};
  if (worst > 0 && limit > 0) {
    double life = limit / static_cast<double>(worst) * run_s;
    e["lifetime_seconds"] = life;
    e["lifetime_years"] = life / (365.25 * 24 * 3600);
    e["runs_until_worn_out"] = limit / static_cast<double>(worst);
  } else {
    e["lifetime_seconds"] = nullptr;
    e["note"] =
        "no crossbar cell is written during inference (weights resident, dynamic "
        "matmuls not on ReRAM): wear does not limit the lifetime";
  }
  m["endurance"] = e;
  m["budget"] = budget_json(cfg_);
  m["fast_forward"] =
      Json{{"enabled", options().fast_forward},
           {"ops_fast_forwarded", ff_ops_},
           {"offchip_bytes_extrapolated", ff_bytes_},
           {"what",
            "off-chip streams of at least 1 MiB: a 256 KiB warm-up and a 256 KiB measured "
            "sample go through the memory model, the rest is charged at the measured rate "
            "(time, and every memory action except refreshes); tiles, mesh and crossbars "
            "are always simulated in full"}};
  return m;
}

}  // namespace cimsim::cim
