#include "cimsim/cim/mvm_pipeline.hpp"

#include <algorithm>

#include "cimsim/common/checked_math.hpp"

namespace cimsim::cim {
namespace {

// A stage's record of the times it handed vectors on, for the slot rules of the next vector.
uint64_t nth_back(const std::vector<uint64_t>& times, uint64_t v, uint32_t slots) {
  return v >= slots ? times[v - slots] : 0;
}

}  // namespace

PipelineRun walk_pipeline(const MvmStages& s, const std::vector<uint64_t>& arrive_ps) {
  PipelineRun r;
  const uint64_t vectors = arrive_ps.size();
  r.result_ps.resize(vectors);
  // Per vector: when its IR slot was released (its last step left the crossbar) and when its
  // OR slot was released (drained).
  std::vector<uint64_t> ir_release(vectors), or_release(vectors);
  uint64_t ir_end = 0;
  uint64_t read_left = 0;  // the previous step left the crossbar (S&Hs latched it)
  uint64_t conv_end = 0;   // the ADCs finished the previous step
  uint64_t drain_end = 0;  // the OR finished draining the previous vector
  bool first_step = true;
  for (uint64_t v = 0; v < vectors; ++v) {
    // Input register: arrived, the write port free, a slot free.
    uint64_t ready = std::max(arrive_ps[v], ir_end);
    uint64_t ir_start = std::max(ready, nth_back(ir_release, v, s.ir_slots));
    r.input_register.stalled_ps += ir_start - ready;
    r.input_register.busy_ps += s.ir_fill_ps;
    ir_end = checked_add(ir_start, s.ir_fill_ps, "MVM pipeline time");
    uint64_t or_free = nth_back(or_release, v, s.or_slots);
    uint64_t sa_end = 0;
    for (uint32_t k = 0; k < s.steps_per_vector; ++k) {
      // Crossbar: its vector is in the IR and the previous step has left it.
      uint64_t read_ready = first_step ? ir_end : read_left;
      uint64_t read_start = k == 0 ? std::max(read_ready, ir_end) : read_ready;
      if (!first_step) {
        r.crossbar.starved_ps += read_start - read_left;
      }
      uint64_t read_end = checked_add(read_start, s.read_ps, "MVM pipeline time");
      // S&Hs + ADCs: the ADCs are done with the previous step and, for a vector's first step,
      // its partial sums have an OR slot.
      uint64_t adc_ready = std::max(read_end, conv_end);
      uint64_t conv_start = k == 0 ? std::max(adc_ready, or_free) : adc_ready;
      if (!first_step) {
        r.adc.starved_ps += read_end > conv_end ? read_end - conv_end : 0;
      }
      r.adc.stalled_ps += conv_start - adc_ready;
      r.crossbar.stalled_ps += conv_start - read_end;
      r.crossbar.busy_ps += s.read_ps;
      r.adc.busy_ps += s.convert_ps;
      read_left = conv_start;
      conv_end = checked_add(conv_start, s.convert_ps, "MVM pipeline time");
      sa_end = std::max(sa_end, conv_end + s.shift_add_ps);
      first_step = false;
    }
    ir_release[v] = read_left;
    // Output register: drains one vector at a time once its last step is merged.
    uint64_t drain_start = std::max(sa_end, drain_end);
    r.output_register.stalled_ps += drain_start - sa_end;
    r.output_register.busy_ps += s.drain_ps;
    drain_end = checked_add(drain_start, s.drain_ps, "MVM pipeline time");
    or_release[v] = drain_end;
    r.result_ps[v] = checked_add(drain_end, s.extra_ps, "MVM pipeline time");
  }
  r.done_ps = vectors ? r.result_ps.back() : 0;
  return r;
}

bool closed_form_holds(const MvmStages& s) {
  const uint64_t hi = std::max(s.read_ps, s.convert_ps), lo = std::min(s.read_ps, s.convert_ps);
  // From a vector's first read to the last step leaving the crossbar, at the earliest.
  const uint64_t lead = uint64_t{s.steps_per_vector - 1} * hi + lo;
  const uint64_t period = uint64_t{s.steps_per_vector} * hi;
  // IR: the next vector is written while this one is read.
  bool ir_ok = s.ir_fill_ps == 0 || (s.ir_slots >= 2 && s.ir_fill_ps <= lead);
  // OR: the previous vector is out of the way before the next first conversion; with one slot
  // only the gap a read-bound step leaves after its conversions hides it.
  uint64_t tail = s.shift_add_ps + s.drain_ps;
  uint64_t gap = s.read_ps > s.convert_ps ? s.read_ps - s.convert_ps : 0;
  bool or_ok =
      tail == 0 || (s.or_slots >= 2 ? tail <= period && s.drain_ps <= period : tail <= gap);
  return ir_ok && or_ok;
}

std::vector<uint64_t> walk_shared_adcs(const std::vector<AdcClient>& clients) {
  const char* what = "shared ADC time";
  std::vector<uint64_t> done(clients.size(), 0), ready(clients.size()), left(clients.size());
  for (size_t i = 0; i < clients.size(); ++i) {
    ready[i] = checked_add(clients[i].start_ps, clients[i].read_ps, what);
    left[i] = clients[i].steps;
  }
  uint64_t adc_free = 0;
  for (;;) {
    // The step that became ready first; one pass per conversion (a handful of clients).
    size_t next = clients.size();
    for (size_t i = 0; i < clients.size(); ++i) {
      if (left[i] > 0 && (next == clients.size() || ready[i] < ready[next])) {
        next = i;
      }
    }
    if (next == clients.size()) {
      return done;
    }
    const AdcClient& c = clients[next];
    const uint64_t latched = std::max(ready[next], adc_free);
    adc_free = checked_add(latched, c.convert_ps, what);
    done[next] = adc_free;
    // The crossbar is free again once its step is latched: it reads the next one.
    ready[next] = checked_add(latched, c.read_ps, what);
    --left[next];
  }
}

}  // namespace cimsim::cim
