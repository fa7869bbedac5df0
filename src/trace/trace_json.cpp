#include "trace_json.hpp"

#include <initializer_list>
#include <limits>

#include "cimsim/common/error.hpp"
#include "cimsim/config/describe.hpp"

namespace cimsim::trace::detail {
namespace {

using config::describe_json_value;
using config::join_path;

// Strict access to one JSON object of a trace line: every key must be one of `keys`.
class Object {
 public:
  Object(const Json& j, std::string path, std::initializer_list<const char*> keys)
      : j_(j), path_(std::move(path)) {
    if (!j.is_object()) {
      fail_at(path_, "expected an object, got " + describe_json_value(j));
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool known = false;
      for (const char* k : keys) {
        known = known || it.key() == k;
      }
      if (!known) {
        std::string list;
        for (const char* k : keys) {
          list += (list.empty() ? "" : ", ") + std::string(k);
        }
        fail(it.key(), "unknown key (expected one of: " + list + ")");
      }
    }
  }

  [[noreturn]] static void fail_at(const std::string& path, const std::string& what) {
    throw InputError(path, what);
  }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    fail_at(join_path(path_, key), what);
  }

  bool has(const char* key) const { return j_.contains(key); }
  const Json& at(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end()) {
      fail(key, "missing required key");
    }
    return *it;
  }
  std::string path(const char* key) const { return join_path(path_, key); }

  uint64_t u64(const char* key, uint64_t max = std::numeric_limits<uint64_t>::max()) const {
    const Json& v = at(key);
    if (!is_u64(v, max)) {
      fail(key, u64_expectation(v, max));
    }
    return v.get<uint64_t>();
  }
  static bool is_u64(const Json& v, uint64_t max) {
    return v.is_number_unsigned() && v.get<uint64_t>() <= max;
  }
  static std::string u64_expectation(const Json& v, uint64_t max) {
    return "expected an integer in [0, " + std::to_string(max) + "], got " + describe_json_value(v);
  }
  int32_t i32(const char* key) const {
    const Json& v = at(key);
    if (!v.is_number_integer() || v.get<int64_t>() < std::numeric_limits<int32_t>::min() ||
        v.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      fail(key, "expected a 32-bit integer, got " + describe_json_value(v));
    }
    return static_cast<int32_t>(v.get<int64_t>());
  }
  bool boolean(const char* key) const {
    const Json& v = at(key);
    if (!v.is_boolean()) {
      fail(key, "expected true or false, got " + describe_json_value(v));
    }
    return v.get<bool>();
  }
  std::string str(const char* key) const {
    const Json& v = at(key);
    if (!v.is_string()) {
      fail(key, "expected a string, got " + describe_json_value(v));
    }
    return v.get<std::string>();
  }
  template <class E>
  E enumeration(const char* key) const {
    const Json& v = at(key);
    if (v.is_string()) {
      if (auto e = config::enum_from_name<E>(v.get<std::string>())) {
        return *e;
      }
    }
    fail(key, "expected one of " + config::enum_choices<E>() + ", got " + describe_json_value(v));
  }
  std::vector<uint64_t> shape(const char* key) const {
    const Json& v = at(key);
    if (!v.is_array()) {
      fail(key, "expected an array of integers, got " + describe_json_value(v));
    }
    std::vector<uint64_t> out;
    out.reserve(v.size());
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    for (size_t i = 0; i < v.size(); ++i) {
      if (!is_u64(v[i], kMax)) {
        fail_at(join_path(path(key), i), u64_expectation(v[i], kMax));
      }
      out.push_back(v[i].get<uint64_t>());
    }
    return out;
  }
  const Json& array(const char* key) const {
    const Json& v = at(key);
    if (!v.is_array()) {
      fail(key, "expected an array, got " + describe_json_value(v));
    }
    return v;
  }

 private:
  const Json& j_;
  std::string path_;
};

Json shape_json(const std::vector<uint64_t>& shape) {
  Json s = Json::array();
  for (uint64_t v : shape) {
    s.push_back(v);
  }
  return s;
}

Json decl_json(const TensorDecl& d) {
  Json j{{"id", d.id},
         {"kind", config::enum_name(d.kind)},
         {"dtype", config::enum_name(d.dtype)},
         {"shape", shape_json(d.shape)},
         {"bytes", d.bytes},
         {"layer", d.layer}};
  if (d.tp != TpRole::none) {
    j["tp"] = config::enum_name(d.tp);
  }
  return j;
}

// "tp" is written only when not "none"; "none" spelled out is accepted.
TpRole tp_from_json(const Object& o) {
  return o.has("tp") ? o.enumeration<TpRole>("tp") : TpRole::none;
}

TensorDecl decl_from_json(const Json& j, const std::string& path) {
  Object o(j, path, {"id", "kind", "dtype", "shape", "bytes", "layer", "tp"});
  TensorDecl d;
  d.id = o.str("id");
  d.kind = o.enumeration<TensorKind>("kind");
  d.dtype = o.enumeration<DType>("dtype");
  d.shape = o.shape("shape");
  d.bytes = o.u64("bytes");
  d.layer = o.i32("layer");
  d.tp = tp_from_json(o);
  return d;
}

