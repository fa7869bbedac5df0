// Programming the weights (fabric_ops.hpp): the initial load before inference and the
// reloads of weights that do not fit, one HBM stream per chip group's stack.
#include <algorithm>

#include "cimsim/cim/fabric_ops.hpp"
#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

namespace {

uint64_t programming_now_ps() {
  return static_cast<uint64_t>(sc_core::sc_time_stamp().value());
}

}  // namespace

std::vector<uint64_t> FabricOps::load_strips(const std::vector<uint64_t>& strips,
                                             uint64_t ready_ps) {
  // One stream per HBM stack (each chip group's weights are in its own stack), one after
  // another, then each strip travels from its chip's gateway and is programmed row by row
  // after its PEs finish what they hold now.
  const uint64_t region = plan_.mapping.weight_region;
  std::vector<uint64_t> done(strips.size(), 0);
  std::vector<uint64_t> bytes(plan_.stacks, 0);
  std::vector<uint32_t> stack(strips.size());
  for (size_t i = 0; i < strips.size(); ++i) {
    const Strip& s = plan_.strip(strips[i]);
    stack[i] = io_.stack_of_tile(plan_.physical(s.first_vpe).first);
    bytes[stack[i]] += ceil_div(s.cells * cfg_.crossbar.bits_per_cell, 8);
  }
  for (uint32_t k = 0; k < plan_.stacks; ++k) {
    if (bytes[k] == 0) {
      continue;
    }
    uint64_t t = io_.hbm(bytes[k], false, ready_ps, k, 0);
    for (size_t i = 0; i < strips.size(); ++i) {
      if (stack[i] != k) {
        continue;
      }
      const Strip& s = plan_.strip(strips[i]);
      auto [tile, pe] = plan_.physical(s.first_vpe);
      uint64_t b = ceil_div(s.cells * cfg_.crossbar.bits_per_cell, 8);
      TileJob job;
      job.kind = TileJob::Kind::program;
      job.strip = &s;
      job.pe0 = pe;
      job.in = io_.send(io_.gateway_tile(io_.topology().chip_of(tile)), tile, b, Window::at(t));
      job.bytes = b;
      done[i] = io_.tile_job(tile, job).last;
      for (uint64_t p = s.first_vpe; p < s.first_vpe + s.pes; ++p) {
        pe_owner_[p % region] = static_cast<int64_t>(strips[i]);
        ++pe_programs_[p % region];
      }
    }
  }
  return done;
}

void FabricOps::program_all() {
  // Initial weight load: every strip that has PEs of its own (with a fabric too small, the
  // first fabric-full in trace order), read from off-chip memory and programmed row by row.
  const uint64_t region = plan_.mapping.weight_region;
  uint64_t bytes = 0;
  std::vector<uint64_t> load;
  for (uint64_t g = 0; g < plan_.strip_refs.size(); ++g) {
    const Strip& s = plan_.strip(g);
    if (s.first_vpe + s.pes > region) {
      continue;
    }
    load.push_back(g);
    bytes += ceil_div(s.cells * cfg_.crossbar.bits_per_cell, 8);
    stats_.setup_cells += s.cells;
  }
  uint64_t end = programming_now_ps();
  for (uint64_t t : load_strips(load, 0)) {
    end = std::max(end, t);
  }
  stats_.setup_bytes = bytes;
  uint64_t now = programming_now_ps();
  end = std::max(end, now);
  if (end > now) {
    sc_core::wait(sc_core::sc_time(static_cast<double>(end - now), sc_core::SC_PS));
  }
  stats_.setup_ps = end;
  report::OpCost cost;
  cost.start_ps = 0;
  cost.end_ps = end;
  cost.counts = io_.take_op_counts(cost.fast_forwarded);
  recorder_.record_setup("weight_programming", cost);
  t0_ps_ = programming_now_ps();
  phase_end_ps_ = t0_ps_;
}

std::vector<uint64_t> FabricOps::ensure_programmed(uint32_t w, uint32_t r) {
  const auto& strips = plan_.mapping.weights[w].replicas[r];
  std::vector<uint64_t> ready(strips.size(), 0);
  if (plan_.mapping.fits) {
    return ready;
  }
  // Which strips are not where the op needs them? Load their weights from off-chip memory
  // in one transfer, then program them (each after the PEs finish what they hold now).
  uint64_t first = plan_.strip_ids[w][r];
  std::vector<size_t> stale;
  uint64_t bytes = 0;
  for (size_t i = 0; i < strips.size(); ++i) {
    const Strip& s = strips[i];
    bool ok = true;
    for (uint64_t p = s.first_vpe; p < s.first_vpe + s.pes && ok; ++p) {
      ok = pe_owner_[p % plan_.mapping.weight_region] == static_cast<int64_t>(first + i);
    }
    if (!ok) {
      stale.push_back(i);
      bytes += ceil_div(strips[i].cells * cfg_.crossbar.bits_per_cell, 8);
    }
  }
  if (stale.empty()) {
    return ready;
  }
  std::vector<uint64_t> ids;
  ids.reserve(stale.size());
  for (size_t i : stale) {
    ids.push_back(first + i);
  }
  std::vector<uint64_t> done = load_strips(ids, programming_now_ps());
  for (size_t k = 0; k < stale.size(); ++k) {
    const Strip& s = strips[stale[k]];
    ready[stale[k]] = done[k];
    ++stats_.reprogrammed_strips;
    stats_.reprogrammed_cells += s.cells;
    stats_.reprogrammed_bytes += ceil_div(s.cells * cfg_.crossbar.bits_per_cell, 8);
  }
  return ready;
}

}  // namespace cimsim::cim
