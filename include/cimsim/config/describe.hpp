// Declare-once typed configs (the Ramulator 2.0 / DRAMSys lesson).
//
// A config struct is described once, next to its definition:
//
//   struct Timing { uint64_t tRCD = 0; uint64_t tRP = 0; };
//   template <> struct cimsim::config::Describe<Timing> {
//     static constexpr const char* doc = "DRAM timing in memory-clock cycles";
//     static void fields(Fields<Timing>& f) {
//       f.required("tRCD", &Timing::tRCD, "ACT to RD/WR delay", at_least(1));
//       f.optional("tRP", &Timing::tRP, "PRE to ACT delay", at_least(1));
//       f.check([](const Timing& t, const Check& c) { ... c.fail("tRP", "...") ... });
//     }
//   };
//
// From that one description cimsim parses JSON strictly (unknown key, wrong type, missing
// required key, out-of-range value and failed checks are InputErrors naming file and JSON
// path), fills defaults (an optional field keeps the value of a default-constructed struct),
// serialises the struct back to JSON (for reports), and emits a JSON Schema (configs/schema).
//
// Every object may also carry "source" (a string) and "sources" (key -> string): where its
// physical constants come from. They are validated but do not reach the struct.
//
// A struct whose Describe has `static const PresetKind& preset_kind()` may be given by
// preset name in JSON ("memory": "hbm2e"); resolve_references() inlines the preset before
// --set overrides and parsing, so every value can be overridden by path.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cimsim/common/enum_names.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/common/json.hpp"
#include "cimsim/config/json_file.hpp"

namespace cimsim::config {

template <class T>
struct Describe;  // specialise for each config struct

// Numeric limits of a field; describes itself in messages and schemas.
struct Limits {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
};
inline Limits at_least(double v) {
  return Limits{v, std::numeric_limits<double>::infinity(), false};
}
inline Limits positive() {
  return Limits{0.0, std::numeric_limits<double>::infinity(), true};
}
inline Limits in_range(double lo, double hi) {
  return Limits{lo, hi, false};
}

// Parsing context: the document (for provenance in messages).
class Context {
 public:
  explicit Context(const ConfigDoc& doc) : doc_(&doc) {}
  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw InputError(doc_->where(path), what);
  }
  const ConfigDoc& doc() const { return *doc_; }

 private:
  const ConfigDoc* doc_;
};

// Handed to cross-field checks: fail("tRC", "...") reports at <path>.tRC.
class Check {
 public:
  Check(const Context& ctx, std::string path) : ctx_(ctx), path_(std::move(path)) {}
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    ctx_.fail(key.empty() ? path_ : join_path(path_, key), what);
  }
  const std::string& path() const { return path_; }

 private:
  const Context& ctx_;
  std::string path_;
};

std::string describe_json_value(const Json& value);  // short one-line rendering for messages
std::string format_number(double v);                 // 1, 0.5, 1e+20 - shortest exact form

namespace detail {
std::string integer_expectation(const Limits& l, double type_min, double type_max);
std::string number_expectation(const Limits& l);
void add_limits_to_schema(Json& schema, const Limits& l, double type_min, double type_max);
bool within(const Limits& l, double v);
// Validates "source" / "sources" of an object against its field names.
void check_source_keys(const Json& obj, const std::string& path, const Context& ctx,
                       const std::vector<std::string>& field_names);
Json source_schema_properties();
}  // namespace detail

template <class T, class Enable = void>
struct ValueTraits;

template <class T, class = void>
struct has_preset_kind : std::false_type {};
template <class T>
struct has_preset_kind<T, std::void_t<decltype(Describe<T>::preset_kind())>> : std::true_type {};

template <class T, class = void>
struct is_described : std::false_type {};
template <class T>
struct is_described<T, std::void_t<decltype(Describe<T>::doc)>> : std::true_type {};

template <class T, class = void>
struct is_enum_named : std::false_type {};
template <class T>
struct is_enum_named<T, std::void_t<decltype(EnumNames<T>::names())>> : std::true_type {};

// The field list of a described struct.
template <class T>
class Fields {
 public:
  struct Field {
    std::string key;
    std::string doc;
    bool required = false;
    std::function<void(T&, const Json&, const std::string&, const Context&)> parse;
    std::function<Json(const T&)> to_json;
    std::function<Json()> schema;
    std::function<void(Json&, const std::string&, ConfigDoc&)> resolve;
  };

  template <class M>
  Fields& required(const char* key, M T::*member, const char* doc, Limits limits = {}) {
    return add<M>(key, member, doc, limits, true);
  }
  template <class M>
  Fields& optional(const char* key, M T::*member, const char* doc, Limits limits = {}) {
    return add<M>(key, member, doc, limits, false);
  }
  Fields& check(std::function<void(const T&, const Check&)> fn) {
    checks_.push_back(std::move(fn));
    return *this;
  }

