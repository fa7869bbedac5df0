// A workload: a Transformer model (its published hyperparameters), the data types of its
// tensors, and how it is run (mode, prompt and generated lengths, batch).
//
// Files live in workloads/ (one per model preset); a file may "extends" another. JSON layout:
//   { "name", "description", "source",
//     "model":  { "layers", "d_model", "heads", "kv_heads", "head_dim", "d_ff", "vocab",
//                 "max_context", "activation", "ffn", "norm", "norm_placement", "position",
//                 "bias", "tie_embeddings", "type_vocab", "rope_theta", "position_offset",
//                 "embedding_norm", "qkv_bias", "explicit_head_dim", "sliding_window",
//                 "experts", "experts_per_token" },
//     "dtypes": { "weights", "activations", "kv_cache" },
//     "run":    { "mode", "prompt", "generate", "batch", "attention", "allow_context_overflow",
//                 "expert_seed", "expert_distribution" } }
// A Hugging Face config.json (a JSON object with "model_type") is accepted wherever a
// workload file is (hf_import.cpp maps its fields; docs/workloads.md lists them).
// The CLI flags --mode/--prompt/--generate/--batch are shorthands for --set workload.run.*.
// docs/workloads.md lists the presets and their sources; docs/trace-format.md the trace.
//
// Checks beyond single values: heads x head_dim == d_model unless explicit_head_dim (the
// lowering keeps d_attn = heads x head_dim separate from d_model everywhere), heads divisible
// by kv_heads, rope needs an even head_dim, 1 <= experts_per_token <= experts for a mixture of
// experts, decoder and entp need generate >= 1, and the tokens a run holds (prompt +
// generate; prompt alone in encoder mode) must fit max_context unless
// run.allow_context_overflow is true. Encoder mode does not generate: its generate is
// recorded as 0.
//
// Mixture of experts (experts > 0): every layer's FFN is `experts` FFNs of width d_ff behind a
// router; each token goes to experts_per_token of them. Which ones is drawn, not computed
// from activations (a trace has no values): a seeded counter-based generator
// (run.expert_seed) picks, per layer, sequence and position, distinct experts with
// probabilities proportional to run.expert_distribution (uniform when empty), so the
// per-expert token counts are exactly reproducible and identical on every machine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cimsim/common/json.hpp"
#include "cimsim/config/overrides.hpp"
#include "cimsim/trace/op.hpp"
#include "cimsim/trace/source.hpp"

