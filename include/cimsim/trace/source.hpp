// A trace as a stream: machines pull one op at a time, so a trace never has to be held in
// memory or on disk whole (a Llama-2-7B ENTP trace has millions of ops). The lowering is an
// OpSource; so is the JSONL reader.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cimsim/common/json.hpp"
#include "cimsim/trace/op.hpp"

namespace cimsim::trace {

// A tensor that exists before the first op: a weight, or a layer's KV cache at full length.
struct TensorDecl {
  std::string id;
  TensorKind kind = TensorKind::weight;
  DType dtype = DType::fp16;
  std::vector<uint64_t> shape;
  uint64_t bytes = 0;
  int32_t layer = -1;
  TpRole tp = TpRole::none;  // weights: how tensor parallelism splits it (op.hpp)
  bool operator==(const TensorDecl& o) const;
};

// 2: sliding-window attention (attn.window) and the mixture-of-experts ops.
// 3: the tensor-parallel role "tp" of matmuls and weight declarations.
constexpr uint32_t kTraceFormatVersion = 3;

struct TraceHeader {
  uint32_t format_version = kTraceFormatVersion;
  std::string model;  // the model's name
  std::string mode;   // "decoder", "encoder", "entp"
  uint64_t batch = 1, prompt = 0, generate = 0;
  uint32_t layers = 0;
  Json workload;                      // every workload parameter (model and run settings)
  std::vector<TensorDecl> weights;    // every weight the trace uses, in layer order
  std::vector<TensorDecl> kv_caches;  // decoder mode: K and V per layer at full length
  uint64_t op_count = 0;              // ops in the trace
  bool operator==(const TraceHeader& o) const;
};

class OpSource {
 public:
  virtual ~OpSource() = default;
  virtual const TraceHeader& header() const = 0;
  // Fills `op` with the next op; false at the end of the trace.
  virtual bool next(Op& op) = 0;
  // True right after the last op of a phase when the source cannot tell yet what follows: a
  // live source (a serving run, src/serve/machine_engine.cpp) learns the next phase only once
  // this one has run, so a machine must execute the phase before it reads on. A trace that
  // is known in advance never says so (the next op's phase tells).
  virtual bool phase_complete() const { return false; }
};

// Makes a fresh source over the same trace (each machine of a side-by-side run pulls its own).
using OpSourceFactory = std::function<std::unique_ptr<OpSource>()>;

}  // namespace cimsim::trace