  const std::vector<Field>& fields() const { return fields_; }
  const std::vector<std::function<void(const T&, const Check&)>>& checks() const { return checks_; }

 private:
  template <class M>
  Fields& add(const char* key, M T::*member, const char* doc, Limits limits, bool required) {
    Field f;
    f.key = key;
    f.doc = doc;
    f.required = required;
    f.parse = [member, limits](T& obj, const Json& j, const std::string& path, const Context& c) {
      obj.*member = ValueTraits<M>::parse(j, path, c, limits);
    };
    f.to_json = [member](const T& obj) { return ValueTraits<M>::to_json(obj.*member); };
    f.schema = [member, limits, required, doc]() {
      Json s = ValueTraits<M>::schema(limits);
      s["description"] = doc;
      if (!required) {
        T defaults{};
        Json d = ValueTraits<M>::to_json(defaults.*member);
        if (!d.is_null()) {
          s["default"] = d;
        }
      }
      return s;
    };
    f.resolve = [](Json& j, const std::string& path, ConfigDoc& doc) {
      ValueTraits<M>::resolve(j, path, doc);
    };
    fields_.push_back(std::move(f));
    return *this;
  }

  std::vector<Field> fields_;
  std::vector<std::function<void(const T&, const Check&)>> checks_;
};

template <class T>
const Fields<T>& fields_of() {
  static const Fields<T> fields = [] {
    Fields<T> f;
    Describe<T>::fields(f);
    return f;
  }();
  return fields;
}

// ---- value traits -------------------------------------------------------------------------

template <class T>
struct ValueTraits<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static constexpr double kMin = static_cast<double>(std::numeric_limits<T>::min());
  static constexpr double kMax = static_cast<double>(std::numeric_limits<T>::max());
  static T parse(const Json& j, const std::string& path, const Context& c, const Limits& l) {
    double as_double = 0;
    bool ok = false;
    bool beyond_type = false;  // larger than T holds
    T value{};
    if (j.is_number_unsigned()) {
      auto v = j.get<uint64_t>();
      beyond_type = v > static_cast<uint64_t>(std::numeric_limits<T>::max());
      ok = static_cast<double>(v) <= kMax && !beyond_type;
      value = static_cast<T>(v);
      as_double = static_cast<double>(v);
    } else if (j.is_number_integer()) {
      auto v = j.get<int64_t>();
      ok = std::is_signed_v<T> ? (v >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                                  v <= static_cast<int64_t>(std::numeric_limits<T>::max()))
                               : v >= 0;
      value = static_cast<T>(v);
      as_double = static_cast<double>(v);
    } else if (j.is_number_float()) {
      // 1e9 is a fine way to write a count; accept floats that are exact integers.
      double v = j.get<double>();
      ok = std::isfinite(v) && std::floor(v) == v && std::fabs(v) <= 9007199254740992.0 &&
           v >= kMin && v <= kMax;
      value = ok ? static_cast<T>(v) : T{};
      as_double = v;
      beyond_type = v >= std::ldexp(1.0, std::numeric_limits<T>::digits);
    }
    if (!ok || !detail::within(l, as_double)) {
      // "expected an integer >= 1, got 1e+30" would puzzle: say the type's bound too.
      std::string bound = beyond_type && !(l.max < kMax)
                              ? " (at most " + std::to_string(std::numeric_limits<T>::max()) + ")"
                              : "";
      c.fail(path, "expected " + detail::integer_expectation(l, kMin, kMax) + bound + ", got " +
                       describe_json_value(j));
    }
    return value;
  }
  static Json schema(const Limits& l) {
    Json s{{"type", "integer"}};
    detail::add_limits_to_schema(s, l, kMin, kMax);
    return s;
  }
  static Json to_json(const T& v) { return Json(v); }
  static void resolve(Json&, const std::string&, ConfigDoc&) {}
};

template <>
struct ValueTraits<double> {
  static double parse(const Json& j, const std::string& path, const Context& c, const Limits& l) {
    if (!j.is_number() || !std::isfinite(j.get<double>()) || !detail::within(l, j.get<double>())) {
      c.fail(path, "expected " + detail::number_expectation(l) + ", got " + describe_json_value(j));
    }
    return j.get<double>();
  }
  static Json schema(const Limits& l) {
    Json s{{"type", "number"}};
    detail::add_limits_to_schema(s, l, -std::numeric_limits<double>::infinity(),
                                 std::numeric_limits<double>::infinity());
    return s;
  }
  static Json to_json(const double& v) { return Json(v); }
  static void resolve(Json&, const std::string&, ConfigDoc&) {}
};

