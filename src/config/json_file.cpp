#include "cimsim/config/json_file.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "cimsim/common/error.hpp"

namespace cimsim::config {
namespace fs = std::filesystem;

std::string Provenance::origin(const std::string& path) const {
  std::string p = path;
  for (;;) {
    auto it = origins_.find(p);
    if (it != origins_.end()) return it->second;
    size_t cut = p.find_last_of(".[");
    if (cut == std::string::npos || cut == 0) break;
    p.resize(cut);
  }
  auto it = origins_.find(p);
  return it != origins_.end() ? it->second : std::string();
}

void Provenance::set_tree(const std::string& path, const Json& value, const std::string& origin) {
  set(path, origin);
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      set_tree(join_path(path, it.key()), it.value(), origin);
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) set_tree(join_path(path, i), value[i], origin);
  }
}

void Provenance::graft(const Provenance& other, const std::string& from, const std::string& to) {
  for (const auto& [path, origin] : other.origins_) {
    if (path == from) {
      origins_[to] = origin;
    } else if (path.compare(0, from.size(), from) == 0 &&
               (path[from.size()] == '.' || path[from.size()] == '[')) {
      origins_[to + path.substr(from.size())] = origin;
    }
  }
}

std::string ConfigDoc::where(const std::string& path) const {
  std::string origin = provenance.origin(path);
  if (origin.empty()) origin = file;
  return origin.empty() ? path : origin + ": " + path;
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string join_path(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

namespace {

// nlohmann's parser is iterative, but destroying or walking a very deep tree is not; reject
// deep nesting before parsing. Brackets inside strings do not count.
void check_depth(const std::string& text, const std::string& file, size_t first_line) {
  int depth = 0;
  bool in_string = false, escaped = false;
  size_t line = first_line, column = 0;
  for (char c : text) {
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
    }
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) {
        throw InputError(
            file + ":" + std::to_string(line) + ":" + std::to_string(column),
            "invalid JSON: nesting deeper than " + std::to_string(kMaxDepth) + " levels");
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
}

std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7f) ? '?' : c;
  }
  return out;
}

// nlohmann says "[json.exception.parse_error.101] parse error at line 3, column 7: syntax
// error while parsing ..."; keep the part after the position, which we print ourselves.
std::string parse_error_detail(const std::string& what) {
  size_t col = what.find("column ");
  if (col != std::string::npos) {
    size_t colon = what.find(": ", col);
    if (colon != std::string::npos) return one_line(what.substr(colon + 2));
  }
  size_t bracket = what.find("] ");
  return one_line(bracket == std::string::npos ? what : what.substr(bracket + 2));
}

// NaN and Infinity are not JSON; nlohmann reports them as an invalid literal at or just
// after their first letter. Returns where such a literal starts and the literal, if the
// error is one.
std::optional<std::pair<size_t, std::string>> non_finite_literal(const std::string& text,
                                                                 size_t at) {
  for (size_t back = 0; back <= 2 && back <= at; ++back) {
    size_t start = at - back;
    if (start > 0 && text[start - 1] == '-') {
      --start;
    }
    for (const char* word : {"-Infinity", "Infinity", "-NaN", "NaN", "nan", "-inf", "inf"}) {
      if (text.compare(start, std::strlen(word), word) == 0) {
        return std::make_pair(start, std::string(word));
      }
    }
  }
  return std::nullopt;
}

// First occurrence of `token` outside string literals, or npos.
size_t find_outside_strings(const std::string& text, const std::string& token) {
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (text.compare(i, token.size(), token) == 0) {
      return i;
    }
  }
  return std::string::npos;
}

}  // namespace

Json parse_json_strict(const std::string& text, const std::string& file, size_t first_line) {
  check_depth(text, file, first_line);
  const std::string file_line = first_line == 1 ? file : file + ":" + std::to_string(first_line);
  // Duplicate keys: nlohmann keeps the last silently; a config with two values for one key
  // is almost always a mistake, so it is an error naming the path.
  std::vector<std::set<std::string>> keys_per_object;
  std::vector<std::string> path_stack;
  std::string pending_key;
  auto callback = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        keys_per_object.emplace_back();
        path_stack.push_back(pending_key);
        break;
      case Json::parse_event_t::object_end:
        keys_per_object.pop_back();
        path_stack.pop_back();
        break;
      case Json::parse_event_t::key: {
        std::string key = parsed.get<std::string>();
        if (!keys_per_object.back().insert(key).second) {
          std::string path;
          for (size_t i = 1; i < path_stack.size(); ++i) path = join_path(path, path_stack[i]);
          throw InputError(file_line, "invalid JSON: duplicate key " + quote_for_message(key) +
                                          (path.empty() ? " at the top level" : " in " + path));
        }
        pending_key = key;
        break;
      }
      default:
        break;
    }
    return true;
  };
  // "file:line:column" of byte offset `end` in `text`.
  auto position = [&](size_t end) {
    size_t line = first_line, column = 1;
    end = std::min(end, text.size());
    for (size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  };
  try {
    return Json::parse(text, callback);
  } catch (const Json::parse_error& e) {
    size_t at = e.byte > 0 ? e.byte - 1 : 0;
    if (auto literal = non_finite_literal(text, at)) {
      throw InputError(position(literal->first),
                       "invalid JSON: " + quote_for_message(literal->second) +
                           " is not a JSON number (expected a finite "
                           "number)");
    }
    throw InputError(position(at), "invalid JSON: " + parse_error_detail(e.what()));
  } catch (const Json::out_of_range& e) {
    // A number too large for a double ("1e999") carries no position; find it.
    std::string detail = parse_error_detail(e.what());
    size_t quote = detail.find('\'');
    if (quote != std::string::npos) {
      std::string token = detail.substr(quote + 1, detail.rfind('\'') - quote - 1);
      size_t found = find_outside_strings(text, token);
      if (!token.empty() && found != std::string::npos) {
        throw InputError(position(found), "invalid JSON: number " + quote_for_message(token) +
                                              " is out of range (expected a finite number)");
      }
    }
    throw InputError(file_line, "invalid JSON: " + detail);
  } catch (const Json::exception& e) {
    throw InputError(file_line, "invalid JSON: " + parse_error_detail(e.what()));
  }
}

