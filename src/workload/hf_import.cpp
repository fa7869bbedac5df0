// Hugging Face model configs (config.json, a JSON object with "model_type") as workloads.
//
// The importer maps the fields of the supported model types to a workload document (the
// JSON a workload file holds), which then goes through --set and validation like any other
// file. Every field is either mapped, known to be cost-neutral and ignored (training,
// tokenisation, generation defaults, the Python object: see ignorable()), or rejected with a
// one-line error naming the file and the field; so is any value the workload model cannot
// represent. docs/workloads.md has the mapping table.
//
// Values follow the Hugging Face classes: a field the file leaves out takes the default of
// its configuration class (LlamaConfig, MistralConfig, ...) where that default is part of the
// architecture's definition (num_key_value_heads = num_attention_heads, Mistral's window of
// 4096); the sizes that define a model (hidden size, heads, layers, FFN width, vocabulary,
// context) are required.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "cimsim/config/describe.hpp"
#include "internal.hpp"

namespace cimsim::workload::detail {

namespace {

// Keys that describe training, tokenisation, generation defaults or the Python object, not
// the network a forward pass runs: ignored for every model type.
bool ignorable(const std::string& key) {
  static const std::set<std::string> names = {"architectures",
                                              "transformers_version",
                                              "use_cache",
                                              "initializer_range",
                                              "init_std",
                                              "rms_norm_eps",
                                              "layer_norm_eps",
                                              "layer_norm_epsilon",
                                              "dropout",
                                              "layerdrop",
                                              "gradient_checkpointing",
                                              "pretraining_tp",
                                              "router_aux_loss_coef",
                                              "router_jitter_noise",
                                              "id2label",
                                              "label2id",
                                              "num_labels",
                                              "problem_type",
                                              "finetuning_task",
                                              "prefix",
                                              "task_specific_params",
                                              "tokenizer_class",
                                              "torchscript",
                                              "use_bfloat16",
                                              "pruned_heads",
                                              "chunk_size_feed_forward",
                                              "tie_encoder_decoder",
                                              "max_length",
                                              "min_length",
                                              "do_sample",
                                              "early_stopping",
                                              "num_beams",
                                              "num_beam_groups",
                                              "diversity_penalty",
                                              "temperature",
                                              "top_k",
                                              "top_p",
                                              "typical_p",
                                              "repetition_penalty",
                                              "length_penalty",
                                              "no_repeat_ngram_size",
                                              "encoder_no_repeat_ngram_size",
                                              "bad_words_ids",
                                              "num_return_sequences",
                                              "remove_invalid_values",
                                              "exponential_decay_length_penalty",
                                              "suppress_tokens",
                                              "begin_suppress_tokens",
                                              "keys_to_ignore_at_inference",
                                              "n_ctx",
                                              "scale_attn_weights",
                                              "scale_attn_by_inverse_layer_idx",
                                              "reorder_and_upcast_attn"};
  auto ends_with = [&](const char* tail) {
    std::string t(tail);
    return key.size() >= t.size() && key.compare(key.size() - t.size(), t.size(), t) == 0;
  };
  auto starts_with = [&](const char* head) { return key.rfind(head, 0) == 0; };
  return names.count(key) > 0 || key.find("dropout") != std::string::npos || ends_with("_pdrop") ||
         ends_with("_token_id") || ends_with("_token_ids") || starts_with("_") ||
         starts_with("output_") || starts_with("return_") || starts_with("summary_");
}

// A config.json being read: typed access by key, with errors naming the file and the key,
// and a record of the keys consumed so that finish() can reject the rest.
class HfFile {
 public:
  HfFile(const Json& j, std::string file) : j_(j), file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw InputError(file_ + ": " + path, what);
  }
  const std::string& file() const { return file_; }