namespace cimsim::workload {

// decoder: causal; a prefill of P tokens yields the first generated token, then G-1 decode
//          steps each read and append the KV cache.
// encoder: one bidirectional pass over P tokens.
// entp:    encoder-only next-token prediction: for each of G generated tokens, one full
//          bidirectional pass over the whole current prefix (P, P+1, ..., P+G-1); no KV cache.
enum class Mode : uint8_t { decoder, encoder, entp };
enum class Activation : uint8_t { gelu, gelu_tanh, relu, silu };
enum class Ffn : uint8_t { mlp, gated };  // gated: act(x W_gate) * (x W_up), then W_down
enum class Norm : uint8_t { layernorm, rmsnorm };
enum class NormPlacement : uint8_t { pre, post };
enum class Position : uint8_t { learned, rope, none };
// fused: one `attention` op per layer (what the machines receive by default);
// split:  kv_read (decoder), batched_matmul QK^T, softmax, batched_matmul PV.
enum class AttentionForm : uint8_t { fused, split };

// The trace header declares every expert of every layer: a bound keeps it small (Switch-C,
// the largest published count, has 2048 experts per layer).
constexpr uint32_t kMaxExperts = 4096;
// Sizes a simulation could neither hold nor finish, rejected before anything is lowered (the
// header declares every layer's weights and KV caches; every op is simulated). The deepest
// published Transformers have ~100-200 layers and the largest ~2 x 10^12 parameters; a
// 10^9-op trace already takes days to simulate.
constexpr uint32_t kMaxLayers = 16384;
constexpr uint64_t kMaxParameters = 100'000'000'000'000;  // 10^14
constexpr uint64_t kMaxOps = 1'000'000'000;

struct ModelConfig {
  uint32_t layers = 0;
  uint64_t d_model = 0;
  uint32_t heads = 0;
  uint32_t kv_heads = 0;  // < heads: grouped-query attention
  uint64_t head_dim = 0;
  uint64_t d_ff = 0;
  uint64_t vocab = 0;
  uint64_t max_context = 0;
  Activation activation = Activation::gelu;
  Ffn ffn = Ffn::mlp;
  Norm norm = Norm::layernorm;
  NormPlacement norm_placement = NormPlacement::pre;
  Position position = Position::learned;
  bool bias = true;            // linear layers have biases
  bool tie_embeddings = true;  // the LM head reuses the token embedding
  uint64_t type_vocab = 0;     // BERT token-type embeddings (0: none)
  double rope_theta = 10000.0;
  uint64_t position_offset = 0;  // extra learned-position rows (OPT offsets positions by 2)
  bool embedding_norm = false;   // a norm right after the embedding sum (BERT)
  bool qkv_bias = false;  // q, k, v projections have biases even when `bias` is false (Qwen2)
  bool explicit_head_dim = false;  // heads x head_dim may differ from d_model
  uint64_t sliding_window = 0;     // causal attention sees this many keys at most; 0: all
  uint32_t experts = 0;            // FFN experts per layer; 0: a dense FFN
  uint32_t experts_per_token = 0;  // top-k experts per token (experts > 0)
};

struct DTypes {
  trace::DType weights = trace::DType::fp16;
  trace::DType activations = trace::DType::fp16;
  trace::DType kv_cache = trace::DType::fp16;
};

struct RunSettings {
  Mode mode = Mode::decoder;
  uint64_t prompt = 128;
  uint64_t generate = 32;
  uint64_t batch = 1;
  AttentionForm attention = AttentionForm::fused;
  // prompt + generate beyond max_context is an error unless this is true.
  bool allow_context_overflow = false;
  // Expert choice (mixture of experts): seed and per-expert weights (empty: uniform).
  uint64_t expert_seed = 1;
  std::vector<double> expert_distribution;
};

struct Workload {
  std::string name;
  std::string description;
  ModelConfig model;
  DTypes dtypes;
  RunSettings run;
};

// Loads a workload preset or file and applies the --set assignments whose root is
// "workload" (in order), then validates everything (InputError on any problem).
Workload load_workload(const std::string& name_or_file,
                       const std::vector<config::Assignment>& sets);

// The workload document load_workload parses: the file after "extends" (or a Hugging Face
// config.json after import) with the --set assignments applied, not yet validated.
config::ConfigDoc workload_document(const std::string& name_or_file,
                                    const std::vector<config::Assignment>& sets);

// The workload as JSON (every parameter, defaults filled in); goes into trace headers and
// reports.
Json workload_json(const Workload& w);

// JSON Schema of a workload file.
Json workload_schema();

// The workload's operation trace, generated lazily op by op (memory stays flat).
std::unique_ptr<trace::OpSource> lower(const Workload& w);

// Parameter count, with and without embeddings (the LM head counts once when tied).
// Non-embedding excludes the token, position and token-type tables and an untied LM head.
// Only weights the lowering uses count: BERT's pooler and MLM head are not part of it.
// Active: the parameters one token uses, the total less the experts it is not routed to
// (experts - experts_per_token per layer); equals total for a dense model.
struct ParameterCount {
  uint64_t total = 0;
  uint64_t non_embedding = 0;
  uint64_t active = 0;
};
ParameterCount count_parameters(const ModelConfig& m);

// Every weight of the model in layer order (the LM head last, unless tied), with its shape
// and bytes in `dtype`. The trace header lists these (without the LM head in encoder mode).
std::vector<trace::TensorDecl> model_weights(const ModelConfig& m, trace::DType dtype);

// Tokens routed to each expert of `layer` (a mixture-of-experts model) by the tokens at
// positions [first, last) of every sequence of the batch, as the lowering routes them. The
// counts sum to batch x (last - first) x experts_per_token.
std::vector<uint64_t> expert_token_counts(const Workload& w, uint32_t layer, uint64_t first,
                                          uint64_t last);

}  // namespace cimsim::workload

namespace cimsim::config {
template <>
struct EnumNames<workload::Mode> {
  static const std::vector<std::pair<workload::Mode, const char*>>& names();
};
template <>
struct EnumNames<workload::Activation> {
  static const std::vector<std::pair<workload::Activation, const char*>>& names();
};
template <>
struct EnumNames<workload::Ffn> {
  static const std::vector<std::pair<workload::Ffn, const char*>>& names();
};
template <>
struct EnumNames<workload::Norm> {
  static const std::vector<std::pair<workload::Norm, const char*>>& names();
};
template <>
struct EnumNames<workload::NormPlacement> {
  static const std::vector<std::pair<workload::NormPlacement, const char*>>& names();
};
template <>
struct EnumNames<workload::Position> {
  static const std::vector<std::pair<workload::Position, const char*>>& names();
};
template <>
struct EnumNames<workload::AttentionForm> {
  static const std::vector<std::pair<workload::AttentionForm, const char*>>& names();
};
}  // namespace cimsim::config
