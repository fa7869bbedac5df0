// `--set dotted.path=value` overrides.
//
// The path is checked against the config's JSON Schema, so a setting that exists with a
// default can be overridden even when the file does not mention it, and a misspelt path is
// an error listing what exists at that level. The value is parsed as JSON when it is valid
// JSON (4, 1.5, true, "x", [1,2]) and taken as a string otherwise (open_page); the typed
// parse that follows checks it like any other value.
#pragma once

#include <string>
#include <vector>

#include "cimsim/common/json.hpp"
#include "cimsim/config/json_file.hpp"

namespace cimsim::config {

struct Assignment {
  std::string root;   // "machine", "workload"
  std::string path;   // below the root: "hbm.channels"
  std::string value;  // raw text after '='
  std::string text;   // where it came from, for messages: "--set machine.x=1", "--prompt 64"
};

// Splits "machine.hbm.channels=4". A missing '=' or empty path is an InputError.
Assignment parse_assignment(const std::string& text);

// True if the schema has a setting at `path` (dotted, may contain [i]).
bool schema_has_path(const Json& schema, const std::string& path, std::string* known_here);

// Applies one assignment to the document; throws InputError naming the --set if the path is
// not a setting of this config kind.
void apply_assignment(ConfigDoc& doc, const Assignment& assignment, const Json& schema);

}  // namespace cimsim::config
