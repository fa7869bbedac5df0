// The axis list and the type-independent parts of Choice<A> parsing, schema and JSON form.
#include "cimsim/config/registry.hpp"

#include <algorithm>

namespace cimsim::config {
namespace {

std::vector<AxisInfo>& axes() {
  static std::vector<AxisInfo> list;
  return list;
}

std::string quoted_names(const std::vector<const ImplementationInfo*>& impls) {
  std::string s;
  for (const auto* impl : impls) s += (s.empty() ? "\"" : ", \"") + impl->name + "\"";
  return s;
}

const ImplementationInfo* find(const std::vector<const ImplementationInfo*>& impls,
                               const std::string& name) {
  for (const auto* impl : impls) {
    if (impl->name == name) return impl;
  }
  return nullptr;
}

}  // namespace

void register_axis(AxisInfo axis) {
  axes().push_back(std::move(axis));
}

std::vector<AxisInfo> registered_axes() {
  std::vector<AxisInfo> out = axes();
  std::sort(out.begin(), out.end(),
            [](const AxisInfo& a, const AxisInfo& b) { return a.key < b.key; });
  return out;
}

namespace detail {

ChoiceParse parse_choice(const Json& j, const std::string& path, const Context& c,
                         const std::vector<const ImplementationInfo*>& impls,
                         const char* axis_doc) {
  const std::string expected = std::string("one of ") + quoted_names(impls) + " (" + axis_doc +
                               "), or an object {\"name\": ..., parameters}";
  ChoiceParse out;
  if (j.is_string()) {
    out.name = j.get<std::string>();
    out.impl = find(impls, out.name);
    if (out.impl == nullptr)
      c.fail(path, "expected " + expected + ", got " + describe_json_value(j));
    out.params = out.impl->default_params();
    return out;
  }
  if (!j.is_object()) c.fail(path, "expected " + expected + ", got " + describe_json_value(j));
  auto name = j.find("name");
  if (name == j.end()) c.fail(join_path(path, "name"), "missing required key (" + expected + ")");
  if (!name->is_string() || find(impls, name->get<std::string>()) == nullptr) {
    c.fail(join_path(path, "name"),
           "expected one of " + quoted_names(impls) + ", got " + describe_json_value(*name));
  }
  out.name = name->get<std::string>();
  out.impl = find(impls, out.name);
  std::vector<std::string> allowed = out.impl->param_keys;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (key == "name" || key == "source" || key == "sources") continue;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list = "name";
      for (const auto& k : allowed) list += ", " + k;
      c.fail(join_path(path, key),
             "unknown key for \"" + out.name + "\" (expected one of: " + list + ")");
    }
  }
  check_source_keys(j, path, c, allowed);
  out.params = out.impl->parse_params(j, path, c);
  return out;
}

Json choice_schema(const std::vector<const ImplementationInfo*>& impls, const char* axis_doc) {
  Json names = Json::array();
  std::string described;
  for (const auto* impl : impls) {
    names.push_back(impl->name);
    described += (described.empty() ? "" : "; ") + impl->name + ": " + impl->description;
  }
  const std::string doc = std::string(axis_doc) + " (" + described + ")";
  // The object form: "name" plus the chosen implementation's parameters. `properties` holds
  // the union (for --set paths and editors); `oneOf` ties each name to its own keys.
  Json props = source_schema_properties();
  props["name"] = Json{{"type", "string"}, {"enum", names}, {"description", "implementation"}};
  Json one_of = Json::array();
  for (const auto* impl : impls) {
    Json own = impl->params_schema();
    Json keys = Json::array({"name", "source", "sources"});
    for (auto it = own.begin(); it != own.end(); ++it) {
      keys.push_back(it.key());
      if (!props.contains(it.key())) props[it.key()] = it.value();
    }
    one_of.push_back(Json{{"properties", Json{{"name", Json{{"const", impl->name}}}}},
                          {"propertyNames", Json{{"enum", keys}}}});
  }
  Json object{{"type", "object"},
              {"description", doc},
              {"properties", props},
              {"required", Json::array({"name"})},
              {"additionalProperties", false},
              {"oneOf", one_of}};
  return Json{{"description", doc},
              {"anyOf", Json::array({Json{{"type", "string"}, {"enum", names}}, object})}};
}

Json choice_to_json(const std::string& name, const Params& params,
                    const std::vector<const ImplementationInfo*>& impls) {
  const ImplementationInfo* impl = find(impls, name);
  if (impl == nullptr || impl->param_keys.empty()) return Json(name);
  Json out{{"name", name}};
  Json values = impl->params_to_json(params.empty() ? impl->default_params() : params);
  for (auto it = values.begin(); it != values.end(); ++it) out[it.key()] = it.value();
  return out;
}

}  // namespace detail
}  // namespace cimsim::config