template <>
struct ValueTraits<bool> {
  static bool parse(const Json& j, const std::string& path, const Context& c, const Limits&) {
    if (!j.is_boolean()) {
      c.fail(path, "expected true or false, got " + describe_json_value(j));
    }
    return j.get<bool>();
  }
  static Json schema(const Limits&) { return Json{{"type", "boolean"}}; }
  static Json to_json(const bool& v) { return Json(v); }
  static void resolve(Json&, const std::string&, ConfigDoc&) {}
};

template <>
struct ValueTraits<std::string> {
  static std::string parse(const Json& j, const std::string& path, const Context& c,
                           const Limits&) {
    if (!j.is_string()) {
      c.fail(path, "expected a string, got " + describe_json_value(j));
    }
    return j.get<std::string>();
  }
  static Json schema(const Limits&) { return Json{{"type", "string"}}; }
  static Json to_json(const std::string& v) { return Json(v); }
  static void resolve(Json&, const std::string&, ConfigDoc&) {}
};

template <class E>
struct ValueTraits<E, std::enable_if_t<is_enum_named<E>::value>> {
  static std::string choices() {
    std::string s;
    for (const auto& [v, n] : EnumNames<E>::names()) {
      s += (s.empty() ? "" : ", ") + std::string("\"") + n + "\"";
    }
    return s;
  }
  static E parse(const Json& j, const std::string& path, const Context& c, const Limits&) {
    if (j.is_string()) {
      for (const auto& [v, n] : EnumNames<E>::names()) {
        if (j.get<std::string>() == n) {
          return v;
        }
      }
    }
    c.fail(path, "expected one of " + choices() + ", got " + describe_json_value(j));
  }
  static Json schema(const Limits&) {
    Json values = Json::array();
    for (const auto& [v, n] : EnumNames<E>::names()) {
      values.push_back(n);
    }
    return Json{{"type", "string"}, {"enum", values}};
  }
  static Json to_json(const E& v) { return Json(enum_name(v)); }
  static void resolve(Json&, const std::string&, ConfigDoc&) {}
};

template <class T>
struct ValueTraits<std::optional<T>> {
  static std::optional<T> parse(const Json& j, const std::string& path, const Context& c,
                                const Limits& l) {
    if (j.is_null()) {
      return std::nullopt;
    }
    return ValueTraits<T>::parse(j, path, c, l);
  }
  static Json schema(const Limits& l) { return ValueTraits<T>::schema(l); }
  static Json to_json(const std::optional<T>& v) {
    return v ? ValueTraits<T>::to_json(*v) : Json(nullptr);
  }
  static void resolve(Json& j, const std::string& path, ConfigDoc& doc) {
    if (!j.is_null()) {
      ValueTraits<T>::resolve(j, path, doc);
    }
  }
};

template <class T>
struct ValueTraits<std::vector<T>> {
  static std::vector<T> parse(const Json& j, const std::string& path, const Context& c,
                              const Limits& l) {
    if (!j.is_array()) {
      c.fail(path, "expected an array, got " + describe_json_value(j));
    }
    std::vector<T> out;
    out.reserve(j.size());
    for (size_t i = 0; i < j.size(); ++i) {
      out.push_back(ValueTraits<T>::parse(j[i], join_path(path, i), c, l));
    }
    return out;
  }
  static Json schema(const Limits& l) {
    return Json{{"type", "array"}, {"items", ValueTraits<T>::schema(l)}};
  }
  static Json to_json(const std::vector<T>& v) {
    Json out = Json::array();
    for (const auto& x : v) {
      out.push_back(ValueTraits<T>::to_json(x));
    }
    return out;
  }
  static void resolve(Json& j, const std::string& path, ConfigDoc& doc) {
    if (!j.is_array()) {
      return;
    }
    for (size_t i = 0; i < j.size(); ++i) {
      ValueTraits<T>::resolve(j[i], join_path(path, i), doc);
    }
  }
};

template <class T>
struct ValueTraits<std::map<std::string, T>> {
  static std::map<std::string, T> parse(const Json& j, const std::string& path, const Context& c,
                                        const Limits& l) {
    if (!j.is_object()) {
      c.fail(path, "expected an object, got " + describe_json_value(j));
    }
    std::map<std::string, T> out;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "source" || it.key() == "sources") {
        continue;
      }
      out.emplace(it.key(), ValueTraits<T>::parse(it.value(), join_path(path, it.key()), c, l));
    }
    return out;
  }
  static Json schema(const Limits& l) {
    return Json{{"type", "object"}, {"additionalProperties", ValueTraits<T>::schema(l)}};
  }
  static Json to_json(const std::map<std::string, T>& v) {
    Json out = Json::object();
    for (const auto& [k, x] : v) {
      out[k] = ValueTraits<T>::to_json(x);
    }
    return out;
  }
  static void resolve(Json&, const std::string&, ConfigDoc&) {}
};