  bool has(const std::string& key) const { return j_.contains(key); }
  // The value of `key`, or nullptr when it is absent or null (both mean "the default").
  const Json* find(const std::string& key) {
    used_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  const Json& need(const std::string& key) {
    const Json* v = find(key);
    if (v == nullptr) {
      fail(key, "missing required key");
    }
    return *v;
  }
  uint64_t count(const std::string& key, uint64_t max) { return count_value(need(key), key, max); }
  uint64_t count(const std::string& key, uint64_t max, uint64_t fallback) {
    const Json* v = find(key);
    return v == nullptr ? fallback : count_value(*v, key, max);
  }
  uint64_t count_value(const Json& v, const std::string& path, uint64_t max,
                       uint64_t min = 1) const {
    bool ok = v.is_number_unsigned() && v.get<uint64_t>() >= min && v.get<uint64_t>() <= max;
    if (!ok && v.is_number_float()) {  // 4096.0
      double d = v.get<double>();
      ok = std::floor(d) == d && d >= static_cast<double>(min) && d <= static_cast<double>(max);
      if (ok) {
        return static_cast<uint64_t>(d);
      }
    }
    if (!ok) {
      fail(path, (max == std::numeric_limits<uint64_t>::max()
                      ? "expected an integer >= " + std::to_string(min)
                      : "expected an integer in [" + std::to_string(min) + ", " +
                            std::to_string(max) + "]") +
                     ", got " + config::describe_json_value(v));
    }
    return v.get<uint64_t>();
  }
  bool flag(const std::string& key, bool fallback) {
    const Json* v = find(key);
    if (v == nullptr) {
      return fallback;
    }
    if (!v->is_boolean()) {
      fail(key, "expected true or false, got " + config::describe_json_value(*v));
    }
    return v->get<bool>();
  }
  double positive(const Json& v, const std::string& path) const {
    if (!v.is_number() || !(v.get<double>() > 0) || !std::isfinite(v.get<double>())) {
      fail(path, "expected a number > 0, got " + config::describe_json_value(v));
    }
    return v.get<double>();
  }
  std::string text(const std::string& key, const std::string& fallback) {
    const Json* v = find(key);
    if (v == nullptr) {
      return fallback;
    }
    if (!v->is_string()) {
      fail(key, "expected a string, got " + config::describe_json_value(*v));
    }
    return v->get<std::string>();
  }
  // A string that must be one of `choices` (the value's cimsim name).
  std::string choice(const std::string& path, const Json& v,
                     const std::vector<std::pair<const char*, const char*>>& choices) const {
    if (v.is_string()) {
      for (const auto& [hf, ours] : choices) {
        if (v.get<std::string>() == hf) {
          return ours;
        }
      }
    }
    std::string list;
    for (const auto& c : choices) {
      list += (list.empty() ? "" : ", ") + std::string(c.first);
    }
    fail(path, "expected one of " + list + ", got " + config::describe_json_value(v));
  }
  // A key the workload model cannot represent: an error unless the value is the harmless one.
  void only(const std::string& key, const Json& harmless, const std::string& why) {
    const Json* v = find(key);
    if (v != nullptr && *v != harmless) {
      fail(key, "expected " + harmless.dump() + " or no value (" + why + "), got " +
                    config::describe_json_value(*v));
    }
  }
  // Every key that was neither read nor is ignorable is an error.
  void finish(const std::string& model_type) const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (used_.count(it.key()) == 0 && !ignorable(it.key())) {
        fail(it.key(), "not a field cimsim maps or ignores for model_type \"" + model_type +
                           "\" (docs/workloads.md lists them; remove it if it does not change "
                           "the network)");
      }
    }
  }

 private:
  const Json& j_;
  std::string file_;
  std::set<std::string> used_;
};

constexpr uint64_t kMaxHeads = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kMaxCount = std::numeric_limits<uint64_t>::max();

const std::vector<std::pair<const char*, const char*>>& activations() {
  static const std::vector<std::pair<const char*, const char*>> a = {
      {"silu", "silu"},
      {"swish", "silu"},
      {"gelu", "gelu"},
      {"gelu_new", "gelu_tanh"},
      {"gelu_pytorch_tanh", "gelu_tanh"},
      {"gelu_fast", "gelu_tanh"},
      {"relu", "relu"}};
  return a;
}

// The keys of the sizes every type has, and the structure the type's modelling code fixes
// (defaults: the keys most types use, a pre-norm LayerNorm MLP with learned positions).
struct TypeSpec {
  const char* layers = "num_hidden_layers";
  const char* hidden = "hidden_size";
  const char* heads = "num_attention_heads";
  const char* kv_heads = nullptr;  // nullptr: as many KV heads as heads
  bool head_dim = false;           // an explicit "head_dim" key is read
  const char* ffn_width = "intermediate_size";
  uint64_t ffn_times_hidden = 0;  // default of ffn_width as a multiple of the hidden size
  const char* positions = "max_position_embeddings";
  const char* act = "hidden_act";
  const char* act_default = "silu";
  const char* ffn = "mlp";
  const char* norm = "layernorm";
  const char* placement = "pre";
  const char* position = "learned";
  bool tied_default = true;
};

