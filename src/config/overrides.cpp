#include "cimsim/config/overrides.hpp"

#include "cimsim/common/error.hpp"

namespace cimsim::config {
namespace {

struct Segment {
  std::string key;  // empty for a pure index segment
  std::vector<size_t> indices;
};

std::vector<Segment> split_path(const std::string& path, const std::string& text) {
  std::vector<Segment> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t dot = path.find('.', pos);
    std::string part = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    Segment seg;
    size_t bracket = part.find('[');
    seg.key = part.substr(0, bracket);
    while (bracket != std::string::npos) {
      size_t close = part.find(']', bracket);
      if (close == std::string::npos) throw InputError(text, "unbalanced [ in path");
      std::string index = part.substr(bracket + 1, close - bracket - 1);
      if (index.empty() || index.size() > 9 ||
          index.find_first_not_of("0123456789") != std::string::npos) {
        throw InputError(
            text, "array index must be a number below 10^9, got " + quote_for_message(index));
      }
      seg.indices.push_back(std::stoul(index));
      bracket = part.find('[', close);
    }
    if (seg.key.empty()) throw InputError(text, "empty path segment");
    out.push_back(seg);
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return out;
}

// The object alternative of a "preset name or object" schema.
const Json& unwrap(const Json& schema) {
  if (schema.contains("anyOf")) {
    for (const auto& alt : schema["anyOf"]) {
      if (alt.value("type", "") == "object") return alt;
    }
  }
  return schema;
}

// The schema of a registry choice (config/registry.hpp): a name, or an object with "name".
bool is_choice(const Json& schema) {
  const Json& s = unwrap(schema);
  if (&s == &schema || !s.contains("required")) return false;
  for (const auto& r : s["required"]) {
    if (r == "name") return true;
  }
  return false;
}

const Json* child_schema(const Json& schema, const std::string& key) {
  const Json& s = unwrap(schema);
  if (s.contains("properties") && s["properties"].contains(key)) return &s["properties"][key];
  if (s.contains("additionalProperties") && s["additionalProperties"].is_object()) {
    return &s["additionalProperties"];
  }
  return nullptr;
}

std::string keys_of(const Json& schema) {
  const Json& s = unwrap(schema);
  std::string list;
  if (s.contains("properties")) {
    for (auto it = s["properties"].begin(); it != s["properties"].end(); ++it) {
      if (it.key() == "source" || it.key() == "sources" || it.key() == "extends" ||
          it.key() == "$schema") {
        continue;
      }
      list += (list.empty() ? "" : ", ") + it.key();
    }
  }
  return list;
}

}  // namespace

Assignment parse_assignment(const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw InputError("--set " + quote_for_message(text),
                     "expected dotted.path=value (for example machine.hbm.channels=8)");
  }
  std::string full = text.substr(0, eq);
  size_t dot = full.find('.');
  Assignment a;
  // The text names the setting in messages: keep it short (a value may be huge).
  a.text = "--set " + (text.size() > 120 ? text.substr(0, 117) + "..." : text);
  a.value = text.substr(eq + 1);
  a.root = full.substr(0, dot);
  a.path = dot == std::string::npos ? "" : full.substr(dot + 1);
  if (a.path.empty()) {
    throw InputError("--set " + text, "expected a path below " + quote_for_message(a.root) +
                                          " (for example " + a.root + ".name=x)");
  }
  return a;
}

bool schema_has_path(const Json& schema, const std::string& path, std::string* known_here) {
  const Json* node = &schema;
  for (const Segment& seg : split_path(path, path)) {
    const Json* next = child_schema(*node, seg.key);
    if (next == nullptr) {
      if (known_here != nullptr) *known_here = keys_of(*node);
      return false;
    }
    node = next;
    for (size_t i = 0; i < seg.indices.size(); ++i) {
      const Json& s = unwrap(*node);
      if (!s.contains("items")) {
        if (known_here != nullptr) *known_here = "(not an array)";
        return false;
      }
      node = &s["items"];
    }
  }
  return true;
}

void apply_assignment(ConfigDoc& doc, const Assignment& a, const Json& schema) {
  std::string known;
  if (!schema_has_path(schema, a.path, &known)) {
    throw InputError(a.text, "no setting " + a.root + "." + a.path + " in " + doc.file +
                                 (known.empty() ? "" : " (there: " + known + ")"));
  }
  Json value;
  try {
    value = parse_json_strict(a.value, "--set");
  } catch (const InputError&) {
    value = a.value;  // not JSON: a bare word is a string
  }
  Json* node = &doc.root;
  const Json* node_schema = &schema;
  std::string path = doc.root_name;
  for (const Segment& seg : split_path(a.path, a.text)) {
    // An object the file leaves out (all defaults) is created by the first setting in it.
    if (node->is_null()) *node = Json::object();
    // A registry choice given by name takes a parameter as {"name": ..., parameter}.
    if (node->is_string() && is_choice(*node_schema)) *node = Json{{"name", *node}};
    if (!node->is_object()) {
      throw InputError(a.text, path + " is not an object in " + doc.file);
    }
    node = &(*node)[seg.key];
    node_schema = child_schema(*node_schema, seg.key);
    path = join_path(path, seg.key);
    for (size_t index : seg.indices) {
      if (!node->is_array() || index >= node->size()) {
        throw InputError(a.text, path + " has no element [" + std::to_string(index) + "]");
      }
      node = &(*node)[index];
      node_schema = &unwrap(*node_schema)["items"];
      path = join_path(path, index);
    }
  }
  *node = value;
  doc.provenance.set_tree(path, value, a.text);
}

}  // namespace cimsim::config
