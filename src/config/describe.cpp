#include "cimsim/config/describe.hpp"

#include <cstdio>

namespace cimsim::config {

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::floor(v) == v && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string describe_json_value(const Json& value) {
  std::string text;
  if (value.is_string()) {
    text = quote_for_message(value.get<std::string>());
  } else if (value.is_object()) {
    text = "an object";
  } else if (value.is_array()) {
    text = "an array";
  } else if (value.is_null()) {
    text = "null";
  } else {
    text = value.dump();
  }
  return text;
}

namespace detail {

bool within(const Limits& l, double v) {
  if (l.min_exclusive ? !(v > l.min) : !(v >= l.min)) return false;
  return v <= l.max;
}

namespace {
std::string bounds_text(const Limits& l, double type_min, double type_max) {
  bool has_min = l.min > type_min || l.min_exclusive;
  bool has_max = l.max < type_max;
  if (has_min && has_max && !l.min_exclusive) {
    return " in [" + format_number(l.min) + ", " + format_number(l.max) + "]";
  }
  std::string s;
  if (has_min) s += std::string(l.min_exclusive ? " > " : " >= ") + format_number(l.min);
  if (has_max) s += std::string(has_min ? " and" : "") + " <= " + format_number(l.max);
  return s;
}
}  // namespace

std::string integer_expectation(const Limits& l, double type_min, double type_max) {
  Limits eff = l;
  if (eff.min < type_min) eff.min = type_min;
  if (eff.max > type_max) eff.max = type_max;
  // For unsigned types the lower bound 0 is worth saying; the type's upper bound is not.
  return "an integer" + bounds_text(eff, type_min < 0 ? type_min : -1.0, type_max);
}

std::string number_expectation(const Limits& l) {
  return "a finite number" + bounds_text(l, -std::numeric_limits<double>::infinity(),
                                         std::numeric_limits<double>::infinity());
}

void add_limits_to_schema(Json& schema, const Limits& l, double type_min, double type_max) {
  double lo = std::max(l.min, type_min);
  if (std::isfinite(lo)) {
    if (l.min_exclusive) {
      schema["exclusiveMinimum"] = lo;
    } else if (schema["type"] == "integer") {
      schema["minimum"] = static_cast<int64_t>(lo);
    } else {
      schema["minimum"] = lo;
    }
  }
  double hi = std::min(l.max, type_max);
  if (std::isfinite(hi) && hi < 9.0e15) {
    if (schema["type"] == "integer") {
      schema["maximum"] = static_cast<int64_t>(hi);
    } else {
      schema["maximum"] = hi;
    }
  }
}

void check_source_keys(const Json& obj, const std::string& path, const Context& ctx,
                       const std::vector<std::string>& field_names) {
  auto s = obj.find("source");
  if (s != obj.end() && !s->is_string()) {
    ctx.fail(join_path(path, "source"),
             "expected a string naming where the values come from, got " + describe_json_value(*s));
  }
  auto ss = obj.find("sources");
  if (ss == obj.end()) return;
  if (!ss->is_object()) {
    ctx.fail(join_path(path, "sources"),
             "expected an object of key -> source text, got " + describe_json_value(*ss));
  }
  for (auto it = ss->begin(); it != ss->end(); ++it) {
    std::string where = join_path(join_path(path, "sources"), it.key());
    if (!it.value().is_string()) {
      ctx.fail(where, "expected a string naming a source, got " + describe_json_value(it.value()));
    }
    bool known = field_names.empty();
    for (const auto& n : field_names) known = known || n == it.key();
    if (!known) ctx.fail(where, "cites a source for a key this object does not have");
  }
}

Json source_schema_properties() {
  return Json{{"source", Json{{"type", "string"},
                              {"description", "where this object's constants come from"}}},
              {"sources", Json{{"type", "object"},
                               {"description", "per-key sources: key -> citation"},
                               {"additionalProperties", Json{{"type", "string"}}}}}};
}

}  // namespace detail

void inline_preset(Json& j, const std::string& path, ConfigDoc& doc, const PresetKind& kind) {
  std::string name = j.get<std::string>();
  ConfigDoc sub;
  try {
    sub = load_config(kind, name);
  } catch (const InputError& e) {
    throw InputError(doc.where(path), e.what());
  }
  doc.provenance.graft(sub.provenance, kind.root_name, path);
  j = std::move(sub.root);
}

}  // namespace cimsim::config
