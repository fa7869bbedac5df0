// The memtrace report and its text summary (memtrace.hpp).
#include <cstdio>

#include "cimsim/config/describe.hpp"
#include "cimsim/memory/energy.hpp"
#include "cimsim/memory/memtrace.hpp"
#include "cimsim/memory/offchip.hpp"

namespace cimsim::memory {

namespace {

Json latency_json(const LatencyHistogram& h) {
  return Json{{"count", h.count()},
              {"mean", h.mean()},
              {"p50", h.percentile(0.5)},
              {"p99", h.percentile(0.99)},
              {"max", h.max()}};
}

}  // namespace

Json memtrace_report(const MemoryConfig& config, const std::string& trace_path,
                     const ReplayResult& r, bool timing_checked) {
  const MemoryStats& s = r.stats;
  const double clock_ghz = config.organisation.clock_ghz;
  const double seconds = static_cast<double>(r.last_completion) / (clock_ghz * 1e9);
  const uint64_t bytes = (s.read_bursts + s.write_bursts) * config.burst_bytes();
  const double bandwidth = seconds > 0 ? static_cast<double>(bytes) / seconds : 0.0;

  // Energy the way every cimsim report applies it: counts x table + static power x time.
  stats::Registry registry;
  EnergyTable table(config);
  MemoryActions actions = declare_memory(registry, kOffChipName, table, config.units());
  stats::Counts counts;
  counts.reset(registry);
  add_memory_counts(actions, s, config.burst_bytes(), counts);
  Json action_json = Json::object();
  double dynamic_j = 0;
  for (size_t i = 0; i < registry.actions().size(); ++i) {
    const auto& a = registry.actions()[i];
    double e = static_cast<double>(counts.actions[i]) * a.energy_pj * 1e-12;
    dynamic_j += e;
    action_json[a.action] =
        Json{{"count", counts.actions[i]}, {"energy_pj_each", a.energy_pj}, {"energy_j", e}};
  }
  double static_j = table.static_power_w() * seconds;
  double total_j = dynamic_j + static_j;

  Json commands = Json::object();
  for (int c = 0; c < kCommandKinds; ++c) {
    commands[command_name(static_cast<Command>(c))] = s.commands[c];
  }
  Json report;
  report["schema_version"] = kMemtraceSchemaVersion;
  report["kind"] = "memtrace";
  report["memory"] = Json{{"name", config.name}, {"config", config::to_json(config)}};
  report["trace"] = Json{{"file", trace_path},
                         {"requests", r.requests},
                         {"reads", s.read_requests},
                         {"writes", s.write_requests}};
  report["results"] = Json{{"last_completion_cycle", r.last_completion},
                           {"seconds", seconds},
                           {"bytes", bytes},
                           {"bandwidth_bytes_per_s", bandwidth},
                           {"peak_bandwidth_bytes_per_s", config.peak_bandwidth_bytes_per_s()},
                           {"fraction_of_peak", bandwidth / config.peak_bandwidth_bytes_per_s()},
                           {"read_latency_cycles", latency_json(s.read_latency)},
                           {"write_latency_cycles", latency_json(s.write_latency)},
                           {"row_buffer", Json{{"hits", s.row_hits},
                                               {"misses", s.row_misses},
                                               {"conflicts", s.row_conflicts},
                                               {"hit_rate", s.row_hit_rate()}}},
                           {"commands", commands},
                           {"active_standby_cycles", s.active_cycles}};
  report["energy"] = Json{{"energy_j", total_j},
                          {"dynamic_energy_j", dynamic_j},
                          {"static_energy_j", static_j},
                          {"static_power_w", table.static_power_w()},
                          {"pj_per_bit", bytes > 0 ? total_j * 1e12 / (8.0 * bytes) : 0.0},
                          {"source", table.source()},
                          {"actions", action_json}};
  Json check{{"enabled", timing_checked}};
  if (timing_checked) {
    check["commands_checked"] = r.commands_checked;
    check["violations"] = r.violation_count;
    Json first = Json::array();
    for (size_t i = 0; i < r.violations.size() && i < 20; ++i) {
      first.push_back(r.violations[i].message());
    }
    check["first_violations"] = first;
  }
  report["timing_check"] = check;
  return report;
}

namespace {
std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}
}  // namespace

std::string memtrace_summary(const Json& rep) {
  const Json& res = rep["results"];
  const Json& rl = res["read_latency_cycles"];
  const Json& rb = res["row_buffer"];
  const Json& en = rep["energy"];
  double clock = rep["memory"]["config"]["organisation"]["clock_ghz"].get<double>();
  std::string s;
  s += "memtrace: " + rep["memory"]["name"].get<std::string>() + ", " +
       rep["trace"]["file"].get<std::string>() + ": " +
       std::to_string(rep["trace"]["requests"].get<uint64_t>()) + " requests (" +
       std::to_string(rep["trace"]["reads"].get<uint64_t>()) + " reads, " +
       std::to_string(rep["trace"]["writes"].get<uint64_t>()) + " writes)\n";
  s += "  last completion   cycle " + std::to_string(res["last_completion_cycle"].get<uint64_t>()) +
       " (" + fmt("%.6g", res["seconds"].get<double>() * 1e6) + " us at " + fmt("%g", clock) +
       " GHz)\n";
  s += "  bandwidth         " + fmt("%.4g", res["bandwidth_bytes_per_s"].get<double>() / 1e9) +
       " GB/s (" + fmt("%.1f", 100 * res["fraction_of_peak"].get<double>()) + " % of peak " +
       fmt("%.4g", res["peak_bandwidth_bytes_per_s"].get<double>() / 1e9) + " GB/s)\n";
  s += "  read latency      mean " + fmt("%.1f", rl["mean"].get<double>()) + ", p50 " +
       std::to_string(rl["p50"].get<uint64_t>()) + ", p99 " +
       std::to_string(rl["p99"].get<uint64_t>()) + ", max " +
       std::to_string(rl["max"].get<uint64_t>()) + " cycles\n";
  s += "  row buffer        " + fmt("%.1f", 100 * rb["hit_rate"].get<double>()) + " % hits (" +
       std::to_string(rb["hits"].get<uint64_t>()) + " hits, " +
       std::to_string(rb["misses"].get<uint64_t>()) + " misses, " +
       std::to_string(rb["conflicts"].get<uint64_t>()) + " conflicts)\n";
  s += "  commands         ";
  for (const auto& [name, n] : res["commands"].items()) {
    s += " " + name + " " + std::to_string(n.get<uint64_t>());
  }
  s += "\n  energy            " + fmt("%.4g", en["energy_j"].get<double>() * 1e3) +
       " mJ (dynamic " + fmt("%.4g", en["dynamic_energy_j"].get<double>() * 1e3) +
       " mJ, background " + fmt("%.4g", en["static_energy_j"].get<double>() * 1e3) + " mJ), " +
       fmt("%.3g", en["pj_per_bit"].get<double>()) + " pJ/bit\n";
  const Json& tc = rep["timing_check"];
  if (tc["enabled"].get<bool>()) {
    s += "  timing check      " + std::to_string(tc["commands_checked"].get<uint64_t>()) +
         " commands, " + std::to_string(tc["violations"].get<uint64_t>()) + " violations\n";
    for (const auto& v : tc["first_violations"]) {
      s += "    " + v.get<std::string>() + "\n";
    }
  } else {
    s += "  timing check      off (--check-timing)\n";
  }
  return s;
}

}  // namespace cimsim::memory
