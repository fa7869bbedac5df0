// cimsim serve: a request trace (read or generated) served by a batching policy on one or
// more machines, side by side (docs/serving.md).
#include <iomanip>
#include <ostream>
#include <sstream>

#include "cimsim/cli/command.hpp"
#include "cimsim/common/atomic_file.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/config/describe.hpp"
#include "cimsim/serve/machine_serving.hpp"
#include "cimsim/workload/workload.hpp"

namespace cimsim::cli {
namespace {

config::Assignment shorthand(const std::string& path, const std::string& value,
                             const std::string& text) {
  config::Assignment a;
  a.root = "serve";
  a.path = path;
  a.value = value;
  a.text = text;
  return a;
}

// "layers of the pool per level" and, for a sized fabric, its chips.
std::string kv_where(const Json& placement) {
  std::ostringstream s;
  const char* sep = "";
  for (const auto& [level, layers] : placement["layers"].items()) {
    s << sep << layers.get<uint64_t>() << " layers " << level;
    sep = ", ";
  }
  if (placement.contains("chips")) {
    s << "; " << placement["chips"].get<uint64_t>() << " chips ("
      << placement["chips_for_weights"].get<uint64_t>() << " for the weights, "
      << placement["chips_for_kv_cache"].get<uint64_t>() << " for the KV pool)";
  }
  return s.str();
}

std::string summary(const Json& report) {
  std::ostringstream s;
  s << std::setprecision(4);
  s << "serving " << report["requests"]["count"].get<uint64_t>() << " requests of "
    << report["workload"]["name"].get<std::string>() << " (" << report["serve"]["scheduler"].dump()
    << ")\n";
  for (const auto& m : report["machines"]) {
    const Json& r = m["serving"];
    const Json& l = r["latency_s"];
    s << "\n"
      << m["name"].get<std::string>() << " (" << m["type"].get<std::string>() << ")\n"
      << "  throughput      " << r["throughput"]["output_tokens_per_s"].get<double>()
      << " output tokens/s, makespan " << r["throughput"]["makespan_s"].get<double>() << " s\n";
    for (const char* k : {"ttft", "tpot", "e2e"}) {
      s << "  " << std::left << std::setw(16) << (std::string(k) + " s") << "p50 "
        << l[k]["p50"].get<double>() << "  p90 " << l[k]["p90"].get<double>() << "  p99 "
        << l[k]["p99"].get<double>() << "\n";
    }
    s << "  energy          " << r["energy"]["per_output_token_j"].get<double>()
      << " J per output token\n"
      << "  KV pool         " << m["kv_pool"]["capacity_blocks"].get<uint64_t>() << " blocks ("
      << m["kv_pool"]["capacity_bytes"].get<uint64_t>() << " bytes, from "
      << m["kv_pool"]["source"].get<std::string>() << "), mean occupancy "
      << r["kv_cache"]["mean_occupancy"].get<double>() << "\n"
      << "  KV placement    " << kv_where(m["kv_pool"]["placement"]) << "\n"
      << "  iterations      " << m["reuse"]["iterations"].get<uint64_t>() << " ("
      << m["reuse"]["simulated"].get<uint64_t>() << " shapes simulated)\n";
  }
  return s.str();
}

}  // namespace

Command cmd_serve() {
  Command c;
  c.name = "serve";
  c.summary = "serve a request trace with a batching policy on one or more machines";
  c.usage =
      "cimsim serve [--machine NAME|FILE ...] [--workload NAME|FILE] "
      "(--requests FILE.jsonl | --generate JSON) [--scheduler NAME] [--set PATH=VALUE ...] "
      "[--out FILE] [--quiet]";
  c.add_options = [](po::options_description& d) {
    add_machine_options(d);
    d.add_options()("workload,w", po::value<std::string>(),
                    "workload preset (cimsim info) or config file (default gpt2-small)")(
        "requests", po::value<std::string>(),
        "request trace, JSON Lines: {\"arrival_s\", \"prompt_tokens\", \"output_tokens\"}")(
        "generate", po::value<std::string>(),
        "generate requests: JSON of serve.generator, e.g. '{\"count\": 100, \"rate_per_s\": 2}'")(
        "scheduler", po::value<std::string>(),
        "batching policy: static, continuous, chunked (sets serve.scheduler)")(
        "no-reuse", po::bool_switch(),
        "simulate every iteration at its exact shape (serve.reuse=false)")(
        "no-fast-forward", po::bool_switch(),
        "simulate every op in full, even identical repeated work");
    add_set_option(d);
    add_output_options(d);
  };
  c.run = [](const po::variables_map& vm, std::ostream& out) {
    std::vector<config::Assignment> sets;
    if (vm.count("scheduler")) {
      std::string name = vm["scheduler"].as<std::string>();
      sets.push_back(shorthand("scheduler", Json(name).dump(), "--scheduler " + name));
    }
    if (vm["no-reuse"].as<bool>()) sets.push_back(shorthand("reuse", "false", "--no-reuse"));
    for (auto& a : assignments(vm, true)) sets.push_back(std::move(a));
    if (vm.count("out")) check_output_path(vm["out"].as<std::string>());

    std::string workload_name =
        vm.count("workload") ? vm["workload"].as<std::string>() : std::string("gpt2-small");
    workload::Workload w = workload::load_workload(workload_name, sets);
    serve::ServeConfig cfg = serve::load_serve_config(
        sets, vm.count("generate") ? vm["generate"].as<std::string>() : std::string());

    std::vector<serve::Request> requests;
    Json info;
    if (vm.count("requests") != 0) {
      if (cfg.generator) {
        throw InputError("--requests", "give either --requests or --generate, not both");
      }
      std::string path = vm["requests"].as<std::string>();
      requests = serve::read_requests(path, w.model.max_context);
      info = Json{{"source", path}};
    } else if (cfg.generator) {
      requests = serve::generate_requests(*cfg.generator, w.model.max_context, "--generate");
      info = Json{{"source", "generated"}, {"generator", config::to_json(*cfg.generator)}};
    } else {
      throw InputError("cimsim serve",
                       "no requests: give --requests FILE.jsonl or --generate JSON");
    }
    if (requests.empty()) {
      throw InputError(vm["requests"].as<std::string>(), "no requests in the file");
    }
    info["count"] = requests.size();

    std::vector<config::ConfigDoc> machines = load_machines(vm, sets);
    exec::RunOptions options;
    options.fast_forward = !vm["no-fast-forward"].as<bool>();
    auto results = serve::serve_on_machines(machines, w, requests, cfg, options);
    Json report = serve::serving_run_report(w, info, cfg, results);
    if (vm.count("out")) {
      write_file_atomic(vm["out"].as<std::string>(),
                        [&](std::ostream& o) { o << report.dump(1) << "\n"; });
    }
    if (!vm["quiet"].as<bool>()) {
      out << summary(report);
      if (vm.count("out")) out << "\nreport written to " << vm["out"].as<std::string>() << "\n";
    }
    return 0;
  };
  return c;
}

}  // namespace cimsim::cli
