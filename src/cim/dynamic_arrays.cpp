// The array policies' shared part (dynamic_arrays.hpp): the arrays' geometry and MVMs, writing
// K^T and V, rounds when the arrays are too few, and the tiles' reservations.
#include "cimsim/cim/dynamic_arrays.hpp"

#include <algorithm>

#include "cimsim/cim/mapper.hpp"
#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

CimConfig sram_as_crossbar(const CimConfig& c) {
  CimConfig s = c;
  s.crossbar.rows = c.sram_cim.rows;
  s.crossbar.cols = c.sram_cim.cols;
  s.crossbar.bits_per_cell = 1;
  s.crossbar.rows_at_once = std::nullopt;
  s.crossbar.read_latency_ns = c.sram_cim.cycle_ns;
  s.crossbar.readout = Readout::digital;
  s.crossbar.extra_latency_ns = 0;
  s.dac.bits = 1;
  s.pe.crossbars = 1;
  s.signed_weights = SignedWeights::offset;
  return s;
}

ArrayModel::ArrayModel(const CimConfig& described, uint32_t value_bits, uint32_t input_bits)
    : cfg_(described), model_(cfg_, input_bits) {
  cells_ = cells_per_weight(cfg_, value_bits);
}

KvArrays ArrayModel::geometry(uint64_t positions, uint64_t head_dim, uint64_t kv_heads,
                              uint64_t batch) const {
  KvArrays g;
  uint64_t r = cfg_.crossbar.rows, c = cfg_.crossbar.cols;
  g.k_arrays_per_head = ceil_div(head_dim, r) * ceil_div(positions * cells_, c);
  g.v_arrays_per_head = ceil_div(positions, r) * ceil_div(head_dim * cells_, c);
  g.arrays_per_layer = (g.k_arrays_per_head + g.v_arrays_per_head) * kv_heads * batch;
  return g;
}

MvmTiming ArrayModel::mvm_timing(uint64_t k, uint64_t n) const {
  // Arrays of one operand run in parallel; the slowest is a full one (or the only one).
  XbarUse x;
  x.rows = static_cast<uint32_t>(std::min<uint64_t>(k, cfg_.crossbar.rows));
  x.cols = static_cast<uint32_t>(std::min<uint64_t>(n * cells_, cfg_.crossbar.cols));
  PeLoad pe;
  uint64_t arrays = ceil_div(k, cfg_.crossbar.rows) * ceil_div(n * cells_, cfg_.crossbar.cols);
  uint64_t in_pe = std::min<uint64_t>(arrays, cfg_.pe.crossbars);
  for (uint64_t i = 0; i < in_pe; ++i) {
    pe.add(x, cfg_.rows_at_once());
  }
  return model_.timing(pe);
}

MvmCounts ArrayModel::mvm_counts(uint64_t k, uint64_t n) const {
  // Every array of the operand, with its own used rows and columns.
  PeLoad pe;
  uint64_t rb = ceil_div(k, cfg_.crossbar.rows);
  uint64_t cols = n * cells_;
  uint64_t cb = ceil_div(cols, cfg_.crossbar.cols);
  for (uint64_t i = 0; i < rb; ++i) {
    for (uint64_t j = 0; j < cb; ++j) {
      XbarUse x;
      x.rows =
          static_cast<uint32_t>(std::min<uint64_t>(cfg_.crossbar.rows, k - i * cfg_.crossbar.rows));
      x.cols = static_cast<uint32_t>(
          std::min<uint64_t>(cfg_.crossbar.cols, cols - j * cfg_.crossbar.cols));
      pe.add(x, cfg_.rows_at_once());
    }
  }
  return model_.counts(pe);
}

ArrayPolicy::ArrayPolicy(const CimConfig& config, const CimConfig& described,
                         uint32_t activation_bits)
    : cfg_(config), arrays_(described, activation_bits, activation_bits) {}

