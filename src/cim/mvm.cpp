#include "cimsim/cim/mvm.hpp"

#include <algorithm>
#include <cmath>

#include "cimsim/cim/adc.hpp"
#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {

uint64_t ns_to_ps(double ns) {
  return static_cast<uint64_t>(std::llround(ns * 1000.0));
}

void PeLoad::add(const XbarUse& x, uint32_t rows_at_once) {
  ++crossbars;
  max_rows = std::max(max_rows, x.rows);
  max_cols = std::max(max_cols, x.cols);
  sum_rows += x.rows;
  sum_cols += x.cols;
  sum_col_groups += uint64_t{x.cols} * ceil_div(x.rows, rows_at_once);
}

MvmCounts& MvmCounts::operator+=(const MvmCounts& o) {
  dac_conversions += o.dac_conversions;
  row_reads += o.row_reads;
  samples += o.samples;
  adc_conversions += o.adc_conversions;
  shift_adds += o.shift_adds;
  adder_tree += o.adder_tree;
  return *this;
}

MvmCounts MvmCounts::scaled(uint64_t n) const {
  const char* what = "MVM action count";
  return MvmCounts{checked_mul(dac_conversions, n, what), checked_mul(row_reads, n, what),
                   checked_mul(samples, n, what),         checked_mul(adc_conversions, n, what),
                   checked_mul(shift_adds, n, what),      checked_mul(adder_tree, n, what)};
}

bool MvmCounts::operator==(const MvmCounts& o) const {
  return dac_conversions == o.dac_conversions && row_reads == o.row_reads && samples == o.samples &&
         adc_conversions == o.adc_conversions && shift_adds == o.shift_adds &&
         adder_tree == o.adder_tree;
}

uint64_t MvmTiming::run_ps(uint64_t vectors) const {
  if (vectors == 0) {
    return 0;
  }
  uint64_t steps = checked_mul(vectors, steps_per_vector, "MVM steps");
  return checked_add(fill_ps, checked_mul(steps, step_ps, "MVM time"), "MVM time");
}

MvmModel::MvmModel(const CimConfig& config, uint32_t input_bits) : c_(config) {
  slices_ = static_cast<uint32_t>(ceil_div(input_bits, config.dac.bits));
  rows_at_once_ = config.rows_at_once();
  read_ps_ = ns_to_ps(config.crossbar.read_latency_ns);
  extra_ps_ = ns_to_ps(config.crossbar.extra_latency_ns);
  if (config.crossbar.readout == Readout::adc) {
    adc_rate_gsps_ = config.adc.model.make(config.adc)->rate_gsps();
  }
}

uint32_t MvmModel::row_groups(uint32_t rows) const {
  return static_cast<uint32_t>(ceil_div(rows, rows_at_once_));
}

uint64_t MvmModel::convert_ps(const PeLoad& pe) const {
  if (c_.crossbar.readout == Readout::digital || pe.crossbars == 0) {
    return 0;
  }
  // Conversions one ADC performs per step: with at least as many ADCs as crossbars each
  // crossbar has adcs/crossbars of them over its columns; with fewer, crossbar i goes to ADC
  // i mod adcs and the busiest ADC serves ceil(active/adcs) crossbars.
  uint64_t adcs = c_.pe.adcs, xbars = c_.pe.crossbars;
  uint64_t per_adc = adcs >= xbars ? ceil_div(pe.max_cols, adcs / xbars)
                                   : ceil_div(pe.crossbars, adcs) * pe.max_cols;
  return static_cast<uint64_t>(
      std::llround(static_cast<double>(per_adc) * 1000.0 / adc_rate_gsps_));
}

MvmTiming MvmModel::timing(const PeLoad& pe) const {
  MvmTiming t;
  uint64_t conv = convert_ps(pe);
  t.step_ps = std::max(read_ps_, conv);
  t.fill_ps = std::min(read_ps_, conv) + extra_ps_;
  t.steps_per_vector = slices_ * row_groups(pe.max_rows);
  return t;
}

