// Helpers shared by the von Neumann tests: machine configs from the presets with overrides, a
// test-only fixed-bandwidth memory target, hand-built ops and traces, and running a trace on
// one or more executors in this process's single SystemC elaboration.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cimsim/config/describe.hpp"
#include "cimsim/config/json_file.hpp"
#include "cimsim/config/overrides.hpp"
#include "cimsim/vn/executor.hpp"
#include "support/harness.hpp"
#include "support/vector_source.hpp"

namespace cimsim::vn::test {

// A preset with "PATH=VALUE" overrides below machine.
inline config::ConfigDoc machine_doc(const std::string& preset,
                                     const std::vector<std::string>& sets = {}) {
  config::ConfigDoc doc;
  doc.root =
      config::read_json_file(cimsim::test::source_path("configs/machines/" + preset + ".json"));
  doc.root_name = "machine";
  doc.file = "configs/machines/" + preset + ".json";
  config::resolve_references<MachineConfig>(doc);
  Json schema = machine_schema();
  for (const auto& s : sets)
    config::apply_assignment(doc, config::parse_assignment("machine." + s), schema);
  return doc;
}

// A memory that serves any request at a fixed bandwidth after a fixed latency (FCFS).
class FixedMemory : public sc_core::sc_module, public memory::OffChipMemory {
 public:
  tlm_utils::simple_target_socket<FixedMemory> socket;
  FixedMemory(sc_core::sc_module_name n, double bytes_per_s, double latency_ns, uint64_t capacity)
      : sc_module(n),
        socket("socket"),
        bytes_per_ps_(bytes_per_s * 1e-12),
        latency_ps_(latency_ns * 1e3),
        capacity_(capacity) {
    socket.register_b_transport(this, &FixedMemory::b_transport);
  }
  tlm::tlm_target_socket<32>& target() override { return socket; }
  void declare(stats::Registry& r) override {
    link_ = r.link(memory::kOffChipName, "HBM <-> L2");
    rd_ = r.action(memory::kOffChipName, "read_byte", 0.0);
    wr_ = r.action(memory::kOffChipName, "write_byte", 0.0);
  }
  void add_counts(stats::Counts& c) const override {
    c.read_bytes[link_] += read_;
    c.write_bytes[link_] += written_;
    c.actions[rd_] += read_;
    c.actions[wr_] += written_;
  }
  uint64_t capacity_bytes() const override { return capacity_; }
  double peak_bandwidth_bytes_per_s() const override { return bytes_per_ps_ * 1e12; }
  double unloaded_latency_ps() const override { return latency_ps_; }
  uint64_t access_bytes() const override { return 64; }
  uint64_t transactions = 0;

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    sc_core::wait(delay);
    delay = sc_core::SC_ZERO_TIME;
    ++transactions;
    double now = sc_core::sc_time_stamp().to_seconds() * 1e12;
    double done = pipe_.reserve(now, p.get_data_length());
    (p.is_write() ? written_ : read_) += p.get_data_length();
    sc_core::wait(sc_core::sc_time(std::ceil(done + latency_ps_ - now), sc_core::SC_PS));
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  double bytes_per_ps_, latency_ps_;
  uint64_t capacity_;
  SharedPipe pipe_{bytes_per_ps_};
  uint64_t read_ = 0, written_ = 0;
  stats::LinkId link_ = 0;
  stats::ActionId rd_ = 0, wr_ = 0;
};

inline trace::Tensor tensor(const std::string& id, trace::TensorKind kind,
                            std::vector<uint64_t> shape, trace::DType t = trace::DType::fp16) {
  trace::Tensor x;
  x.id = id;
  x.kind = kind;
  x.dtype = t;
  x.shape = shape;
  uint64_t n = 1;
  for (auto d : shape) n *= d;
  x.bytes = trace::dtype_bytes(t, n);
  return x;
}

inline trace::TensorDecl decl(const trace::Tensor& t, int32_t layer = 0) {
  trace::TensorDecl d;
  d.id = t.id;
  d.kind = t.kind;
  d.dtype = t.dtype;
  d.shape = t.shape;
  d.bytes = t.bytes;
  d.layer = layer;
  return d;
}

// out[m,n] = in[m,k] x W[k,n]; the weight is declared in `header`.
inline trace::Op matmul(const std::string& name, uint64_t m, uint64_t n, uint64_t k,
                        trace::TraceHeader& header, const std::string& in = "x",
                        const std::string& out = "y", trace::DType t = trace::DType::fp16,
                        const std::string& weight = "") {
  trace::Op op;
  op.kind = trace::OpKind::matmul;
  op.name = name;
  op.layer = 0;
  op.mm = trace::MatmulShape{1, m, n, k};
  op.flops = 2 * m * n * k;
  op.inputs.push_back(tensor(in, trace::TensorKind::activation, {m, k}, t));
  auto w = tensor(weight.empty() ? name + ".w" : weight, trace::TensorKind::weight, {k, n}, t);
  op.inputs.push_back(w);
  bool have = false;
  for (const auto& d : header.weights) have = have || d.id == w.id;
  if (!have) header.weights.push_back(decl(w));
  op.outputs.push_back(tensor(out, trace::TensorKind::activation, {m, n}, t));
  return op;
}

// Fused attention over Q [b, q, h, d] and K/V from a cache (decode) or activations.
inline trace::Op attention(const std::string& name, uint64_t heads, uint64_t d, uint64_t q_len,
                           uint64_t kv_len, bool causal, trace::TraceHeader& header,
                           bool cache = false, uint64_t max_len = 0) {
  trace::Op op;
  op.kind = trace::OpKind::attention;
  op.name = name;
  op.layer = 0;
  op.attn = trace::AttentionShape{1, heads, heads, d, q_len, kv_len, causal};
  op.flops = 4 * heads * d * op.attn.pairs();
  op.inputs.push_back(tensor(name + ".q", trace::TensorKind::activation, {q_len, heads * d}));
  auto kind = cache ? trace::TensorKind::kv_cache : trace::TensorKind::activation;
  for (const char* s : {".k", ".v"}) {
    auto t = tensor(name + s, kind, {kv_len, heads * d});
    if (cache) {
      auto full = tensor(name + s, kind, {std::max(max_len, kv_len), heads * d});
      bool have = false;
      for (const auto& x : header.kv_caches) have = have || x.id == full.id;
      if (!have) header.kv_caches.push_back(decl(full));
    }
    op.inputs.push_back(t);
  }
  op.outputs.push_back(tensor(name + ".o", trace::TensorKind::activation, {q_len, heads * d}));
  return op;
}

struct Run {
  std::unique_ptr<VnExecutor> exec;
  FixedMemory* fixed = nullptr;
};

// Builds an executor over the real HBM model (fixed_bytes_per_s == 0) or a FixedMemory.
inline Run build(const config::ConfigDoc& doc, const std::string& name, bool fast_forward = true,
                 double fixed_bytes_per_s = 0, double fixed_latency_ns = 100) {
  exec::RunOptions o;
  o.fast_forward = fast_forward;
  Run r;
  if (fixed_bytes_per_s > 0) {
    auto mem = std::make_unique<FixedMemory>((name + "_mem").c_str(), fixed_bytes_per_s,
                                             fixed_latency_ns, uint64_t{80} << 30);
    r.fixed = mem.get();
    r.exec = std::make_unique<VnExecutor>(doc, parse_machine(doc), name, o, std::move(mem));
  } else {
    const auto& type = von_neumann_type();
    auto e = type.build(doc, name, o);
    r.exec.reset(static_cast<VnExecutor*>(e.release()));
  }
  return r;
}

inline double link_bytes(const Json& report, const std::string& link, const char* dir = nullptr) {
  const Json& b = report["totals"]["bytes"][link];
  if (dir != nullptr) return b[dir].get<double>();
  return b["read"].get<double>() + b["write"].get<double>();
}

}  // namespace cimsim::vn::test

namespace cimsim::vn::test {
// Starts every run on its own copy of the trace, simulates, and returns the reports.
inline std::vector<Json> simulate(std::vector<Run*> runs, const trace::TraceHeader& h,
                                  const std::vector<trace::Op>& ops) {
  for (auto* r : runs) r->exec->start(std::make_unique<cimsim::test::VectorSource>(h, ops));
  sc_core::sc_start();
  std::vector<Json> out;
  for (auto* r : runs) {
    EXPECT_TRUE(r->exec->done());
    out.push_back(r->exec->report());
  }
  return out;
}
inline double op_seconds(const Json& report, const std::string& name) {
  for (const auto& o : report["ops"]) {
    if (o["name"] == name) return o["busy_seconds"].get<double>();
  }
  ADD_FAILURE() << "no op " << name;
  return 0;
}
inline const Json& op_entry(const Json& report, const std::string& name) {
  for (const auto& o : report["ops"]) {
    if (o["name"] == name) return o;
  }
  static Json none;
  ADD_FAILURE() << "no op " << name;
  return none;
}
}  // namespace cimsim::vn::test