TypeSpec spec_of(const std::string& type) {
  TypeSpec t;
  if (type == "gpt2") {  // GPT2Config's names
    t.layers = "n_layer";
    t.hidden = "n_embd";
    t.heads = "n_head";
    t.ffn_width = "n_inner";  // null: 4 x n_embd
    t.ffn_times_hidden = 4;
    t.positions = "n_positions";
    t.act = "activation_function";
    t.act_default = "gelu_new";
  } else if (type == "opt") {
    t.ffn_width = "ffn_dim";
    t.act = "activation_function";
    t.act_default = "relu";
  } else if (type == "bert") {
    t.act_default = "gelu";
    t.placement = "post";
  } else {  // llama, mistral, qwen2, mixtral: LlamaDecoderLayer and its descendants
    t.kv_heads = "num_key_value_heads";
    t.head_dim = true;
    t.ffn = "gated";
    t.norm = "rmsnorm";
    t.position = "rope";
    t.tied_default = false;
  }
  return t;
}

// The model fields every type has, with errors naming the Hugging Face keys: sizes, heads
// against the hidden size, activation and the type's fixed structure.
Json common_fields(HfFile& f, const TypeSpec& t) {
  Json m;
  m["layers"] = f.count(t.layers, kMaxLayers);
  const uint64_t d = f.count(t.hidden, kMaxCount);
  m["d_model"] = d;
  const uint64_t heads = f.count(t.heads, kMaxHeads);
  const uint64_t kv = t.kv_heads != nullptr ? f.count(t.kv_heads, kMaxHeads, heads) : heads;
  if (kv > heads || heads % kv != 0) {
    f.fail(t.kv_heads, "expected a divisor of " + std::string(t.heads) + " = " +
                           std::to_string(heads) +
                           " (each key/value head serves a whole group of query heads), got " +
                           std::to_string(kv));
  }
  const Json* explicit_dim = t.head_dim ? f.find("head_dim") : nullptr;
  uint64_t head_dim = 0;
  if (explicit_dim != nullptr) {
    head_dim = f.count_value(*explicit_dim, "head_dim", kMaxCount);
  } else if (d % heads != 0) {
    f.fail(t.heads, "expected a divisor of " + std::string(t.hidden) + " = " + std::to_string(d) +
                        " (head_dim = " + t.hidden + " / " + t.heads + "), got " +
                        std::to_string(heads));
  } else {
    head_dim = d / heads;
  }
  m["heads"] = heads;
  m["kv_heads"] = kv;
  m["head_dim"] = head_dim;
  if (head_dim * heads != d) {
    m["explicit_head_dim"] = true;  // Mistral-NeMo: 32 x 128 heads on a 5120 residual stream
  }
  m["d_ff"] = t.ffn_times_hidden > 0 ? f.count(t.ffn_width, kMaxCount, t.ffn_times_hidden * d)
                                     : f.count(t.ffn_width, kMaxCount);
  m["vocab"] = f.count("vocab_size", kMaxCount);
  m["max_context"] = f.count(t.positions, kMaxCount);
  const Json fallback = t.act_default;
  const Json* act = f.find(t.act);
  m["activation"] = f.choice(t.act, act != nullptr ? *act : fallback, activations());
  m["ffn"] = t.ffn;
  m["norm"] = t.norm;
  m["norm_placement"] = t.placement;
  m["position"] = t.position;
  m["tie_embeddings"] = f.flag("tie_word_embeddings", t.tied_default);
  return m;
}

void dtypes(HfFile& f, Json& w) {
  for (const char* key : {"torch_dtype", "dtype"}) {  // "dtype" since transformers 4.56
    if (const Json* v = f.find(key)) {
      std::string t =
          f.choice(key, *v, {{"float16", "fp16"}, {"bfloat16", "bf16"}, {"float32", "fp32"}});
      w["dtypes"] = Json{{"weights", t}, {"activations", t}, {"kv_cache", t}};
    }
  }
}