Json read_json_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw InputError(path, "is a directory, expected a JSON file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_json_strict(ss.str(), path);
}

const PresetKind& machine_kind() {
  static const PresetKind kind{"machine", "configs/machines"};
  return kind;
}
const PresetKind& workload_kind() {
  static const PresetKind kind{"workload", "workloads"};
  return kind;
}
const PresetKind& memory_kind() {
  static const PresetKind kind{"memory", "configs/memory"};
  return kind;
}

std::string data_dir() {
  const char* env = std::getenv("CIMSIM_DATA_DIR");
  if (env != nullptr && *env != '\0') return env;
  return CIMSIM_DEFAULT_DATA_DIR;
}

std::vector<std::string> list_presets(const PresetKind& kind) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(data_dir()) / kind.directory, ec)) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string resolve_preset_path(const PresetKind& kind, const std::string& name_or_file,
                                const std::string& relative_to) {
  bool looks_like_path =
      name_or_file.find('/') != std::string::npos ||
      (name_or_file.size() > 5 && name_or_file.compare(name_or_file.size() - 5, 5, ".json") == 0);
  if (looks_like_path) {
    fs::path p(name_or_file);
    if (p.is_relative() && !relative_to.empty()) {
      fs::path candidate = fs::path(relative_to).parent_path() / p;
      if (fs::exists(candidate)) return candidate.lexically_normal().string();
    }
    if (fs::exists(p)) return p.string();
    throw InputError(name_or_file, "no such " + kind.root_name + " config file");
  }
  fs::path preset = fs::path(data_dir()) / kind.directory / (name_or_file + ".json");
  if (fs::exists(preset)) return preset.string();
  std::string known;
  for (const auto& n : list_presets(kind)) known += (known.empty() ? "" : ", ") + n;
  throw InputError("unknown " + kind.root_name + " preset " + quote_for_message(name_or_file) +
                   " (expected a file path or one of: " + known + ")");
}

namespace {

void merge_over(Json& base, const Json& over, const std::string& path, const std::string& origin,
                Provenance& prov) {
  prov.set(path, origin);
  for (auto it = over.begin(); it != over.end(); ++it) {
    std::string child = join_path(path, it.key());
    auto found = base.find(it.key());
    if (found != base.end() && found->is_object() && it.value().is_object()) {
      merge_over(*found, it.value(), child, origin, prov);
    } else {
      base[it.key()] = it.value();
      prov.set_tree(child, it.value(), origin);
    }
  }
}

Json load_with_extends(const PresetKind& kind, const std::string& file,
                       std::vector<std::string>& chain, Provenance& prov) {
  std::error_code ec;  // a path the file system cannot resolve (a pipe) is compared as given
  std::string canonical = fs::weakly_canonical(file, ec).string();
  if (ec) {
    canonical = file;
  }
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    std::string cycle;
    for (const auto& c : chain) cycle += fs::path(c).filename().string() + " -> ";
    throw InputError(file, "cyclic \"extends\": " + cycle + fs::path(file).filename().string());
  }
  chain.push_back(canonical);
  Json doc = read_json_file(file);
  if (!doc.is_object()) {
    throw InputError(file, kind.root_name + ": expected a JSON object at the top level, got " +
                               std::string(doc.type_name()));
  }
  auto ext = doc.find("extends");
  if (ext == doc.end()) {
    prov.set_tree(kind.root_name, doc, file);
    chain.pop_back();
    return doc;
  }
  if (!ext->is_string()) {
    throw InputError(
        file, kind.root_name + ".extends: expected a preset name or file path, got " + ext->dump());
  }
  std::string base_file;
  try {
    base_file = resolve_preset_path(kind, ext->get<std::string>(), file);
  } catch (const InputError& e) {
    throw InputError(file, kind.root_name + ".extends: " + e.what());
  }
  Json base = load_with_extends(kind, base_file, chain, prov);
  doc.erase("extends");
  merge_over(base, doc, kind.root_name, file, prov);
  chain.pop_back();
  return base;
}

}  // namespace

ConfigDoc load_config(const PresetKind& kind, const std::string& name_or_file) {
  ConfigDoc doc;
  doc.root_name = kind.root_name;
  doc.file = resolve_preset_path(kind, name_or_file);
  std::vector<std::string> chain;
  doc.root = load_with_extends(kind, doc.file, chain, doc.provenance);
  return doc;
}

}  // namespace cimsim::config