bool ArrayPolicy::place_in_arrays(const trace::AttentionShape* first, uint64_t positions,
                                  uint32_t tiles, std::vector<KvStore>& stores) const {
  if (first == nullptr || stores.empty()) {
    return false;
  }
  KvArrays g = arrays_.geometry(positions, first->head_dim, first->kv_heads, first->batch);
  uint64_t need = g.arrays_per_layer * stores.size();
  if (need > arrays_in_system(tiles)) {
    return false;
  }
  const uint64_t per_layer = need / stores.size(), per_tile = arrays_per_tile();
  uint64_t next_array = 0;
  for (auto& s : stores) {
    s.level = level();
    uint64_t first_block = next_array / per_tile, last = (next_array + per_layer - 1) / per_tile;
    for (uint64_t t = first_block; t <= last; ++t) {
      s.tiles.push_back(tile_of_array_block(t));
    }
    next_array += per_layer;
    if (s.level == KvLevel::crossbar) {
      s.writes_per_position.assign(s.positions, 0);
    }
  }
  return true;
}

uint32_t ArrayPolicy::chips_for_kv(const CimConfig&, const trace::AttentionShape* first,
                                   uint64_t positions, uint64_t layers, uint64_t) const {
  if (first == nullptr || arrays_per_chip() == 0) {
    return 0;
  }
  KvArrays g = arrays_.geometry(positions, first->head_dim, first->kv_heads, first->batch);
  return static_cast<uint32_t>(ceil_div(g.arrays_per_layer * layers, arrays_per_chip()));
}

uint64_t ArrayPolicy::kv_misplaced(const std::vector<KvStore>& stores) const {
  return std::count_if(stores.begin(), stores.end(),
                       [](const KvStore& s) { return !is_array_level(s.level); });
}

uint64_t ArrayPolicy::available(const std::vector<uint32_t>& tiles) const {
  return std::max<uint64_t>(1, arrays_per_tile() * tiles.size());
}

ArrayPolicy::Cost ArrayPolicy::matmul(FabricServices& fabric, uint64_t k, uint64_t n,
                                      uint64_t vectors, uint64_t instances, uint64_t new_cols,
                                      uint64_t new_rows) {
  Cost c;
  const uint64_t R = arrays_.rows(), C = arrays_.cols(), cells = arrays_.cells_per_value();
  c.arrays = ceil_div(k, R) * ceil_div(n * cells, C) * instances;
  // Writes: new columns touch every row of the operand (a partial-row write each); new rows
  // are whole rows. Arrays are written in parallel, rows of one array one after another.
  uint64_t rows_serial = 0, rows_total = 0;
  if (new_cols > 0) {
    rows_serial = std::min(k, R);
    rows_total = k * ceil_div(new_cols * cells, C);
    c.cells_written += k * new_cols * cells;
  }
  if (new_rows > 0) {
    rows_serial = std::max(rows_serial, std::min(new_rows, R));
    rows_total += new_rows * ceil_div(n * cells, C);
    c.cells_written += new_rows * n * cells;
  }
  c.cells_written *= instances;
  rows_total *= instances;
  c.write_ps = ns_to_ps(row_write_ns() * static_cast<double>(rows_serial));
  if (c.cells_written > 0) {
    stats_.cells += c.cells_written;
    stats_.rows += rows_total;
    count_writes(fabric, c.cells_written, rows_total);
  }
  // MVMs: every instance's arrays in parallel.
  if (vectors > 0) {
    c.mvm_ps = arrays_.mvm_timing(k, n).run_ps(vectors);
    count_mvms(fabric, arrays_.mvm_counts(k, n).scaled(checked_mul(vectors, instances, "MVMs")));
  }
  return c;
}

Window ArrayPolicy::reserve(FabricServices& fabric, const std::vector<uint32_t>& tiles,
                            const Window& in, uint64_t round_ps, uint64_t rounds) const {
  Window out = in;
  bool have = false;
  for (uint32_t t : tiles) {
    TileJob job;
    job.kind = TileJob::Kind::reserve;
    job.resource = resource();
    job.pe0 = 0;
    job.pes = cfg_.tile.pes;
    job.in = in;
    job.per_item_ps = round_ps;
    job.items = rounds;
    Window w = fabric.tile_job(t, job);
    out = have ? out.merge(w) : w;
    have = true;
  }
  return out;
}