// Inlines a preset given by name (see has_preset_kind) and records where its values came from.
void inline_preset(Json& j, const std::string& path, ConfigDoc& doc, const PresetKind& kind);

template <class T>
struct ValueTraits<T, std::enable_if_t<is_described<T>::value>> {
  static T parse(const Json& j, const std::string& path, const Context& c, const Limits&) {
    if (!j.is_object()) {
      c.fail(path, std::string("expected an object (") + Describe<T>::doc + "), got " +
                       describe_json_value(j));
    }
    const auto& fl = fields_of<T>();
    std::vector<std::string> names;
    for (const auto& f : fl.fields()) {
      names.push_back(f.key);
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& key = it.key();
      if (key == "source" || key == "sources") {
        continue;
      }
      bool known = false;
      for (const auto& n : names) {
        known = known || n == key;
      }
      if (!known) {
        std::string list;
        for (const auto& n : names) {
          list += (list.empty() ? "" : ", ") + n;
        }
        c.fail(join_path(path, key), "unknown key (expected one of: " + list + ")");
      }
    }
    detail::check_source_keys(j, path, c, names);
    T obj{};
    for (const auto& f : fl.fields()) {
      auto it = j.find(f.key);
      if (it == j.end() || it->is_null()) {
        if (f.required) {
          c.fail(join_path(path, f.key), "missing required key (" + f.doc + ")");
        }
        continue;
      }
      f.parse(obj, *it, join_path(path, f.key), c);
    }
    Check check(c, path);
    for (const auto& fn : fl.checks()) {
      fn(obj, check);
    }
    return obj;
  }
  static Json schema(const Limits&) {
    Json props = detail::source_schema_properties();
    Json required = Json::array();
    for (const auto& f : fields_of<T>().fields()) {
      props[f.key] = f.schema();
      if (f.required) {
        required.push_back(f.key);
      }
    }
    Json s{{"type", "object"}, {"description", Describe<T>::doc}, {"properties", props}};
    if (!required.empty()) {
      s["required"] = required;
    }
    s["additionalProperties"] = false;
    if constexpr (has_preset_kind<T>::value) {
      return Json{
          {"description", s["description"]},
          {"anyOf", Json::array({Json{{"type", "string"},
                                      {"description", "name of a preset in " +
                                                          Describe<T>::preset_kind().directory}},
                                 s})}};
    }
    return s;
  }
  static Json to_json(const T& obj) {
    Json out = Json::object();
    for (const auto& f : fields_of<T>().fields()) {
      Json v = f.to_json(obj);
      if (!v.is_null()) {
        out[f.key] = std::move(v);
      }
    }
    return out;
  }
  static void resolve(Json& j, const std::string& path, ConfigDoc& doc) {
    if constexpr (has_preset_kind<T>::value) {
      if (j.is_string()) {
        inline_preset(j, path, doc, Describe<T>::preset_kind());
      }
    }
    if (!j.is_object()) {
      return;
    }
    for (const auto& f : fields_of<T>().fields()) {
      auto it = j.find(f.key);
      if (it != j.end()) {
        f.resolve(*it, join_path(path, f.key), doc);
      }
    }
  }
};

// ---- entry points ---------------------------------------------------------------------------

// Inlines presets referenced by name anywhere in the document (call before overrides).
template <class T>
void resolve_references(ConfigDoc& doc) {
  ValueTraits<T>::resolve(doc.root, doc.root_name, doc);
}

// Parses and validates the whole document into T.
template <class T>
T parse(const ConfigDoc& doc) {
  Context ctx(doc);
  return ValueTraits<T>::parse(doc.root, doc.root_name, ctx, Limits{});
}

template <class T>
Json to_json(const T& value) {
  return ValueTraits<T>::to_json(value);
}

// A JSON Schema (draft 2020-12) for a file holding T; the file may also say "extends".
template <class T>
Json file_schema(const std::string& id, const std::string& title) {
  Json s = ValueTraits<T>::schema(Limits{});
  if (s.contains("anyOf")) {
    s = s["anyOf"][1];
  }
  Json out{
      {"$schema", "https://json-schema.org/draft/2020-12/schema"}, {"$id", id}, {"title", title}};
  for (auto it = s.begin(); it != s.end(); ++it) {
    out[it.key()] = it.value();
  }
  out["properties"]["extends"] = Json{
      {"type", "string"},
      {"description", "preset name or relative path of a file whose keys this file overrides"}};
  out["properties"]["$schema"] = Json{{"type", "string"}};
  return out;
}

}  // namespace cimsim::config
