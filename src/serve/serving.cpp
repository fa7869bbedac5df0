#include "cimsim/serve/serving.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "cimsim/common/error.hpp"

namespace cimsim::serve {
namespace {

// Applies a finished iteration ending at `now` to the sequences.
void apply(const Iteration& it, ServeState& state, ServeResult& result) {
  for (const auto& item : it.items) {
    if (item.padding) {
      result.padding_tokens += item.q_tokens;
      result.decode_tokens += item.q_tokens;
      continue;
    }
    Sequence& s = state.seqs[item.seq];
    s.cached += item.q_tokens;
    (item.prefill ? result.prefill_tokens : result.decode_tokens) += item.q_tokens;
    if (!item.emits_token) continue;
    ++s.generated;
    if (s.generated == 1) s.first_token_s = state.now_s;
    if (s.generated == s.request.output_tokens) {
      s.finish_s = state.now_s;
      s.state = SeqState::finished;
      state.kv.give_back(s.blocks);
      s.blocks = 0;
      state.running.erase(std::find(state.running.begin(), state.running.end(), item.seq));
    }
  }
}

Json summary(const std::vector<double>& values) {
  double sum = 0, max = 0;
  for (double v : values) {
    sum += v;
    max = std::max(max, v);
  }
  return Json{{"mean", values.empty() ? 0.0 : sum / static_cast<double>(values.size())},
              {"p50", percentile(values, 50)},
              {"p90", percentile(values, 90)},
              {"p99", percentile(values, 99)},
              {"max", max},
              {"count", values.size()}};
}

}  // namespace

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  double rank = p / 100.0 * static_cast<double>(values.size() - 1);
  auto lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (rank - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

ServeResult run_serving(const std::vector<Request>& requests, const ServeSettings& settings,
                        IterationEngine& engine) {
  ServeState state(KvBlockPool(settings.kv_capacity_blocks, settings.block_tokens));
  for (const auto& r : requests) {
    uint64_t blocks = state.kv.blocks_for(r.prompt_tokens + r.output_tokens);
    if (blocks > state.kv.capacity_blocks()) {
      throw InputError("request " + std::to_string(r.id),
                       "needs " + std::to_string(blocks) + " KV blocks of " +
                           std::to_string(settings.block_tokens) +
                           " tokens, expected at most the pool's " +
                           std::to_string(state.kv.capacity_blocks()));
    }
    Sequence s;
    s.request = r;
    state.seqs.push_back(s);
  }
  auto scheduler = settings.scheduler.make();
  ServeResult result;
  result.kv_capacity_blocks = settings.kv_capacity_blocks;
  result.block_tokens = settings.block_tokens;
  size_t arrived = 0;
  size_t finished = 0;
  while (finished < state.seqs.size()) {
    while (arrived < state.seqs.size() && state.seqs[arrived].request.arrival_s <= state.now_s) {
      state.seqs[arrived].state = SeqState::waiting;
      state.waiting.push_back(arrived++);
    }
    Iteration it = scheduler->next(state);
    if (it.empty()) {
      if (arrived == state.seqs.size()) {
        throw std::logic_error("serving: no iteration can run and no request is left to arrive");
      }
      double next = state.seqs[arrived].request.arrival_s;
      result.energy_j += engine.idle_power_w() * (next - state.now_s);
      state.now_s = next;
      continue;
    }
    IterationCost cost = engine.run(it, state);
    state.now_s += cost.seconds;
    result.busy_s += cost.seconds;
    result.energy_j += cost.energy_j;
    ++result.iterations;
    size_t running_before = state.running.size();
    apply(it, state, result);
    finished += running_before - state.running.size();
    result.timeline.push_back(
        OccupancySample{state.now_s, state.kv.used_blocks(), state.running.size(),
                        state.waiting.size()});
  }
  for (const auto& s : state.seqs) {
    result.preemptions += s.preemptions;
    result.requests.push_back(RequestRecord{s.request, s.first_token_s, s.finish_s, s.preemptions});
  }
  return result;
}

Json serving_report(const ServeResult& r) {
  std::vector<double> ttft, tpot, e2e;
  uint64_t output_tokens = 0;
  double first_arrival = r.requests.empty() ? 0 : r.requests.front().request.arrival_s;
  double last_finish = 0;
  for (const auto& q : r.requests) {
    ttft.push_back(q.ttft_s());
    e2e.push_back(q.e2e_s());
    if (q.request.output_tokens > 1) {
      tpot.push_back((q.e2e_s() - q.ttft_s()) / static_cast<double>(q.request.output_tokens - 1));
    }
    output_tokens += q.request.output_tokens;
    first_arrival = std::min(first_arrival, q.request.arrival_s);
    last_finish = std::max(last_finish, q.finish_s);
  }
  double makespan = last_finish - first_arrival;
  // Time-weighted KV occupancy: each sample holds from its time to the next one.
  double weighted = 0, max_fraction = 0;
  const double cap = static_cast<double>(std::max<uint64_t>(r.kv_capacity_blocks, 1));
  for (size_t i = 0; i + 1 < r.timeline.size(); ++i) {
    weighted += static_cast<double>(r.timeline[i].used_blocks) / cap *
                (r.timeline[i + 1].time_s - r.timeline[i].time_s);
  }
  // At most 512 points: the highest occupancy within each of 512 equal time windows.
  constexpr size_t kPoints = 512;
  Json timeline = Json::array();
  double t0 = r.timeline.empty() ? 0 : r.timeline.front().time_s;
  double span = r.timeline.empty() ? 0 : r.timeline.back().time_s - t0;
  size_t last_window = SIZE_MAX;
  for (const auto& s : r.timeline) {
    double fraction = static_cast<double>(s.used_blocks) / cap;
    max_fraction = std::max(max_fraction, fraction);
    size_t window = span > 0 ? std::min(kPoints - 1, static_cast<size_t>((s.time_s - t0) / span *
                                                                         kPoints))
                             : 0;
    if (window != last_window) {
      timeline.push_back(Json::array({s.time_s, fraction, s.running, s.waiting}));
      last_window = window;
    } else if (fraction > timeline.back()[1].get<double>()) {
      timeline.back() = Json::array({s.time_s, fraction, s.running, s.waiting});
    }
  }
  double occupied_span = r.timeline.size() > 1 ? r.timeline.back().time_s - t0 : 0;
  return Json{
      {"requests", r.requests.size()},
      {"output_tokens", output_tokens},
      {"latency_s", Json{{"ttft", summary(ttft)}, {"tpot", summary(tpot)}, {"e2e", summary(e2e)}}},
      {"throughput",
       Json{{"output_tokens_per_s", makespan > 0 ? static_cast<double>(output_tokens) / makespan
                                                 : 0.0},
            {"requests_per_s",
             makespan > 0 ? static_cast<double>(r.requests.size()) / makespan : 0.0},
            {"makespan_s", makespan},
            {"busy_fraction", makespan > 0 ? r.busy_s / makespan : 0.0}}},
      {"energy", Json{{"total_j", r.energy_j},
                      {"per_output_token_j",
                       output_tokens > 0 ? r.energy_j / static_cast<double>(output_tokens)
                                         : 0.0}}},
      {"iterations", Json{{"count", r.iterations},
                          {"prefill_tokens", r.prefill_tokens},
                          {"decode_tokens", r.decode_tokens},
                          {"padding_tokens", r.padding_tokens},
                          {"mean_tokens",
                           r.iterations > 0 ? static_cast<double>(r.prefill_tokens +
                                                                  r.decode_tokens) /
                                                  static_cast<double>(r.iterations)
                                            : 0.0},
                          {"preemptions", r.preemptions}}},
      {"kv_cache",
       Json{{"block_tokens", r.block_tokens},
            {"capacity_blocks", r.kv_capacity_blocks},
            {"mean_occupancy", occupied_span > 0 ? weighted / occupied_span : 0.0},
            {"max_occupancy", max_fraction},
            {"timeline_columns", Json::array({"time_s", "occupancy", "running", "waiting"})},
            {"timeline", timeline}}}};
}

}  // namespace cimsim::serve