Json tensor_json(const Tensor& t) {
  return Json{{"id", t.id},
              {"kind", config::enum_name(t.kind)},
              {"dtype", config::enum_name(t.dtype)},
              {"shape", shape_json(t.shape)},
              {"bytes", t.bytes}};
}

Tensor tensor_from_json(const Json& j, const std::string& path) {
  Object o(j, path, {"id", "kind", "dtype", "shape", "bytes"});
  Tensor t;
  t.id = o.str("id");
  t.kind = o.enumeration<TensorKind>("kind");
  t.dtype = o.enumeration<DType>("dtype");
  t.shape = o.shape("shape");
  t.bytes = o.u64("bytes");
  return t;
}

std::vector<Tensor> tensors_from_json(const Object& o, const char* key) {
  const Json& a = o.array(key);
  std::vector<Tensor> out;
  out.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    out.push_back(tensor_from_json(a[i], join_path(o.path(key), i)));
  }
  return out;
}

}  // namespace

const char* shape_key(OpKind kind) {
  switch (kind) {
    case OpKind::matmul:
    case OpKind::batched_matmul:
      return "mm";
    case OpKind::attention:
    case OpKind::kv_write:
    case OpKind::kv_read:
      return "attn";
    default:
      return "rows";
  }
}

Json header_to_json(const TraceHeader& h) {
  Json weights = Json::array(), caches = Json::array();
  for (const auto& d : h.weights) {
    weights.push_back(decl_json(d));
  }
  for (const auto& d : h.kv_caches) {
    caches.push_back(decl_json(d));
  }
  return Json{{"format", kFormatName},  {"format_version", h.format_version},
              {"model", h.model},       {"mode", h.mode},
              {"batch", h.batch},       {"prompt", h.prompt},
              {"generate", h.generate}, {"layers", h.layers},
              {"op_count", h.op_count}, {"workload", h.workload},
              {"weights", weights},     {"kv_caches", caches}};
}

TraceHeader header_from_json(const Json& j) {
  // Say "not a trace" before complaining about keys: the commonest mistake is a wrong file.
  if (!j.is_object() || !j.contains("format") || j["format"] != kFormatName) {
    throw InputError("header", std::string("not a cimsim trace (the first line must be a JSON "
                                           "object with \"format\": \"") +
                                   kFormatName + "\")");
  }
  Object o(j, "header",
           {"format", "format_version", "model", "mode", "batch", "prompt", "generate", "layers",
            "op_count", "workload", "weights", "kv_caches"});
  TraceHeader h;
  h.format_version = static_cast<uint32_t>(o.u64("format_version", 1000000));
  if (h.format_version != kTraceFormatVersion) {
    o.fail("format_version", "unsupported version " + std::to_string(h.format_version) +
                                 " (this cimsim reads version " +
                                 std::to_string(kTraceFormatVersion) + ")");
  }
  h.model = o.str("model");
  h.mode = o.str("mode");
  h.batch = o.u64("batch");
  h.prompt = o.u64("prompt");
  h.generate = o.u64("generate");
  h.layers = static_cast<uint32_t>(o.u64("layers", std::numeric_limits<int32_t>::max() - 1));
  h.op_count = o.u64("op_count");
  h.workload = o.at("workload");
  if (!h.workload.is_object()) {
    o.fail("workload", "expected an object, got " + describe_json_value(h.workload));
  }
  const Json& weights = o.array("weights");
  for (size_t i = 0; i < weights.size(); ++i) {
    h.weights.push_back(decl_from_json(weights[i], join_path(o.path("weights"), i)));
  }
  const Json& caches = o.array("kv_caches");
  for (size_t i = 0; i < caches.size(); ++i) {
    h.kv_caches.push_back(decl_from_json(caches[i], join_path(o.path("kv_caches"), i)));
  }
  return h;
}

Json op_to_json(const Op& op) {
  Json j{{"id", op.id},       {"kind", config::enum_name(op.kind)},        {"name", op.name},
         {"layer", op.layer}, {"phase", config::enum_name(op.phase.kind)}, {"step", op.phase.step},
         {"flops", op.flops}};
  const std::string key = shape_key(op.kind);
  if (key == "mm") {
    j["mm"] = Json{{"batch", op.mm.batch}, {"m", op.mm.m}, {"n", op.mm.n}, {"k", op.mm.k}};
    if (op.tp != TpRole::none) {
      j["tp"] = config::enum_name(op.tp);
    }
  } else if (key == "attn") {
    const AttentionShape& a = op.attn;
    j["attn"] = Json{{"batch", a.batch},       {"heads", a.heads},  {"kv_heads", a.kv_heads},
                     {"head_dim", a.head_dim}, {"q_len", a.q_len},  {"kv_len", a.kv_len},
                     {"causal", a.causal},     {"window", a.window}};
  } else {
    j["rows"] = Json{{"rows", op.rows.rows}, {"cols", op.rows.cols}};
  }
  Json in = Json::array(), out = Json::array();
  for (const auto& t : op.inputs) {
    in.push_back(tensor_json(t));
  }
  for (const auto& t : op.outputs) {
    out.push_back(tensor_json(t));
  }
  j["in"] = std::move(in);
  j["out"] = std::move(out);
  return j;
}

