// Workload files: the declare-once descriptions (config/describe.hpp) of ModelConfig, DTypes,
// RunSettings and Workload, their enum names, loading with --set, and the checks that span
// the model and the run.
#include <string>

#include "cimsim/common/checked_math.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/config/describe.hpp"
#include "internal.hpp"

namespace cimsim::config {
using namespace cimsim::workload;

const std::vector<std::pair<Mode, const char*>>& EnumNames<Mode>::names() {
  static const std::vector<std::pair<Mode, const char*>> n = {
      {Mode::decoder, "decoder"}, {Mode::encoder, "encoder"}, {Mode::entp, "entp"}};
  return n;
}
const std::vector<std::pair<Activation, const char*>>& EnumNames<Activation>::names() {
  static const std::vector<std::pair<Activation, const char*>> n = {
      {Activation::gelu, "gelu"},
      {Activation::gelu_tanh, "gelu_tanh"},
      {Activation::relu, "relu"},
      {Activation::silu, "silu"}};
  return n;
}
const std::vector<std::pair<Ffn, const char*>>& EnumNames<Ffn>::names() {
  static const std::vector<std::pair<Ffn, const char*>> n = {{Ffn::mlp, "mlp"},
                                                             {Ffn::gated, "gated"}};
  return n;
}
const std::vector<std::pair<Norm, const char*>>& EnumNames<Norm>::names() {
  static const std::vector<std::pair<Norm, const char*>> n = {{Norm::layernorm, "layernorm"},
                                                              {Norm::rmsnorm, "rmsnorm"}};
  return n;
}
const std::vector<std::pair<NormPlacement, const char*>>& EnumNames<NormPlacement>::names() {
  static const std::vector<std::pair<NormPlacement, const char*>> n = {
      {NormPlacement::pre, "pre"}, {NormPlacement::post, "post"}};
  return n;
}
const std::vector<std::pair<Position, const char*>>& EnumNames<Position>::names() {
  static const std::vector<std::pair<Position, const char*>> n = {
      {Position::learned, "learned"}, {Position::rope, "rope"}, {Position::none, "none"}};
  return n;
}
const std::vector<std::pair<AttentionForm, const char*>>& EnumNames<AttentionForm>::names() {
  static const std::vector<std::pair<AttentionForm, const char*>> n = {
      {AttentionForm::fused, "fused"}, {AttentionForm::split, "split"}};
  return n;
}

template <>
struct Describe<ModelConfig> {
  static constexpr const char* doc = "the model's published hyperparameters";
  static void fields(Fields<ModelConfig>& f) {
    f.required("layers", &ModelConfig::layers, "Transformer blocks", in_range(1, kMaxLayers));
    f.required("d_model", &ModelConfig::d_model, "hidden size (residual stream width)",
               at_least(1));
    f.required("heads", &ModelConfig::heads, "query heads per attention layer", at_least(1));
    f.required("kv_heads", &ModelConfig::kv_heads,
               "key/value heads (= heads: multi-head; fewer: grouped-query attention)",
               at_least(1));
    f.required("head_dim", &ModelConfig::head_dim, "width of one attention head", at_least(1));
    f.required("d_ff", &ModelConfig::d_ff, "feed-forward inner width", at_least(1));
    f.required("vocab", &ModelConfig::vocab, "vocabulary size (token embedding rows)", at_least(1));
    f.required("max_context", &ModelConfig::max_context,
               "longest sequence in tokens the model supports", at_least(1));
    f.required("activation", &ModelConfig::activation, "feed-forward nonlinearity");
    f.required("ffn", &ModelConfig::ffn,
               "mlp: down(act(up x)); gated: down(act(gate x) * up x), e.g. SwiGLU");
    f.required("norm", &ModelConfig::norm, "normalisation layer type");
    f.required("norm_placement", &ModelConfig::norm_placement,
               "pre: norm before attention/FFN, final norm at the end (GPT-2, Llama); "
               "post: norm after each residual add (BERT)");
    f.required("position", &ModelConfig::position,
               "learned: a position table added to the embedding; rope: rotary on Q and K");
    f.required("bias", &ModelConfig::bias, "linear layers have biases");
    f.required("tie_embeddings", &ModelConfig::tie_embeddings,
               "the LM head reuses the token embedding table");
    f.optional("type_vocab", &ModelConfig::type_vocab,
               "token-type (segment) embedding rows, BERT; 0: none");
    f.optional("rope_theta", &ModelConfig::rope_theta, "RoPE base frequency", positive());
    f.optional("position_offset", &ModelConfig::position_offset,
               "extra rows of the learned position table (OPT offsets positions by 2)");
    f.optional("embedding_norm", &ModelConfig::embedding_norm,
               "a norm right after the embedding sum (BERT)");
    f.optional("qkv_bias", &ModelConfig::qkv_bias,
               "the q, k and v projections have biases even when bias is false (Qwen2)");
    f.optional("explicit_head_dim", &ModelConfig::explicit_head_dim,
               "head_dim is given on its own: heads x head_dim need not equal d_model "
               "(Mistral-NeMo, Gemma)");
    f.optional("sliding_window", &ModelConfig::sliding_window,
               "sliding-window attention: a causal query sees at most this many keys, its own "
               "included (Mistral); 0: every earlier key");
    f.optional("experts", &ModelConfig::experts,
               "mixture of experts: FFN experts per layer, each of width d_ff (Mixtral: 8); "
               "0: a dense FFN",
               in_range(0, kMaxExperts));
    f.optional("experts_per_token", &ModelConfig::experts_per_token,
               "mixture of experts: experts each token is routed to (top-k; Mixtral: 2)");
    f.check([](const ModelConfig& m, const Check& c) {
      uint64_t d_attn = 0;
      if (__builtin_mul_overflow(uint64_t{m.heads}, m.head_dim, &d_attn) ||
          (d_attn != m.d_model && !m.explicit_head_dim)) {
        c.fail("head_dim", "heads x head_dim = " + std::to_string(m.heads) + " x " +
                               std::to_string(m.head_dim) +
                               ", expected it to equal d_model = " + std::to_string(m.d_model));
      }
      if (m.kv_heads > m.heads || m.heads % m.kv_heads != 0) {
        c.fail("kv_heads", "expected a divisor of heads = " + std::to_string(m.heads) +
                               " (each key/value head serves a whole group of query heads), "
                               "got " +
                               std::to_string(m.kv_heads));
      }
      if (m.position == Position::rope && m.head_dim % 2 != 0) {
        c.fail("head_dim", "rope rotates pairs of values: expected an even head_dim, got " +
                               std::to_string(m.head_dim));
      }
      if (m.position != Position::learned && m.position_offset != 0) {
        c.fail("position_offset", "only a learned position table has an offset; position is " +
                                      std::string(enum_name(m.position)));
      }
      if (m.experts > 0 && (m.experts_per_token < 1 || m.experts_per_token > m.experts)) {
        c.fail("experts_per_token",
               "expected an integer in [1, experts = " + std::to_string(m.experts) + "], got " +
                   std::to_string(m.experts_per_token));
      }
      if (m.experts == 0 && m.experts_per_token != 0) {
        c.fail("experts_per_token",
               "a dense model (experts = 0) routes to no expert: expected "
               "0, got " +
                   std::to_string(m.experts_per_token));
      }
    });
  }
};

template <>
struct Describe<DTypes> {
  static constexpr const char* doc = "number formats of the model's tensors";
  static void fields(Fields<DTypes>& f) {
    f.optional("weights", &DTypes::weights, "weights (and embedding tables)");
    f.optional("activations", &DTypes::activations, "activations between ops");
    f.optional("kv_cache", &DTypes::kv_cache, "the KV cache (decoder mode)");
    f.check([](const DTypes& d, const Check& c) {
      const std::pair<const char*, trace::DType> all[] = {
          {"weights", d.weights}, {"activations", d.activations}, {"kv_cache", d.kv_cache}};
      for (const auto& [key, value] : all) {
        if (value == trace::DType::int32) {
          c.fail(key,
                 "int32 is the type of token ids; expected one of fp32, fp16, bf16, fp8, "
                 "int8, int4");
        }
      }
    });
  }
};

template <>
struct Describe<RunSettings> {
  static constexpr const char* doc = "how the model is run";
  static void fields(Fields<RunSettings>& f) {
    f.optional("mode", &RunSettings::mode,
               "decoder: prefill then decode steps with a KV cache; encoder: one bidirectional "
               "pass; entp: one bidirectional pass over the prefix per generated token");
    f.optional("prompt", &RunSettings::prompt, "prompt length P in tokens", at_least(1));
    f.optional("generate", &RunSettings::generate,
               "tokens to generate G (decoder, entp); encoder mode ignores it");
    f.optional("batch", &RunSettings::batch, "sequences run together", at_least(1));
    f.optional("attention", &RunSettings::attention,
               "fused: one attention op per layer; split: kv_read, QK^T, softmax, PV");
    f.optional("allow_context_overflow", &RunSettings::allow_context_overflow,
               "lower runs longer than max_context anyway (a what-if: learned position rows "
               "are not extended)");
    f.optional("expert_seed", &RunSettings::expert_seed,
               "mixture of experts: seed of the expert choice (the same seed routes every "
               "token the same way)");
    f.optional("expert_distribution", &RunSettings::expert_distribution,
               "mixture of experts: a weight per expert, the odds of picking it; empty: "
               "uniform",
               at_least(0));
    f.check([](const RunSettings& r, const Check& c) {
      if (r.mode != Mode::encoder && r.generate == 0) {
        c.fail("generate", std::string("expected an integer >= 1 in ") + enum_name(r.mode) +
                               " mode (tokens to generate), got 0");
      }
    });
  }
};

template <>
struct Describe<Workload> {
  static constexpr const char* doc = "a Transformer model and how it is run";
  static void fields(Fields<Workload>& f) {
    f.required("name", &Workload::name, "short name, used in reports");
    f.optional("description", &Workload::description, "one line for cimsim info");
    f.required("model", &Workload::model, "the model's published hyperparameters");
    f.optional("dtypes", &Workload::dtypes, "number formats of the model's tensors");
    f.optional("run", &Workload::run, "how the model is run");
  }
};

}  // namespace cimsim::config