MvmStages MvmModel::stages(const PeLoad& pe, uint64_t in_bytes, uint64_t out_bytes) const {
  auto slots = [](uint64_t capacity, uint64_t bytes) {
    return static_cast<uint32_t>(std::max<uint64_t>(1, bytes ? capacity / bytes : 1));
  };
  MvmStages s;
  s.steps_per_vector = slices_ * row_groups(pe.max_rows);
  s.ir_slots = slots(c_.pe.input_register.capacity_bytes, in_bytes);
  s.read_ps = read_ps_;
  s.convert_ps = convert_ps(pe);
  s.or_slots = slots(c_.pe.output_register.capacity_bytes, out_bytes);
  s.extra_ps = extra_ps_;
  return s;
}

MvmCounts MvmModel::counts(const PeLoad& pe) const {
  MvmCounts n;
  n.dac_conversions = pe.sum_rows * slices_;
  n.row_reads = pe.sum_rows * slices_;
  uint64_t outputs = pe.sum_col_groups * slices_;
  if (c_.crossbar.readout == Readout::adc) {
    n.samples = outputs;
    n.adc_conversions = outputs;
    n.shift_adds = outputs;
  } else {
    n.adder_tree = outputs;
  }
  return n;
}

MvmModel::Walk MvmModel::step_by_step(const std::vector<XbarUse>& xbars, uint64_t vectors) const {
  Walk w;
  if (xbars.empty() || vectors == 0) {
    return w;
  }
  uint32_t max_rows = 0;
  for (const auto& x : xbars) {
    max_rows = std::max(max_rows, x.rows);
  }
  uint32_t groups = row_groups(max_rows);
  bool adc = c_.crossbar.readout == Readout::adc;
  uint64_t adcs = c_.pe.adcs, nx = c_.pe.crossbars;
  double conv_one_ps = adc ? 1000.0 / adc_rate_gsps_ : 0.0;

  // Two-stage pipeline through the sample-and-holds: a read may start once the previous
  // read ended and its samples were taken over by the ADCs; a conversion starts once its
  // read ended and the previous conversion finished.
  uint64_t read_end = 0, conv_start = 0, conv_end = 0;
  for (uint64_t v = 0; v < vectors; ++v) {
    for (uint32_t s = 0; s < slices_; ++s) {
      for (uint32_t g = 0; g < groups; ++g) {
        uint64_t read_start = std::max(read_end, conv_start);
        read_end = read_start + read_ps_;
        // Convert: walk every ADC and the columns it serves in this step.
        std::vector<uint64_t> per_adc(adc ? adcs : 1, 0);
        for (size_t i = 0; i < xbars.size(); ++i) {
          const XbarUse& x = xbars[i];
          uint32_t first = g * rows_at_once_;
          if (first >= x.rows) {
            continue;  // this crossbar has no rows in group g
          }
          uint32_t rows_now = std::min(rows_at_once_, x.rows - first);
          w.counts.dac_conversions += rows_now;
          w.counts.row_reads += rows_now;
          for (uint32_t col = 0; col < x.cols; ++col) {
            if (adc) {
              uint64_t a = adcs >= nx ? i * (adcs / nx) + col % (adcs / nx) : i % adcs;
              ++per_adc[a];
              ++w.counts.samples;
              ++w.counts.adc_conversions;
              ++w.counts.shift_adds;
            } else {
              ++w.counts.adder_tree;
            }
          }
        }
        uint64_t busiest = *std::max_element(per_adc.begin(), per_adc.end());
        auto conv_ps =
            static_cast<uint64_t>(std::llround(static_cast<double>(busiest) * conv_one_ps));
        conv_start = std::max(read_end, conv_end);
        conv_end = conv_start + conv_ps;
      }
    }
  }
  w.time_ps = std::max(read_end, conv_end) + extra_ps_;
  return w;
}

}  // namespace cimsim::cim
