// Timing and action counts of bit-serial matrix-vector multiplications on a PE's crossbars.
//
// Modelled (ISAAC, Shafiee et al. ISCA 2016, Sec. III-IV): inputs enter bit-serially,
// dac.bits per step; the rows of a crossbar are activated in groups of rows_at_once (the ADC
// resolution limits how many currents may add up on a column); each step (input slice x row
// group) is a crossbar read (read_latency_ns) into the sample-and-holds, then the PE's ADCs
// convert every used column, the ADCs multiplexed over the columns (and over crossbars when a
// PE has fewer ADCs than crossbars); shift-and-add merges each conversion into the output.
// Read and convert overlap through the sample-and-holds (a two-stage pipeline), so a run of
// N steps takes N x max(read, convert) + min(read, convert) + crossbar.extra_latency_ns.
// All crossbars of a PE step in lockstep; a digital readout (SRAM CIM adder tree) has no
// convert stage.
//
// A whole run of steps is one closed form (the fast path the fabric uses); step_by_step()
// walks the steps one at a time as an independent reference, and a test proves they agree.
// The ADC's conversion rate comes from its component model (adc.hpp).
// Left out: data-dependent effects (zero skipping, early termination), analog errors.
#pragma once

#include <cstdint>
#include <vector>

#include "cimsim/cim/config.hpp"
#include "cimsim/cim/mvm_pipeline.hpp"

namespace cimsim::cim {

// The used region of one crossbar.
struct XbarUse {
  uint32_t rows = 0;
  uint32_t cols = 0;
};

// What one PE holds of a weight, summarised for the closed form.
struct PeLoad {
  uint32_t crossbars = 0;  // active crossbars
  uint32_t max_rows = 0;
  uint32_t max_cols = 0;
  uint64_t sum_rows = 0;
  uint64_t sum_cols = 0;
  uint64_t sum_col_groups = 0;  // sum over crossbars of cols x row groups
  void add(const XbarUse& x, uint32_t rows_at_once);
};

struct MvmCounts {  // per input vector
  uint64_t dac_conversions = 0;
  uint64_t row_reads = 0;  // rows driven, summed over steps
  uint64_t samples = 0;    // sample-and-hold captures
  uint64_t adc_conversions = 0;
  uint64_t shift_adds = 0;
  uint64_t adder_tree = 0;  // digital readout: column results per step
  MvmCounts& operator+=(const MvmCounts& o);
  MvmCounts scaled(uint64_t n) const;
  bool operator==(const MvmCounts& o) const;
};

struct MvmTiming {
  uint64_t step_ps = 0;  // one (input slice, row group) step
  uint64_t fill_ps = 0;  // pipeline fill and drain, once per run
  uint32_t steps_per_vector = 0;
  // A run of `vectors` back-to-back input vectors.
  uint64_t run_ps(uint64_t vectors) const;
  uint64_t per_vector_ps() const { return uint64_t{steps_per_vector} * step_ps; }
};

class MvmModel {
 public:
  MvmModel(const CimConfig& config, uint32_t input_bits);

  uint32_t input_slices() const { return slices_; }
  uint32_t row_groups(uint32_t rows) const;
  uint64_t read_ps() const { return read_ps_; }
  uint64_t convert_ps(const PeLoad& pe) const;
  MvmTiming timing(const PeLoad& pe) const;
  MvmCounts counts(const PeLoad& pe) const;  // per input vector
  // The PE's stages for the event walk (mvm_pipeline.hpp): the input and output registers
  // hold as many vectors of in_bytes / out_bytes (at the PE) as their capacities allow (at
  // least one); filling and draining them is the tile's bus transfer, which the tile charges
  // (tile.cpp), so both are 0 here. The closed form timing() is this walk (tested).
  MvmStages stages(const PeLoad& pe, uint64_t in_bytes, uint64_t out_bytes) const;

  // Reference walk over every step of `vectors` input vectors: returns the completion time
  // and the counts, computed without the closed form.
  struct Walk {
    uint64_t time_ps = 0;
    MvmCounts counts;
  };
  Walk step_by_step(const std::vector<XbarUse>& xbars, uint64_t vectors) const;

 private:
  const CimConfig& c_;
  uint32_t slices_ = 1;
  uint32_t rows_at_once_ = 1;
  uint64_t read_ps_ = 0;
  uint64_t extra_ps_ = 0;
  double adc_rate_gsps_ = 0;  // conversions per ns of one ADC (the ADC model's)
};

// Picoseconds of a duration in nanoseconds (rounded to the nearest ps).
uint64_t ns_to_ps(double ns);

}  // namespace cimsim::cim
