// Mapper "spatial": ISAAC's spatial layout (mapper.hpp says how weights are sliced, split
// into strips and replicated): weights in trace order on consecutive PEs and tiles, so a
// layer's weights are neighbours and the layers form a pipeline across the fabric.
#include <algorithm>

#include "cimsim/cim/mapper.hpp"
#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"

namespace cimsim::cim {

namespace {

class Placer {
 public:
  Placer(const CimConfig& c, const MvmModel& model)
      : c_(c), model_(model), pes_(c.tile.pes), xbars_(c.pe.crossbars) {}

  uint64_t cursor = 0;  // next free virtual PE

  std::vector<Strip> place(const WeightPlacement& w) {
    std::vector<Strip> strips;
    uint64_t rb = w.row_blocks, cb = w.col_blocks;
    uint64_t per_tile = uint64_t{xbars_} * pes_;
    if (rb <= per_tile) {
      uint64_t col = 0;
      while (col < cb) {
        uint64_t free = pes_ - cursor % pes_;
        uint64_t width = free * xbars_ / rb;
        if (width == 0) {
          cursor += free;
          continue;
        }
        width = std::min(width, cb - col);
        strips.push_back(build(w, 0, rb, col, col + width, false));
        col += width;
      }
    } else {
      for (uint64_t col = 0; col < cb; ++col) {
        for (uint64_t r0 = 0; r0 < rb; r0 += per_tile) {
          if (cursor % pes_ != 0) {
            cursor += pes_ - cursor % pes_;
          }
          strips.push_back(build(w, r0, std::min(rb, r0 + per_tile), col, col + 1, true));
        }
      }
    }
    return strips;
  }

 private:
  Strip build(const WeightPlacement& w, uint64_t rb0, uint64_t rb1, uint64_t cb0, uint64_t cb1,
              bool row_split) {
    const uint32_t rows = c_.crossbar.rows;
    const uint32_t per_x = w.features_per_crossbar;
    Strip s;
    s.row_split = row_split;
    s.k0 = rb0 * rows;
    s.k1 = std::min(w.use.k, rb1 * rows);
    s.n0 = cb0 * per_x;
    s.n1 = std::min(w.use.n, cb1 * per_x);
    s.first_vpe = cursor;
    // Crossbars column block by column block, every row block of a column block in turn,
    // filling PEs in order.
    PeLoad pe;
    uint32_t in_pe = 0;
    auto close_pe = [&]() {
      if (pe.crossbars == 0) {
        return;
      }
      MvmTiming t = model_.timing(pe);
      s.timing.step_ps = std::max(s.timing.step_ps, t.step_ps);
      s.timing.fill_ps = std::max(s.timing.fill_ps, t.fill_ps);
      s.timing.steps_per_vector = std::max(s.timing.steps_per_vector, t.steps_per_vector);
      s.per_vector += model_.counts(pe);
      s.max_xbars_per_pe = std::max(s.max_xbars_per_pe, pe.crossbars);
      ++s.pes;
      pe = PeLoad{};
      in_pe = 0;
    };
    for (uint64_t cbi = cb0; cbi < cb1; ++cbi) {
      uint64_t features = std::min<uint64_t>(per_x, w.use.n - cbi * per_x);
      for (uint64_t rbi = rb0; rbi < rb1; ++rbi) {
        XbarUse x;
        x.rows = static_cast<uint32_t>(std::min<uint64_t>(rows, w.use.k - rbi * rows));
        x.cols = static_cast<uint32_t>(features * w.cells_per_weight);
        pe.add(x, c_.rows_at_once());
        s.max_rows = std::max(s.max_rows, x.rows);
        s.cells += uint64_t{x.rows} * x.cols;
        ++s.crossbars;
        if (++in_pe == xbars_) {
          close_pe();
        }
      }
    }
    close_pe();
    cursor += s.pes;
    return s;
  }