// RoPE: the base, and the scaling variants, which only change the precomputed sin/cos tables
// (positions), never an op's shape: accepted as cost-neutral when the type is one Hugging Face
// defines, rejected otherwise.
void rope(HfFile& f, Json& m, double default_theta) {
  m["rope_theta"] = default_theta;
  if (const Json* v = f.find("rope_theta")) {
    m["rope_theta"] = f.positive(*v, "rope_theta");
  }
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    const Json* s = f.find(key);
    if (s == nullptr) {
      continue;
    }
    const std::string path = key;
    if (!s->is_object()) {
      f.fail(path, "expected an object or null, got " + config::describe_json_value(*s));
    }
    const char* type_key = s->contains("rope_type") ? "rope_type" : "type";
    if (s->contains(type_key)) {
      f.choice(path + "." + type_key, (*s)[type_key],
               {{"default", ""},
                {"linear", ""},
                {"dynamic", ""},
                {"yarn", ""},
                {"longrope", ""},
                {"llama3", ""}});
    } else if (path == "rope_scaling") {
      f.fail(path + ".type", "missing required key (the scaling variant)");
    }
    if (s->contains("factor")) {
      f.positive((*s)["factor"], path + ".factor");
    }
    if (s->contains("rope_theta")) {
      m["rope_theta"] = f.positive((*s)["rope_theta"], path + ".rope_theta");
    }
  }
}

// Sliding-window attention on every layer, or on none; Qwen2 windows only the layers from
// max_window_layers on, and recent configs list per-layer types.
void window(HfFile& f, Json& m, const std::string& type, uint64_t layers) {
  uint64_t w = 0;
  if (const Json* v = f.find("sliding_window")) {
    w = f.count_value(*v, "sliding_window", kMaxCount);
  } else if (type == "mistral" && !f.has("sliding_window")) {
    w = 4096;  // MistralConfig's default (configs of v0.2 and later say null explicitly)
  }
  if (type == "qwen2") {
    bool on = f.flag("use_sliding_window", false);
    const Json* first = f.find("max_window_layers");  // Qwen2Config's default: 28
    uint64_t from =
        first == nullptr ? 28 : f.count_value(*first, "max_window_layers", kMaxCount, 0);
    if (!on || from >= layers) {
      w = 0;
    } else if (from != 0) {
      f.fail("max_window_layers", "a window on layers " + std::to_string(from) + ".." +
                                      std::to_string(layers - 1) +
                                      " only is not modelled (every layer or none): expected 0 "
                                      "or >= num_hidden_layers = " +
                                      std::to_string(layers) + ", got " + std::to_string(from));
    }
  }
  if (const Json* types = f.find("layer_types")) {
    std::set<std::string> kinds;
    if (types->is_array()) {
      for (const auto& t : *types) {
        kinds.insert(t.is_string() ? t.get<std::string>() : "?");
      }
    }
    if (!types->is_array() || kinds.size() > 1 ||
        (kinds.size() == 1 && *kinds.begin() != "full_attention" &&
         *kinds.begin() != "sliding_attention")) {
      f.fail("layer_types",
             "expected every entry \"full_attention\" or every entry "
             "\"sliding_attention\" (per-layer kinds are not modelled), got " +
                 config::describe_json_value(*types));
    }
    if (kinds.count("full_attention") > 0) {
      w = 0;
    }
  }
  m["sliding_window"] = w;
}

// Llama, Mistral, Qwen2 and Mixtral: pre-norm RMSNorm, rotary positions, gated FFN.
Json llama_like(HfFile& f, const std::string& type) {
  Json m = common_fields(f, spec_of(type));
  rope(f, m, type == "mixtral" ? 1e6 : 10000.0);
  bool bias = false;
  if (type == "llama") {
    // attention_bias puts biases on q, k, v and o; mlp_bias on the MLP: both or neither.
    bool attn = f.flag("attention_bias", false), mlp = f.flag("mlp_bias", false);
    if (attn != mlp) {
      f.fail("mlp_bias", std::string("biases on the ") + (attn ? "attention" : "MLP") +
                             " only are not modelled: expected mlp_bias = attention_bias = " +
                             (attn ? "true" : "false") + ", got " + (mlp ? "true" : "false"));
    }
    bias = attn;
  } else {
    f.only("attention_bias", false, "Mistral, Qwen2 and Mixtral have no such option");
  }
  m["bias"] = bias;
  m["qkv_bias"] = type == "qwen2";  // Qwen2Attention: q/k/v_proj with bias, o_proj without
  if (type != "llama") {
    window(f, m, type, m["layers"].get<uint64_t>());
  }
  if (type == "mixtral") {
    m["experts"] = f.count("num_local_experts", kMaxExperts);
    m["experts_per_token"] = f.count("num_experts_per_tok", kMaxExperts);
    if (m["experts_per_token"].get<uint64_t>() > m["experts"].get<uint64_t>()) {
      f.fail("num_experts_per_tok", "expected at most num_local_experts = " + m["experts"].dump() +
                                        ", got " + m["experts_per_token"].dump());
    }
  }
  return m;
}