Window ArrayPolicy::attention(FabricServices& fabric, AttentionJob& job) {
  // K^T and V into the arrays (only the new positions when the cache lives there), then
  // QK^T, softmax on the vector units, PV.
  const trace::AttentionShape& a = *job.shape;
  KvStore* store = job.store;
  uint64_t group = std::max<uint64_t>(1, a.heads / std::max<uint64_t>(1, a.kv_heads));
  uint64_t inst = a.kv_heads * a.batch;
  uint64_t vectors = a.q_len * group;
  // A sliding window's queries drive only the keys they see (a.keys(), from first_key()).
  uint64_t new_pos =
      job.resident ? (a.kv_len > store->written ? a.kv_len - store->written : 0) : a.keys();
  Cost qk = matmul(fabric, a.head_dim, a.keys(), vectors, inst, new_pos, 0);
  Cost pv = matmul(fabric, a.keys(), a.head_dim, vectors, inst, 0, new_pos);
  uint64_t rounds = job.resident ? 1 : ceil_div(qk.arrays + pv.arrays, available(job.exec));
  stats_.rounds += rounds;
  if (job.resident) {
    for (uint64_t p = store->written; p < a.kv_len && p < store->writes_per_position.size(); ++p) {
      ++store->writes_per_position[p];
    }
    store->written = std::max(store->written, a.kv_len);
  } else {
    scratch_written(qk.cells_written + pv.cells_written);
  }
  // Softmax over every stored position (the arrays compute all of them).
  uint64_t e = checked_mul(checked_mul(a.q_len * a.heads, a.keys(), "scores"), a.batch, "scores");
  const auto& vu = cfg_.tile.vector_unit;
  uint64_t cycles =
      ceil_div(4 * e + 2 * e * vu.transcendental_cycles, uint64_t{vu.lanes} * job.exec.size());
  auto& n = fabric.counts().actions;
  const Actions& ids = fabric.ids();
  n[ids.vu_add] += 2 * e;
  n[ids.vu_exp] += e;
  n[ids.vu_mul] += 2 * e;
  n[ids.vu_div] += a.q_len * a.heads * a.batch;
  uint64_t softmax_ps = cycles * fabric.cycle_ps() / rounds;
  uint64_t round = std::max(qk.write_ps, pv.write_ps) + qk.mvm_ps + softmax_ps + pv.mvm_ps;
  Window in = job.kv_ready;
  for (const Window& w : job.q_ready) {
    in = in.merge(w);
  }
  return reserve(fabric, job.exec, in, round, rounds);
}

Window ArrayPolicy::kv_write(FabricServices& fabric, KvStore& s, const trace::AttentionShape& a,
                             const Window& arrived) {
  uint64_t inst = a.kv_heads * a.batch;
  Cost k = matmul(fabric, a.head_dim, a.kv_len, 0, inst, a.q_len, 0);
  Cost v = matmul(fabric, a.kv_len, a.head_dim, 0, inst, 0, a.q_len);
  Window done = reserve(fabric, s.tiles, arrived, std::max(k.write_ps, v.write_ps), 1);
  uint64_t first_new = a.kv_len > a.q_len ? a.kv_len - a.q_len : 0;
  for (uint64_t p = first_new; p < a.kv_len && p < s.writes_per_position.size(); ++p) {
    ++s.writes_per_position[p];
  }
  return done;
}

Window ArrayPolicy::batched_matmul(FabricServices& fabric, const BatchedJob& job) {
  const trace::MatmulShape& mm = *job.shape;
  Cost c = matmul(fabric, mm.k, mm.n, mm.m, mm.batch, mm.n, 0);
  uint64_t rounds = ceil_div(c.arrays, available(job.exec));
  scratch_written(c.cells_written);
  stats_.rounds += rounds;
  return reserve(fabric, job.exec, job.in, c.write_ps + c.mvm_ps, rounds);
}

}  // namespace cimsim::cim
