// Serving on simulated machines (include/cimsim/serve/machine_serving.hpp).
#include <algorithm>
#include <deque>
#include <exception>
#include <systemc>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/report/recorder.hpp"
#include "cimsim/serve/machine_serving.hpp"
#include "cimsim/workload/iteration.hpp"

namespace cimsim::serve {
namespace {

// The ops of the iterations the serving loop decides on, one phase at a time. next() blocks
// (in the machine's SystemC thread) until the driver pushes the next phase or closes.
class LiveSource final : public trace::OpSource {
 public:
  explicit LiveSource(trace::TraceHeader header) : header_(std::move(header)) {}
  const trace::TraceHeader& header() const override { return header_; }
  bool next(trace::Op& op) override {
    while (ops_.empty()) {
      if (closed_) return false;
      sc_core::wait(pushed_);
    }
    op = std::move(ops_.front());
    ops_.pop_front();
    return true;
  }
  bool phase_complete() const override { return ops_.empty(); }

  void push(std::vector<trace::Op>& ops) {
    for (auto& op : ops) ops_.push_back(std::move(op));
    ops.clear();
    // Before sc_start (the warm-up) nobody waits yet, and SystemC forbids notifying then.
    if (sc_core::sc_is_running()) pushed_.notify(sc_core::SC_ZERO_TIME);
  }
  void close() {
    closed_ = true;
    pushed_.notify(sc_core::SC_ZERO_TIME);
  }

 private:
  trace::TraceHeader header_;
  std::deque<trace::Op> ops_;
  bool closed_ = false;
  sc_core::sc_event pushed_;
};

// One machine of the run: its executor, its source, the driver's state.
class Driver final : public IterationEngine {
 public:
  Driver(const workload::Workload& w, uint64_t pool_tokens, const ServeConfig& cfg,
         const std::vector<Request>& requests)
      : lowering_(w, pool_tokens), cfg_(cfg), requests_(requests) {}

  void attach(std::unique_ptr<exec::Executor> executor, ServeSettings settings) {
    executor_ = std::move(executor);
    settings_ = std::move(settings);
    auto source = std::make_unique<LiveSource>(lowering_.header());
    source_ = source.get();
    // The warm-up phase is there before start(): a machine may read its first phase ahead.
    workload::IterationShape warm;
    warm.groups.push_back({1, settings_.block_tokens, settings_.block_tokens});
    warm.logits_rows = 1;
    queue(warm);
    executor_->start(std::move(source));
  }

  // Called by the machine for every finished op.
  void on_op(const report::OpCost& cost, double dynamic_energy_j) {
    ++ops_done_;
    last_end_ps_ = std::max(last_end_ps_, cost.end_ps);
    dynamic_j_ += dynamic_energy_j;
    if (ops_done_ == ops_pushed_) done_.notify(sc_core::SC_ZERO_TIME);
  }

  // The SC_THREAD: the serving loop.
  void drive() {
    try {
      wait_for_phase();  // the warm-up
      static_power_w_ = executor_->static_power_w();
      std::optional<ReuseGrid> grid;
      if (cfg_.reuse) grid = ReuseGrid{cfg_.bucket_tokens, cfg_.bucket_seqs, cfg_.steps_per_octave};
      IterationCostCache cache(grid, [this](const workload::IterationShape& s, IterationPart part) {
        return simulate(s, part);
      });
      cache_ = &cache;
      result_ = run_serving(requests_, settings_, *this);
      reuse_ = cache.stats();
      cache_ = nullptr;
    } catch (...) {
      error_ = std::current_exception();
    }
    source_->close();
  }

  IterationCost run(const Iteration& iteration, const ServeState&) override {
    return cache_->cost(shape_of(iteration));
  }
  double idle_power_w() const override { return static_power_w_; }

  exec::Executor& executor() { return *executor_; }
  const std::exception_ptr& error() const { return error_; }
  const ServeResult& result() const { return result_; }
  const ReuseStats& reuse() const { return reuse_; }
  double static_power() const { return static_power_w_; }