  const CimConfig& c_;
  const MvmModel& model_;
  uint32_t pes_, xbars_;
};

WeightPlacement describe_weight(const CimConfig& c, const WeightUse& use,
                                const ConfigWhere& where) {
  WeightPlacement w;
  w.use = use;
  w.cells_per_weight = cells_per_weight(c, use.bits);
  if (w.cells_per_weight > c.crossbar.cols) {
    throw InputError(where("machine.crossbar.cols"),
                     "expected at least " + std::to_string(w.cells_per_weight) +
                         " columns to hold one " + std::to_string(use.bits) + "-bit weight of " +
                         use.id + " in one crossbar row, got " + std::to_string(c.crossbar.cols));
  }
  w.features_per_crossbar = c.crossbar.cols / w.cells_per_weight;
  w.row_blocks = ceil_div(use.k, c.crossbar.rows);
  w.col_blocks = ceil_div(use.n, w.features_per_crossbar);
  w.crossbars_per_copy = checked_mul(w.row_blocks, w.col_blocks, "crossbars");
  w.cells_per_copy =
      checked_mul(checked_mul(use.k, use.n, "weight cells"), w.cells_per_weight, "weight cells");
  return w;
}

// Weights described and placed once each, in trace order: what sizing and placement share.
Mapping one_copy(const CimConfig& c, const MapRequest& req, const MvmModel& model) {
  const ConfigWhere where = req.where ? req.where : [](const std::string& path) { return path; };
  Mapping m;
  for (const auto& use : req.weights) {
    if (use.k == 0 || use.n == 0) {
      continue;
    }
    if (m.index.count(use.id) != 0) {
      continue;
    }
    m.index[use.id] = m.weights.size();
    m.weights.push_back(describe_weight(c, use, where));
  }
  // One copy of everything, to size the system.
  Placer one(c, model);
  for (auto& w : m.weights) {
    uint64_t before = one.cursor;
    one.place(w);
    w.pes_per_copy = one.cursor - before;
  }
  m.pes_for_one_copy = one.cursor;
  return m;
}

class SpatialMapper final : public Mapper {
 public:
  uint64_t pes_for_one_copy(const CimConfig& c, const MapRequest& req) const override {
    MvmModel model(c, req.activation_bits);
    return one_copy(c, req, model).pes_for_one_copy;
  }
  Mapping place(const CimConfig& c, const MapRequest& req, uint32_t chips) const override;
};

Mapping SpatialMapper::place(const CimConfig& c, const MapRequest& req, uint32_t chips) const {
  const ConfigWhere where = req.where ? req.where : [](const std::string& path) { return path; };
  MvmModel model(c, req.activation_bits);
  Mapping m = one_copy(c, req, model);
  const uint64_t P = c.tile.pes;
  const uint64_t chip_pes = P * c.chip.tiles;
  uint64_t dyn_tiles = ceil_div(req.dynamic_pes, P);
  uint64_t weight_tiles = ceil_div(m.pes_for_one_copy, P);
  m.chips = chips;
  m.total_pes = chip_pes * m.chips;

  // The write_xbar pool: whole tiles after the weights, or carved from the end of a fabric
  // too small for both (the weights then wrap and are reprogrammed).
  uint64_t region = m.total_pes;
  if (req.dynamic_pes > 0) {
    uint64_t spare_tiles = m.total_pes / P > weight_tiles ? m.total_pes / P - weight_tiles : 0;
    uint64_t pool_tiles = std::min(dyn_tiles, spare_tiles);
    if (pool_tiles == 0) {
      pool_tiles = std::max<uint64_t>(1, std::min(dyn_tiles, m.total_pes / P / 2));
    }
    m.dynamic_pes = pool_tiles * P;
    region = m.total_pes - m.dynamic_pes;
    m.dynamic_first_vpe = region;
  }
  m.weight_region = region;
  m.fits = m.pes_for_one_copy <= region;

  // Replication (only when everything fits).
  if (!m.fits && c.replication.mode == Replication::Mode::fixed && c.replication.factor > 1) {
    throw InputError(where("machine.replication"),
                     std::to_string(c.replication.factor) +
                         " copies of every weight asked for, but one copy needs " +
                         std::to_string(m.pes_for_one_copy) + " PEs and the system has " +
                         std::to_string(region) +
                         " (weights are reprogrammed layer by layer; use \"none\" or add chips)");
  }
  uint32_t uniform = 1;
  if (m.fits && c.replication.mode == Replication::Mode::fixed) {
    uniform = c.replication.factor;
  } else if (m.fits && c.replication.mode == Replication::Mode::automatic) {
    uniform = static_cast<uint32_t>(
        std::max<uint64_t>(1, region / std::max<uint64_t>(1, m.pes_for_one_copy)));
  }
  for (;;) {
    Placer p(c, model);
    for (auto& w : m.weights) {
      w.replicas.clear();
      for (uint32_t r = 0; r < uniform; ++r) {
        w.replicas.push_back(p.place(w));
      }
    }
    if (p.cursor <= region || uniform == 1 || c.replication.mode == Replication::Mode::fixed) {
      if (p.cursor > region && c.replication.mode == Replication::Mode::fixed && uniform > 1) {
        throw InputError(where("machine.replication"),
                         std::to_string(uniform) + " copies of every weight need " +
                             std::to_string(p.cursor) + " PEs, the system has " +
                             std::to_string(region) + " (lower replication or add chips)");
      }
      m.pes_used = p.cursor;
      if (c.replication.mode == Replication::Mode::automatic && m.fits) {
        // Spare PEs: one more copy of each weight in layer order while it fits.
        for (auto& w : m.weights) {
          Placer extra(c, model);
          extra.cursor = p.cursor;
          auto strips = extra.place(w);
          if (extra.cursor > region) {
            continue;
          }
          p.cursor = extra.cursor;
          w.replicas.push_back(std::move(strips));
        }
        m.pes_used = p.cursor;
      }
      break;
    }
    --uniform;
  }
  if (req.dynamic_pes > 0 && m.fits) {
    // Put the pool right after the weights when there is room (keeps it near them).
    uint64_t first = ceil_div(m.pes_used, P) * P;
    if (first + m.dynamic_pes <= m.total_pes) {
      m.dynamic_first_vpe = first;
    }
  }
  return m;
}

}  // namespace

CIMSIM_REGISTER(MapperAxis, config::NoParams, "spatial",
                "ISAAC's spatial layout: weights in trace order on consecutive tiles, copies "
                "into spare PEs",
                [](const config::NoParams&) -> std::unique_ptr<Mapper> {
                  return std::make_unique<SpatialMapper>();
                });

}  // namespace cimsim::cim
