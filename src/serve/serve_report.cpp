// The report of `cimsim serve` (docs/report-format.md, "Serving report").
#include "cimsim/config/describe.hpp"
#include "cimsim/report/recorder.hpp"
#include "cimsim/serve/machine_serving.hpp"

namespace cimsim::serve {
namespace {

double at(const Json& j, std::initializer_list<const char*> path) {
  const Json* node = &j;
  for (const char* key : path) node = &(*node)[key];
  return node->get<double>();
}

// b / a, 0 when a is 0 (a machine that produced nothing).
double ratio(double b, double a) {
  return a != 0 ? b / a : 0.0;
}

}  // namespace

Json serving_run_report(const workload::Workload& w, const Json& requests_info,
                        const ServeConfig& cfg, const std::vector<MachineServing>& machines) {
  Json sections = Json::array();
  for (const auto& m : machines) {
    Json s = Json::object();
    s["name"] = m.machine["name"];
    s["type"] = m.machine["type"];
    if (m.machine.contains("budget")) s["budget"] = m.machine["budget"];
    if (m.machine.contains("node")) s["node"] = m.machine["node"];
    Json pool{{"block_tokens", m.result.block_tokens},
              {"capacity_blocks", m.result.kv_capacity_blocks},
              {"capacity_tokens", m.result.kv_capacity_blocks * m.result.block_tokens},
              {"bytes_per_token", m.kv_bytes_per_token}};
    pool["capacity_bytes"] =
        m.result.kv_capacity_blocks * m.result.block_tokens * m.kv_bytes_per_token;
    pool["source"] = m.kv_pool_source;
    if (m.kv_budget_bytes) pool["budget_bytes"] = *m.kv_budget_bytes;
    if (m.kv_pool_sequences != 0) pool["sequences"] = m.kv_pool_sequences;
    pool["placement"] = m.kv_placement;
    s["kv_pool"] = pool;
    s["static_power_w"] = m.static_power_w;
    s["reuse"] = Json{{"enabled", cfg.reuse},
                      {"bucket_tokens", cfg.reuse ? cfg.bucket_tokens : 0},
                      {"bucket_seqs", cfg.reuse ? cfg.bucket_seqs : 0},
                      {"steps_per_octave", cfg.reuse ? cfg.steps_per_octave : 0},
                      {"iterations", m.reuse.iterations},
                      {"simulated", m.reuse.simulated},
                      {"interpolated", m.reuse.interpolated}};
    s["serving"] = serving_report(m.result);
    s["config"] = m.machine["config"];
    sections.push_back(s);
  }
  Json comparison = Json::array();
  for (size_t i = 1; i < sections.size(); ++i) {
    const Json& a = sections[0]["serving"];
    const Json& b = sections[i]["serving"];
    comparison.push_back(Json{
        {"baseline", sections[0]["name"]},
        {"machine", sections[i]["name"]},
        {"throughput_ratio", ratio(at(b, {"throughput", "output_tokens_per_s"}),
                                   at(a, {"throughput", "output_tokens_per_s"}))},
        {"energy_per_token_ratio",
         ratio(at(b, {"energy", "per_output_token_j"}), at(a, {"energy", "per_output_token_j"}))},
        {"ttft_p50_ratio",
         ratio(at(b, {"latency_s", "ttft", "p50"}), at(a, {"latency_s", "ttft", "p50"}))},
        {"tpot_p50_ratio",
         ratio(at(b, {"latency_s", "tpot", "p50"}), at(a, {"latency_s", "tpot", "p50"}))},
        {"e2e_p99_ratio",
         ratio(at(b, {"latency_s", "e2e", "p99"}), at(a, {"latency_s", "e2e", "p99"}))}});
  }
  return Json{{"schema_version", report::kReportSchemaVersion},
              {"generator", std::string("cimsim ") + CIMSIM_VERSION},
              {"kind", "serving"},
              {"workload", workload::workload_json(w)},
              {"requests", requests_info},
              {"serve", config::to_json(cfg)},
              {"machines", sections},
              {"comparison", comparison}};
}

}  // namespace cimsim::serve