 private:
  static bool attention_op(trace::OpKind k) {
    return k == trace::OpKind::kv_write || k == trace::OpKind::attention ||
           k == trace::OpKind::kv_read || k == trace::OpKind::batched_matmul ||
           k == trace::OpKind::softmax;
  }
  void queue(const workload::IterationShape& shape, IterationPart part = IterationPart::whole) {
    ops_.clear();
    const bool prefill = std::any_of(shape.groups.begin(), shape.groups.end(),
                                     [](const workload::AttentionGroup& g) { return g.q > 1; });
    trace::Phase phase{prefill ? trace::PhaseKind::prefill : trace::PhaseKind::decode,
                       static_cast<uint32_t>(++phases_)};
    lowering_.lower(shape, phase, ops_);
    if (part != IterationPart::whole) {
      // The final block (final norm, LM head) is the only one above the last layer.
      const int32_t top = static_cast<int32_t>(lowering_.header().layers);
      ops_.erase(std::remove_if(ops_.begin(), ops_.end(),
                                [part, top](const trace::Op& op) {
                                  IterationPart of = attention_op(op.kind)
                                                         ? IterationPart::attention
                                                     : op.layer == top ? IterationPart::logits
                                                                       : IterationPart::tokens;
                                  return of != part;
                                }),
                 ops_.end());
    }
    ops_pushed_ += ops_.size();
    source_->push(ops_);
  }
  void wait_for_phase() {
    while (ops_done_ < ops_pushed_) sc_core::wait(done_);
  }
  IterationCost simulate(const workload::IterationShape& shape, IterationPart part) {
    const uint64_t start_ps = last_end_ps_;
    dynamic_j_ = 0;
    queue(shape, part);
    wait_for_phase();
    IterationCost c;
    c.seconds = static_cast<double>(last_end_ps_ - start_ps) * 1e-12;
    c.energy_j = dynamic_j_ + static_power_w_ * c.seconds;
    return c;
  }

