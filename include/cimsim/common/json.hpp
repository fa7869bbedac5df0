// The JSON type used throughout cimsim. ordered_json keeps keys in insertion order, so
// reports read naturally ("schema_version" first) and are byte-identical run to run.
#pragma once

#include <nlohmann/json.hpp>

namespace cimsim {
using Json = nlohmann::ordered_json;
}  // namespace cimsim