Json gpt2(HfFile& f) {
  Json m = common_fields(f, spec_of("gpt2"));
  m["bias"] = true;
  f.only("add_cross_attention", false,
         "cross-attention needs an encoder, which a decoder-only "
         "trace does not have");
  return m;
}

Json opt(HfFile& f) {
  Json m = common_fields(f, spec_of("opt"));
  m["position_offset"] = 2;  // OPTLearnedPositionalEmbedding: positions start at 2
  bool pre = f.flag("do_layer_norm_before", true);
  m["norm_placement"] = pre ? "pre" : "post";
  if (pre && f.flag("_remove_final_layer_norm", false)) {
    f.fail("_remove_final_layer_norm",
           "a pre-norm model without its final norm is not "
           "modelled: expected false, got true");
  }
  m["bias"] = f.flag("enable_bias", true);
  if (const Json* proj = f.find("word_embed_proj_dim")) {
    uint64_t p = f.count_value(*proj, "word_embed_proj_dim", kMaxCount);
    if (p != m["d_model"].get<uint64_t>()) {
      f.fail("word_embed_proj_dim",
             "embedding projections (project_in/project_out, OPT-350m) "
             "are not modelled: expected hidden_size = " +
                 m["d_model"].dump() + ", got " + std::to_string(p));
    }
  }
  f.only("layer_norm_elementwise_affine", true, "norms without gamma and beta are not modelled");
  return m;
}

Json bert(HfFile& f) {
  Json m = common_fields(f, spec_of("bert"));
  m["bias"] = true;
  m["type_vocab"] = f.count("type_vocab_size", kMaxCount, 2);
  m["embedding_norm"] = true;
  const Json absolute = "absolute";
  f.only("position_embedding_type", absolute, "relative position embeddings are not modelled");
  f.only("is_decoder", false, "BERT as a causal decoder is not modelled");
  f.only("add_cross_attention", false, "cross-attention needs a second input sequence");
  return m;
}

std::string workload_name(HfFile& f, const std::string& file) {
  std::string name = f.text("_name_or_path", "");
  if (!name.empty()) {
    size_t slash = name.find_last_of('/');
    name = slash == std::string::npos ? name : name.substr(slash + 1);
  }
  if (name.empty()) {
    std::filesystem::path p(file);
    name =
        p.filename() == "config.json" && p.has_parent_path() && !p.parent_path().filename().empty()
            ? p.parent_path().filename().string()
            : p.stem().string();
  }
  return name;
}

}  // namespace

bool is_hf_config(const Json& j) {
  return j.is_object() && j.contains("model_type") && !j.contains("model");
}

config::ConfigDoc import_hf_config(const Json& j, const std::string& file) {
  HfFile f(j, file);
  const std::string type = f.choice("model_type", f.need("model_type"),
                                    {{"bert", "bert"},
                                     {"gpt2", "gpt2"},
                                     {"llama", "llama"},
                                     {"mistral", "mistral"},
                                     {"mixtral", "mixtral"},
                                     {"opt", "opt"},
                                     {"qwen2", "qwen2"}});
  if (f.find("quantization_config") != nullptr) {
    f.fail("quantization_config",
           "quantized checkpoints are not imported (set "
           "workload.dtypes.weights=int8 or int4 to model one)");
  }
  f.only("is_encoder_decoder", false, "encoder-decoder models are not modelled");
  Json w;
  w["name"] = workload_name(f, file);
  w["description"] = "Hugging Face " + type + " config " + file;
  w["source"] = "Hugging Face config.json: " + file;
  if (type == "gpt2") {
    w["model"] = gpt2(f);
  } else if (type == "opt") {
    w["model"] = opt(f);
  } else if (type == "bert") {
    w["model"] = bert(f);
  } else {
    w["model"] = llama_like(f, type);
  }
  w["run"] = Json{{"mode", type == "bert" ? "encoder" : "decoder"}};
  dtypes(f, w);
  f.finish(type);

  config::ConfigDoc doc;
  doc.root_name = "workload";
  doc.file = file;
  doc.root = std::move(w);
  doc.provenance.set_tree(doc.root_name, doc.root, file);
  return doc;
}

}  // namespace cimsim::workload::detail