  workload::IterationLowering lowering_;
  ServeConfig cfg_;
  const std::vector<Request>& requests_;
  ServeSettings settings_;
  std::unique_ptr<exec::Executor> executor_;
  LiveSource* source_ = nullptr;
  std::vector<trace::Op> ops_;
  uint64_t phases_ = 0;
  uint64_t ops_pushed_ = 0, ops_done_ = 0;
  uint64_t last_end_ps_ = 0;
  double dynamic_j_ = 0;
  double static_power_w_ = 0;
  sc_core::sc_event done_;
  IterationCostCache* cache_ = nullptr;
  ServeResult result_;
  ReuseStats reuse_;
  std::exception_ptr error_;
};

// Where the pool lives: layers per level from a CIM fabric's KV placement (metrics.kv_cache),
// else the machine's memory ("offchip"), with the chips a fabric was sized to for it.
Json kv_placement(const Json& report, uint64_t layers) {
  Json levels = Json::object();
  const Json* metrics = report.contains("metrics") ? &report["metrics"] : nullptr;
  if (metrics != nullptr && metrics->contains("kv_cache")) {
    for (const auto& s : (*metrics)["kv_cache"]) {
      const std::string level = s["level"].get<std::string>();
      levels[level] = levels.value(level, uint64_t{0}) + 1;
    }
  } else {
    levels["offchip"] = layers;
  }
  Json j{{"layers", levels}};
  if (metrics != nullptr && metrics->contains("sizing")) {
    const Json& s = (*metrics)["sizing"];
    j["chips"] = s["chips"];
    j["chips_for_weights"] = s["chips_for_weights"];
    j["chips_for_kv_cache"] = s["chips_for_kv_cache"];
  }
  return j;
}

}  // namespace

uint64_t kv_bytes_per_token(const workload::Workload& w) {
  const auto& m = w.model;
  uint64_t elements =
      checked_mul(checked_mul(2ull * m.layers, m.kv_heads, "KV bytes"), m.head_dim, "KV bytes");
  return trace::dtype_bytes(w.dtypes.kv_cache, elements);
}

std::vector<MachineServing> serve_on_machines(const std::vector<config::ConfigDoc>& machines,
                                              const workload::Workload& w,
                                              const std::vector<Request>& requests,
                                              const ServeConfig& cfg,
                                              const exec::RunOptions& options) {
  uint64_t weight_bytes = 0;
  for (const auto& d : workload::model_weights(w.model, w.dtypes.weights)) {
    weight_bytes = checked_add(weight_bytes, d.bytes, "weight bytes");
  }
  const uint64_t per_token = kv_bytes_per_token(w);
  uint64_t longest = 0;  // tokens of the longest request: it must fit every machine's pool
  const Request* longest_request = nullptr;
  for (const auto& r : requests) {
    if (r.prompt_tokens + r.output_tokens > longest) {
      longest = r.prompt_tokens + r.output_tokens;
      longest_request = &r;
    }
  }
  std::vector<std::unique_ptr<Driver>> drivers;
  std::vector<MachineServing> out(machines.size());
  for (size_t i = 0; i < machines.size(); ++i) {
    const config::ConfigDoc& doc = machines[i];
    const exec::MachineType& type = exec::machine_type_of(doc);
    // The executor is built first (its memory says how much KV fits), the driver after; the
    // callback reaches the driver through this slot.
    auto slot = std::make_shared<Driver*>(nullptr);
    exec::RunOptions opts = options;
    opts.on_op = [slot](const trace::Op&, const report::OpCost& cost, double dynamic_j) {
      if (*slot != nullptr) (*slot)->on_op(cost, dynamic_j);
    };
    auto executor = type.build(doc, "machine" + std::to_string(i), opts);
    const uint64_t need = (longest + cfg.block_tokens - 1) / cfg.block_tokens;
    uint64_t blocks = cfg.kv_capacity_blocks;
    out[i].kv_pool_source = "serve.kv_capacity_blocks";
    if (blocks == 0) {
      out[i].kv_budget_bytes = executor->kv_budget_bytes(weight_bytes, cfg.memory_utilization);
      if (out[i].kv_budget_bytes) {
        out[i].kv_pool_source = "memory";
        blocks = *out[i].kv_budget_bytes / checked_mul(per_token, cfg.block_tokens, "KV block");
        if (blocks == 0) {
          throw InputError(doc.file, "no KV block of " + std::to_string(cfg.block_tokens) +
                                         " tokens fits beside " + std::to_string(weight_bytes) +
                                         " bytes of weights in " +
                                         std::to_string(cfg.memory_utilization) +
                                         " of the memory; expected a machine with more memory");
        }
      } else {
        // The machine sizes itself for the KV the trace declares (a CIM fabric): the pool is
        // what the scheduler can run at once (never more than there are requests), each at
        // the longest request's length.
        out[i].kv_pool_source = "serve.kv_pool_sequences";
        out[i].kv_pool_sequences =
            cfg.kv_pool_sequences != 0
                ? cfg.kv_pool_sequences
                : std::min<uint64_t>(cfg.scheduler.make()->max_sequences(), requests.size());
        blocks = checked_mul(out[i].kv_pool_sequences, std::max<uint64_t>(1, need),
                             "serve.kv_pool_sequences x blocks");
      }
    }
    checked_mul(checked_mul(blocks, cfg.block_tokens, "KV pool tokens"), per_token,
                "KV pool bytes");
    if (longest_request != nullptr && need > blocks) {
      throw InputError("request " + std::to_string(longest_request->id),
                       "needs " + std::to_string(need) + " KV blocks of " +
                           std::to_string(cfg.block_tokens) + " tokens, expected at most the " +
                           std::to_string(blocks) + " of machine " + doc.file);
    }
    ServeSettings settings;
    settings.scheduler = cfg.scheduler;
    settings.block_tokens = cfg.block_tokens;
    settings.kv_capacity_blocks = blocks;
    auto driver = std::make_unique<Driver>(
        w, checked_mul(blocks, cfg.block_tokens, "KV pool tokens"), cfg, requests);
    *slot = driver.get();
    driver->attach(std::move(executor), settings);
    out[i].kv_bytes_per_token = per_token;
    Driver* d = driver.get();
    std::string thread = "serve_driver" + std::to_string(i);
    sc_core::sc_spawn(sc_core::sc_bind(&Driver::drive, d), thread.c_str());
    drivers.push_back(std::move(driver));
  }
  sc_core::sc_start();
  for (size_t i = 0; i < drivers.size(); ++i) {
    Driver& d = *drivers[i];
    if (d.error()) std::rethrow_exception(d.error());
    if (!d.executor().done()) {
      throw std::runtime_error("machine " + std::to_string(i) +
                               " stopped before the serving run ended (simulation deadlock)");
    }
    Json report = d.executor().report();
    out[i].machine = Json{{"name", report["name"]}, {"type", report["type"]}};
    if (report.contains("budget")) {
      const Json& b = report["budget"];
      out[i].machine["budget"] = Json{{"area_mm2", b["area_mm2"]},
                                      {"process_nm", b["process_nm"]},
                                      {"peak_power_w", b["peak_power_w"]}};
    }
    if (report.contains("metrics") && report["metrics"].contains("node")) {
      // The parallelism and the collectives of every simulated phase (docs/serving.md).
      const Json& n = report["metrics"]["node"];
      out[i].machine["node"] = Json{{"devices_used", n["devices_used"]},
                                    {"tensor_parallel", n["tensor_parallel"]},
                                    {"pipeline_parallel", n["pipeline_parallel"]},
                                    {"communication", n["communication"]}};
    }
    out[i].machine["config"] = report["config"];
    out[i].kv_placement = kv_placement(report, w.model.layers);
    out[i].result = d.result();
    out[i].reuse = d.reuse();
    out[i].static_power_w = d.static_power();
  }
  return out;
}

}  // namespace cimsim::serve
