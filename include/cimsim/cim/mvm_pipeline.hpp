// The stages of one PE's bit-serial MVMs, walked event by event: the reference that says when
// the closed form of mvm.hpp holds and what a stall costs when it does not.
//
// Modelled, per PE (an ISAAC IMA, a PUMA MVMU), after ISAAC (Shafiee et al., ISCA 2016, Sec.
// III-IV: an input register feeds the crossbars one bit per row per 100 ns read, sample-and-
// holds latch the column currents, ADCs shared over the columns convert them, shift-and-add
// units merge each conversion into the output register):
//   input register (IR)  vector v is written once it has arrived and a slot is free
//                        (ir_fill_ps); the IR holds ir_slots vectors; a slot frees when the
//                        crossbars have handed the vector's last step to the sample-and-holds.
//   crossbar read        one step (input slice, row group) per read_ps, all crossbars of the PE
//                        in lockstep; the columns keep their currents until the sample-and-holds
//                        latch them, so a read that ends while the ADCs are still busy with the
//                        previous step holds the crossbar (a stall) and the next read waits.
//   S&H + ADCs           the sample-and-holds latch a step once the ADCs have finished the
//                        previous one; the busiest ADC converts its columns in convert_ps.
//   shift-and-add        merges each conversion into the output register as the ADC emits it
//                        (matched to the ADC's rate: cimsim has no separate shift-and-add rate),
//                        done shift_add_ps after the last conversion of a step.
//   output register (OR) a vector's partial sums need an OR slot: the ADCs do not start a
//                        vector's first step before one is free (so they, then the S&Hs, then
//                        the crossbar stall); a finished vector drains to the tile in drain_ps,
//                        one vector at a time, and frees its slot.
//   extra latency        crossbar.extra_latency_ns after the drain, pipelined (holds nothing).
// Each stage processes its items in order with one server; the walk is the exact departure
// recurrence of that tandem line with blocking (one event per step and stage), O(steps).
//
// The closed form (mvm.hpp: first result after min(read, convert) + extra, then one vector per
// steps x max(read, convert)) is this walk whenever the IR and OR stages cannot stall:
// closed_form_holds() says when (tests/cim/test_mvm_pipeline.cpp checks both ways).
// Left out: data-dependent timing (zero skipping), a separate shift-and-add throughput, the
// tile's bus and buffer (the tile charges them: tile.cpp), crossbars of one PE that step apart
// (walk_shared_adcs covers independent crossbars on one ADC bank, without their registers).
#pragma once

#include <cstdint>
#include <vector>

namespace cimsim::cim {

struct MvmStages {
  uint32_t steps_per_vector = 1;
  uint64_t ir_fill_ps = 0;  // one vector into the input register
  uint32_t ir_slots = 1;    // vectors the input register holds
  uint64_t read_ps = 0;     // one crossbar read
  uint64_t convert_ps = 0;  // the busiest ADC's conversions of one step
  uint64_t shift_add_ps = 0;
  uint64_t drain_ps = 0;  // output register to the tile, per vector
  uint32_t or_slots = 1;  // vectors the output register holds
  uint64_t extra_ps = 0;  // crossbar.extra_latency_ns, pipelined
};

// What one stage did over a walk: busy working, stalled holding a finished item because the
// next stage could not take it, starved waiting for its input.
struct StageUse {
  uint64_t busy_ps = 0;
  uint64_t stalled_ps = 0;
  uint64_t starved_ps = 0;
};

struct PipelineRun {
  std::vector<uint64_t> result_ps;  // per vector: its outputs ready in the tile
  uint64_t done_ps = 0;             // the last result
  StageUse input_register, crossbar, adc, output_register;
};

// Walks `arrive_ps.size()` vectors, vector v available to the IR at arrive_ps[v]
// (non-decreasing).
PipelineRun walk_pipeline(const MvmStages& s, const std::vector<uint64_t>& arrive_ps);

// True when, for inputs that are all available, every vector's result is the closed form's
// min(read, convert) + extra + (v + 1) x steps x max(read, convert): the IR and OR stages
// take no time, or they are double-buffered and no slower than a vector's steps.
bool closed_form_holds(const MvmStages& s);

// Crossbars that run independent MVMs (their own inputs, not in lockstep) and convert on one
// shared bank of ADCs: each reads a step, holds it until the ADCs latch it, and reads the
// next; the ADCs take the latched steps in the order they became ready (ties: the lower
// index), convert_ps each. The case the closed form cannot see (it assumes a PE's crossbars
// step together, and the fabric never shares ADCs across PEs or ops): the reference for what
// such sharing costs.
struct AdcClient {
  uint32_t steps = 1;
  uint64_t start_ps = 0;    // its first read starts
  uint64_t read_ps = 0;     // one crossbar read
  uint64_t convert_ps = 0;  // the shared ADCs' time for one of its steps
};
// Per client: when its last conversion ends.
std::vector<uint64_t> walk_shared_adcs(const std::vector<AdcClient>& clients);

}  // namespace cimsim::cim