namespace {

void append_string(const std::string& s, std::string& out) {
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

void append_key(const char* key, std::string& out) {
  out += '"';
  out += key;
  out += "\":";
}

void append_field(const char* key, uint64_t v, std::string& out) {
  append_key(key, out);
  out += std::to_string(v);
  out += ',';
}

void append_tensors(const char* key, const std::vector<Tensor>& tensors, std::string& out) {
  append_key(key, out);
  out += '[';
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (i > 0) {
      out += ',';
    }
    out += "{\"id\":";
    append_string(t.id, out);
    out += ",\"kind\":\"";
    out += config::enum_name(t.kind);
    out += "\",\"dtype\":\"";
    out += config::enum_name(t.dtype);
    out += "\",\"shape\":[";
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (d > 0) {
        out += ',';
      }
      out += std::to_string(t.shape[d]);
    }
    out += "],";
    append_key("bytes", out);
    out += std::to_string(t.bytes);
    out += '}';
  }
  out += ']';
}

}  // namespace

void append_op_line(const Op& op, std::string& out) {
  out += '{';
  append_field("id", op.id, out);
  append_key("kind", out);
  append_string(config::enum_name(op.kind), out);
  out += ',';
  append_key("name", out);
  append_string(op.name, out);
  out += ',';
  append_key("layer", out);
  out += std::to_string(op.layer);
  out += ',';
  append_key("phase", out);
  append_string(config::enum_name(op.phase.kind), out);
  out += ',';
  append_field("step", op.phase.step, out);
  append_field("flops", op.flops, out);
  const std::string key = shape_key(op.kind);
  if (key == "mm") {
    out += "\"mm\":{";
    append_field("batch", op.mm.batch, out);
    append_field("m", op.mm.m, out);
    append_field("n", op.mm.n, out);
    append_field("k", op.mm.k, out);
  } else if (key == "attn") {
    const AttentionShape& a = op.attn;
    out += "\"attn\":{";
    append_field("batch", a.batch, out);
    append_field("heads", a.heads, out);
    append_field("kv_heads", a.kv_heads, out);
    append_field("head_dim", a.head_dim, out);
    append_field("q_len", a.q_len, out);
    append_field("kv_len", a.kv_len, out);
    append_key("causal", out);
    out += a.causal ? "true," : "false,";
    append_field("window", a.window, out);
  } else {
    out += "\"rows\":{";
    append_field("rows", op.rows.rows, out);
    append_field("cols", op.rows.cols, out);
  }
  out.back() = '}';  // replaces the last field's comma
  out += ',';
  if (op.tp != TpRole::none) {
    append_key("tp", out);
    append_string(config::enum_name(op.tp), out);
    out += ',';
  }
  append_tensors("in", op.inputs, out);
  out += ',';
  append_tensors("out", op.outputs, out);
  out += '}';
}

Op op_from_json(const Json& j, uint64_t index) {
  const std::string path = "op[" + std::to_string(index) + "]";
  Object o(j, path,
           {"id", "kind", "name", "layer", "phase", "step", "flops", "mm", "attn", "rows", "tp",
            "in", "out"});
  Op op;
  op.id = o.u64("id");
  op.kind = o.enumeration<OpKind>("kind");
  op.name = o.str("name");
  op.layer = o.i32("layer");
  op.phase.kind = o.enumeration<PhaseKind>("phase");
  op.phase.step = static_cast<uint32_t>(o.u64("step", std::numeric_limits<uint32_t>::max()));
  op.flops = o.u64("flops");

  const std::string key = shape_key(op.kind);
  for (const char* other : {"mm", "attn", "rows"}) {
    if (other != key && o.has(other)) {
      o.fail(other, std::string("does not belong to a ") + config::enum_name(op.kind) +
                        " op (it carries \"" + key + "\")");
    }
  }
  if (key == "mm") {
    Object s(o.at("mm"), o.path("mm"), {"batch", "m", "n", "k"});
    op.mm = {s.u64("batch"), s.u64("m"), s.u64("n"), s.u64("k")};
  } else if (key == "attn") {
    Object s(o.at("attn"), o.path("attn"),
             {"batch", "heads", "kv_heads", "head_dim", "q_len", "kv_len", "causal", "window"});
    op.attn.batch = s.u64("batch");
    op.attn.heads = s.u64("heads");
    op.attn.kv_heads = s.u64("kv_heads");
    op.attn.head_dim = s.u64("head_dim");
    op.attn.q_len = s.u64("q_len");
    op.attn.kv_len = s.u64("kv_len");
    op.attn.causal = s.boolean("causal");
    op.attn.window = s.u64("window");
  } else {
    Object s(o.at("rows"), o.path("rows"), {"rows", "cols"});
    op.rows = {s.u64("rows"), s.u64("cols")};
  }
  op.tp = tp_from_json(o);
  op.inputs = tensors_from_json(o, "in");
  op.outputs = tensors_from_json(o, "out");
  return op;
}

}  // namespace cimsim::trace::detail
