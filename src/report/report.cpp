#include "cimsim/report/report.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "cimsim/common/atomic_file.hpp"
#include "cimsim/report/recorder.hpp"

namespace cimsim::report {
namespace {

double number_at(const Json& j, const char* a, const char* b) {
  if (!j.contains(a) || !j[a].contains(b)) return 0;
  return j[a][b].get<double>();
}

double bytes_total(const Json& machine, const char* link, const char* dir) {
  const Json& bytes = machine["totals"]["bytes"];
  if (!bytes.contains(link)) return 0;
  return bytes[link][dir].get<double>();
}

// Off-chip traffic is what the mission is about: the "hbm" link on both machines.
double offchip_bytes(const Json& machine) {
  return bytes_total(machine, "hbm", "read") + bytes_total(machine, "hbm", "write");
}

// Tokens the run produced (one per phase: the prefill's or an ENTP pass's first token, then
// one per decode step).
double tokens(const Json& machine) {
  return number_at(machine, "latency", "tokens_per_s") * number_at(machine, "totals", "seconds");
}

// A budget figure of a machine, or 0 when it has none (a machine type that does not report
// its budget yet).
double budget_at(const Json& machine, const char* key) {
  if (!machine.contains("budget") || !machine["budget"].contains(key) ||
      !machine["budget"][key].is_number()) {
    return 0;
  }
  return machine["budget"][key].get<double>();
}

Json ratio_or_null(double num, double den) {
  return den > 0 && num > 0 ? Json(num / den) : Json(nullptr);
}

// Throughput and energy normalised by each machine's budget, and, when the machine was sized
// to a budget, the speed-up and energy ratio at that iso-area or iso-power point.
void add_normalised(Json& row, const Json& base, const Json& m, double speedup, double energy) {
  const double bt = tokens(base), mt = tokens(m);
  const double bs = number_at(base, "totals", "seconds"), ms = number_at(m, "totals", "seconds");
  const double be = number_at(base, "totals", "energy_j"), me = number_at(m, "totals", "energy_j");
  auto per = [](double t, double s, double area) {
    return s > 0 && area > 0 ? Json(t / s / area) : Json(nullptr);
  };
  const double ba = budget_at(base, "area_mm2"), ma = budget_at(m, "area_mm2");
  row["tokens_per_s_per_mm2"] = Json{{"baseline", per(bt, bs, ba)}, {"machine", per(mt, ms, ma)}};
  row["tokens_per_j"] =
      Json{{"baseline", ratio_or_null(bt, be)}, {"machine", ratio_or_null(mt, me)}};
  row["throughput_per_area_ratio"] = ba > 0 && ma > 0 && bs > 0 && ms > 0
                                         ? ratio_or_null(mt / ms / ma, bt / bs / ba)
                                         : Json(nullptr);
  row["tokens_per_j_ratio"] = be > 0 && me > 0 ? ratio_or_null(mt / me, bt / be) : Json(nullptr);
  if (m.contains("budget") && m["budget"].contains("sized")) {
    const Json& sized = m["budget"]["sized"];
    const std::string mode = sized["mode"];
    const bool area = mode == "iso_area";
    const double baseline_figure = budget_at(base, area ? "area_mm2" : "peak_power_w");
    Json iso{{area ? "budget_mm2" : "budget_w", sized["budget"]},
             {area ? "baseline_area_mm2" : "baseline_peak_power_w",
              baseline_figure > 0 ? Json(baseline_figure) : Json(nullptr)},
             {area ? "machine_area_mm2" : "machine_peak_power_w",
              budget_at(m, area ? "area_mm2" : "peak_power_w")},
             {"speedup", speedup},
             {"energy_ratio", energy}};
    row[mode] = iso;
  }
}

Json comparison(const std::vector<Json>& machines) {
  Json out = Json::array();
  if (machines.size() < 2) return out;
  const Json& base = machines.front();
  double base_s = number_at(base, "totals", "seconds");
  double base_j = number_at(base, "totals", "energy_j");
  double base_b = offchip_bytes(base);
  for (size_t i = 1; i < machines.size(); ++i) {
    const Json& m = machines[i];
    double s = number_at(m, "totals", "seconds");
    double e = number_at(m, "totals", "energy_j");
    double b = offchip_bytes(m);
    double speedup = s > 0 ? base_s / s : 0.0;
    double energy = base_j > 0 ? e / base_j : 0.0;
    Json row{{"baseline", base["name"]},
             {"machine", m["name"]},
             {"speedup", speedup},
             {"energy_ratio", energy},
             {"offchip_bytes_ratio", base_b > 0 ? b / base_b : 0.0}};
    add_normalised(row, base, m, speedup, energy);
    out.push_back(row);
  }
  return out;
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string si(double v, const char* unit) {
  const char* prefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  int i = 0;
  double a = v;
  while (a >= 1000 && i < 6) {
    a /= 1000;
    ++i;
  }
  if (v > 0 && v < 1) {
    const char* small[] = {"", "m", "u", "n", "p"};
    int j = 0;
    while (a < 1 && j < 4) {
      a *= 1000;
      ++j;
    }
    return fmt("%.3g ", a) + small[j] + unit;
  }
  return fmt("%.3g ", a) + prefixes[i] + unit;
}

}  // namespace

Json make_report(const trace::TraceHeader& header, const std::vector<Json>& machines) {
  Json workload = header.workload;
  Json trace{{"format_version", header.format_version},
             {"model", header.model},
             {"mode", header.mode},
             {"batch", header.batch},
             {"prompt", header.prompt},
             {"generate", header.generate},
             {"ops", header.op_count}};
  return Json{{"schema_version", kReportSchemaVersion},
              {"generator", std::string("cimsim ") + CIMSIM_VERSION},
              {"workload", workload},
              {"trace", trace},
              {"machines", machines},
              {"comparison", comparison(machines)}};
}

std::string summary_text(const Json& report) {
  std::ostringstream out;
  const Json& t = report["trace"];
  out << "workload " << t["model"].get<std::string>() << ", mode " << t["mode"].get<std::string>()
      << ", prompt " << t["prompt"].get<uint64_t>() << ", generate "
      << t["generate"].get<uint64_t>() << ", batch " << t["batch"].get<uint64_t>() << " ("
      << t["ops"].get<uint64_t>() << " ops)\n";
  for (const Json& m : report["machines"]) {
    const Json& tot = m["totals"];
    out << "\n" << m["name"].get<std::string>() << " (" << m["type"].get<std::string>() << ")\n";
    out << "  time " << si(tot["seconds"].get<double>(), "s") << " ("
        << tot["cycles"].get<uint64_t>() << " cycles at "
        << fmt("%.3g", m["clock_ghz"].get<double>()) << " GHz), energy "
        << si(tot["energy_j"].get<double>(), "J") << ", off-chip " << si(offchip_bytes(m), "B")
        << "\n";
    if (m.contains("metrics") && m["metrics"].contains("node")) {
      const Json& n = m["metrics"]["node"];
      const std::string link = n["link"]["name"].get<std::string>();
      out << "  node: " << n["devices_used"].get<uint64_t>() << " of "
          << n["devices"].get<uint64_t>() << " devices (tensor parallel "
          << n["tensor_parallel"].get<uint64_t>() << " x pipeline "
          << n["pipeline_parallel"].get<uint64_t>() << "), " << link << " "
          << si(bytes_total(m, link.c_str(), "write"), "B") << " sent\n";
    }
    if (m.contains("budget")) {
      const Json& bu = m["budget"];
      out << "  budget " << fmt("%.4g mm2", bu["area_mm2"].get<double>());
      if (bu["process_nm"].is_number())
        out << " at " << fmt("%.3g nm", bu["process_nm"].get<double>());
      out << ", peak " << si(bu["peak_power_w"].get<double>(), "W");
      if (bu["average_power_w"].is_number()) {
        out << ", average " << si(bu["average_power_w"].get<double>(), "W");
      }
      out << " (static " << si(bu["static_power_w"].get<double>(), "W") << ")\n";
    }
    const Json& lat = m["latency"];
    if (lat.contains("time_to_first_token_s")) {
      out << "  first token " << si(lat["time_to_first_token_s"].get<double>(), "s");
      if (lat.contains("time_per_output_token_s")) {
        out << ", then " << si(lat["time_per_output_token_s"].get<double>(), "s") << " per token";
      }
      out << "\n";
    }
    std::vector<std::pair<double, std::string>> energy;
    for (const Json& c : m["components"]) {
      energy.emplace_back(c["energy_j"].get<double>(), c["name"].get<std::string>());
    }
    std::sort(energy.begin(), energy.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    double total = tot["energy_j"].get<double>();
    out << "  energy by component:";
    for (size_t i = 0; i < energy.size() && i < 4; ++i) {
      out << (i ? ", " : " ") << energy[i].second << " "
          << fmt("%.1f%%", total > 0 ? 100.0 * energy[i].first / total : 0.0);
    }
    out << "\n";
    std::vector<std::pair<double, std::string>> time;
    for (const Json& k : m["op_kinds"]) {
      time.emplace_back(k["busy_seconds"].get<double>(), k["kind"].get<std::string>());
    }
    std::sort(time.begin(), time.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    double busy = 0;
    for (const auto& [s, n] : time) busy += s;
    out << "  time by op kind:";
    for (size_t i = 0; i < time.size() && i < 4; ++i) {
      out << (i ? ", " : " ") << time[i].second << " "
          << fmt("%.1f%%", busy > 0 ? 100.0 * time[i].first / busy : 0.0);
    }
    out << "\n";
  }
  for (const Json& c : report["comparison"]) {
    out << "\n"
        << c["machine"].get<std::string>() << " vs " << c["baseline"].get<std::string>()
        << ": speed-up " << fmt("%.3gx", c["speedup"].get<double>()) << ", energy "
        << fmt("%.3gx", c["energy_ratio"].get<double>()) << ", off-chip bytes "
        << fmt("%.3gx", c["offchip_bytes_ratio"].get<double>()) << "\n";
    std::string norm;
    if (c["throughput_per_area_ratio"].is_number()) {
      norm = "throughput per mm2 " + fmt("%.3gx", c["throughput_per_area_ratio"].get<double>());
    }
    if (c["tokens_per_j_ratio"].is_number()) {
      norm += (norm.empty() ? "" : ", ") + std::string("tokens per joule ") +
              fmt("%.3gx", c["tokens_per_j_ratio"].get<double>());
    }
    if (!norm.empty()) out << "  " << norm << "\n";
    for (const char* mode : {"iso_area", "iso_power"}) {
      if (c.contains(mode)) {
        out << "  at " << (mode[4] == 'a' ? "iso-area" : "iso-power") << ": speed-up "
            << fmt("%.3gx", c[mode]["speedup"].get<double>()) << ", energy "
            << fmt("%.3gx", c[mode]["energy_ratio"].get<double>()) << "\n";
      }
    }
  }
  return out.str();
}

void write_report(const std::string& path, const Json& report) {
  write_file_atomic(path, [&](std::ostream& out) { out << report.dump(1) << "\n"; });
}

}  // namespace cimsim::report