namespace cimsim::workload {
namespace detail {

namespace {
// Tokens a run holds at its longest: the prompt and every generated token (the last one is
// produced but never fed back, yet a run of P + G tokens is what must fit, as with Hugging
// Face's max_length). Encoder mode holds the prompt only.
uint64_t tokens_held(const RunSettings& r) {
  return r.mode == Mode::encoder ? r.prompt : checked_add(r.prompt, r.generate, "tokens");
}
// run.expert_distribution against the model's experts.
template <class Where>
void check_experts(const Workload& w, const Where& where) {
  const auto& dist = w.run.expert_distribution;
  if (dist.empty()) {
    return;
  }
  const std::string path = "workload.run.expert_distribution";
  if (w.model.experts == 0) {
    throw InputError(where(path),
                     "the model has no experts (model.experts = 0): expected [], "
                     "got " +
                         std::to_string(dist.size()) + " weights");
  }
  if (dist.size() != w.model.experts) {
    throw InputError(where(path), "expected one weight per expert (model.experts = " +
                                      std::to_string(w.model.experts) + "), got " +
                                      std::to_string(dist.size()));
  }
  uint64_t positive = 0;
  for (double p : dist) {
    positive += p > 0 ? 1 : 0;
  }
  if (positive < w.model.experts_per_token) {
    throw InputError(where(path), "each token picks model.experts_per_token = " +
                                      std::to_string(w.model.experts_per_token) +
                                      " distinct experts: expected at least that many positive "
                                      "weights, got " +
                                      std::to_string(positive));
  }
}

// Parameters and ops against kMaxParameters and kMaxOps (a count that overflows throws
// OverflowError, as check_sizes does).
template <class Where>
void check_scale(const Workload& w, const Where& where) {
  uint64_t parameters = 0;
  for (const auto& d : model_weights(w.model, w.dtypes.weights)) {
    parameters = checked_add(parameters, trace::shape_elements(d.shape), "parameters");
  }
  if (parameters > kMaxParameters) {
    throw InputError(where("workload.model"),
                     std::to_string(parameters) +
                         " parameters (layers, d_model, d_ff, vocab, experts), expected at most "
                         "10^14");
  }
  const uint64_t ops = count_ops(w);
  if (ops > kMaxOps) {
    const bool phases = w.run.mode != Mode::encoder && w.run.generate > 1;
    throw InputError(where(phases ? "workload.run.generate" : "workload.model.layers"),
                     "the trace would have " + std::to_string(ops) +
                         " ops, expected at most 10^9 (fewer layers or generated tokens)");
  }
}

}  // namespace

void check_workload(const Workload& w, const config::ConfigDoc* doc) {
  const RunSettings& r = w.run;
  auto where = [&](const std::string& path) { return doc != nullptr ? doc->where(path) : path; };
  uint64_t held = 0;
  try {
    held = tokens_held(r);
  } catch (const OverflowError& e) {
    throw InputError(
        where("workload.run.prompt"),
        std::string("expected prompt + generate to fit 64-bit counts, but ") + e.what());
  }
  if (held > w.model.max_context && !r.allow_context_overflow) {
    // Name what the user changed last: a command-line override wins over the file.
    std::string path = "workload.run.prompt";
    if (r.mode != Mode::encoder && doc != nullptr &&
        doc->provenance.origin("workload.run.generate").rfind("--", 0) == 0 &&
        doc->provenance.origin("workload.run.prompt").rfind("--", 0) != 0) {
      path = "workload.run.generate";
    }
    std::string what = r.mode == Mode::encoder
                           ? "prompt = " + std::to_string(r.prompt)
                           : "prompt + generate = " + std::to_string(r.prompt) + " + " +
                                 std::to_string(r.generate) + " = " + std::to_string(held);
    throw InputError(where(path), what + " tokens exceeds model.max_context = " +
                                      std::to_string(w.model.max_context) +
                                      " (set workload.run.allow_context_overflow=true to "
                                      "lower it anyway)");
  }
  check_experts(w, where);
  try {
    check_scale(w, where);  // first: check_sizes lowers two whole phases
    check_sizes(w);
  } catch (const OverflowError& e) {
    throw InputError(where("workload.run"),
                     std::string("the trace's sizes do not fit 64-bit counts: ") + e.what());
  }
}

void validate(const Workload& w) {
  config::ConfigDoc doc;
  doc.root_name = "workload";
  doc.file = "(workload given in code)";
  doc.root = config::to_json(w);
  Workload parsed = config::parse<Workload>(doc);
  check_workload(parsed, &doc);
}

}  // namespace detail

Json workload_schema() {
  return config::file_schema<Workload>("https://cimsim.invalid/schema/workload.schema.json",
                                       "cimsim workload");
}

Json workload_json(const Workload& w) {
  return config::to_json(w);
}

config::ConfigDoc workload_document(const std::string& name_or_file,
                                    const std::vector<config::Assignment>& sets) {
  // A Hugging Face config.json is recognised by its content ("model_type"), not its name.
  config::ConfigDoc doc;
  const std::string file = config::resolve_preset_path(config::workload_kind(), name_or_file);
  Json top = config::read_json_file(file);
  if (detail::is_hf_config(top)) {
    doc = detail::import_hf_config(top, file);
  } else {
    doc = config::load_config(config::workload_kind(), name_or_file);
  }
  config::resolve_references<Workload>(doc);
  Json schema = workload_schema();
  for (const auto& a : sets) {
    if (a.root == "workload") {
      config::apply_assignment(doc, a, schema);
    }
  }
  return doc;
}

Workload load_workload(const std::string& name_or_file,
                       const std::vector<config::Assignment>& sets) {
  config::ConfigDoc doc = workload_document(name_or_file, sets);
  Workload w = config::parse<Workload>(doc);
  if (w.run.mode == Mode::encoder) {
    w.run.generate = 0;  // documented: encoder mode ignores it
  }
  detail::check_workload(w, &doc);
  return w;
}

}  // namespace cimsim::workload
