#include "cimsim/cim/dynamic.hpp"

#include <algorithm>

#include "cimsim/cim/mapper.hpp"
#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

const char* kv_level_name(KvLevel level) {
  switch (level) {
    case KvLevel::tile_buffer:
      return "tile_buffer";
    case KvLevel::global_buffer:
      return "global_buffer";
    case KvLevel::offchip:
      return "offchip";
    case KvLevel::sram_cim:
      return "sram_cim";
    case KvLevel::crossbar:
      return "crossbar";
  }
  return "?";
}

uint32_t KvStore::max_writes() const {
  uint32_t m = 0;
  for (uint32_t w : writes_per_position) {
    m = std::max(m, w);
  }
  return m;
}

namespace {

// The SRAM CIM arrays described in the crossbar vocabulary: 1-bit cells, bit-serial 1-bit
// inputs, one step per cycle, digital adder-tree readout.
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

}  // namespace

ArrayModel::ArrayModel(const CimConfig& c, DynamicMatmul policy, uint32_t value_bits,
                       uint32_t input_bits)
    : policy_(policy),
      cfg_(policy == DynamicMatmul::sram_cim ? sram_as_crossbar(c) : c),
      model_(cfg_, input_bits) {
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

double ArrayModel::row_write_ns() const {
  if (policy_ == DynamicMatmul::sram_cim) {
    return cfg_.sram_cim.write_ns_per_row;
  }
  const auto& p = cfg_.crossbar.program;
  return p.iterations * (p.pulse_ns + p.verify_ns);
}

AttentionWork attention_work(const trace::AttentionShape& a) {
  AttentionWork w;
  uint64_t pairs =
      checked_mul(checked_mul(a.pairs(), a.heads, "attention pairs"), a.batch, "attention pairs");
  w.macs = checked_mul(2 * pairs, a.head_dim, "attention MACs");  // QK^T and PV
  w.muls = pairs;                                                 // scale by 1/sqrt(head_dim)
  w.adds = 2 * pairs;                                             // running max and sum
  w.exps = pairs;
  w.divs = a.q_len * a.heads * a.batch;  // one reciprocal per row
  return w;
}

}  // namespace cimsim::cim
