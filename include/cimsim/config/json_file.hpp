// Loading JSON config files: strict parsing, `extends`, and where every value came from.
//
// A config file is one JSON object. Parsing rejects what nlohmann::json would accept
// silently: duplicate keys, nesting deeper than kMaxDepth (a deeply nested file would
// otherwise exhaust the stack), and non-finite numbers. A syntax error names the file, line
// and column. A file may say "extends": "<preset name or relative path>"; the base is loaded
// first (recursively, cycles are an error) and the file's keys are merged over it: objects
// merge key by key, anything else replaces. Provenance remembers, for every JSON path, which
// file (or which --set) supplied it, so a later validation error names the right file.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cimsim/common/json.hpp"

namespace cimsim::config {

constexpr int kMaxDepth = 64;

// JSON path -> origin ("configs/machines/a100.json" or "--set machine.x=1").
class Provenance {
 public:
  void set(const std::string& path, const std::string& origin) { origins_[path] = origin; }
  // The origin of `path`, or of its nearest recorded ancestor; empty if none.
  std::string origin(const std::string& path) const;
  // Records `origin` for `path` and every node below it in `value`.
  void set_tree(const std::string& path, const Json& value, const std::string& origin);
  // Moves every record under `from` to live under `to` (used when a preset is inlined).
  void graft(const Provenance& other, const std::string& from, const std::string& to);

 private:
  std::map<std::string, std::string> origins_;
};

// A loaded config: the merged JSON tree, the kind's root name for paths ("machine",
// "workload", "memory") and the provenance of each value.
struct ConfigDoc {
  Json root;
  std::string root_name;
  std::string file;  // the file the user named (or the preset's file)
  Provenance provenance;

  // "file: path" for error messages; the file is the origin of `path`.
  std::string where(const std::string& path) const;
};

// Child path helpers: "a.b" + "c" -> "a.b.c"; "a" + index 3 -> "a[3]".
std::string join_path(const std::string& parent, const std::string& key);
std::string join_path(const std::string& parent, size_t index);

// Parses JSON text strictly (see above). `file` is used in error messages; `first_line` is
// the line number of the text's first line in that file (a JSON Lines reader passes the
// line it parses, so messages say file:line:column).
Json parse_json_strict(const std::string& text, const std::string& file, size_t first_line = 1);

// Reads and parses a file strictly; a missing or unreadable file is an InputError.
Json read_json_file(const std::string& path);

// Where presets of a kind live and how to find one by name.
struct PresetKind {
  std::string root_name;  // "machine", "workload", "memory"
  std::string directory;  // relative to the data dir: "configs/machines", "workloads", ...
};
const PresetKind& machine_kind();
const PresetKind& workload_kind();
const PresetKind& memory_kind();

// The data directory holding configs/ and workloads/: $CIMSIM_DATA_DIR or the build default.
std::string data_dir();

// Resolves NAME (a preset of `kind`) or FILE (a path that exists, or ends in .json) to a file.
// Unknown names are an InputError listing the known presets.
std::string resolve_preset_path(const PresetKind& kind, const std::string& name_or_file,
                                const std::string& relative_to = "");

// Preset names of a kind, sorted.
std::vector<std::string> list_presets(const PresetKind& kind);

// Loads a config by preset name or path, following `extends`.
ConfigDoc load_config(const PresetKind& kind, const std::string& name_or_file);

}  // namespace cimsim::config
