// One trace line <-> JSON (internal to src/trace; the layout is docs/trace-format.md).
//
// The *_from_json functions are strict: an unknown key, a missing key, a wrong type or an
// unknown enum name is an InputError whose "where" is the JSON path inside the line
// ("header.weights[3].shape", "op[15].in[1].id"); the reader prefixes file and line.
#pragma once

#include "cimsim/common/json.hpp"
#include "cimsim/trace/source.hpp"

namespace cimsim::trace::detail {

constexpr const char* kFormatName = "cimsim-trace";

Json header_to_json(const TraceHeader& h);
Json op_to_json(const Op& op);
// Appends op_to_json(op).dump() to `out`, without building the JSON tree (the writer's hot
// path; a test checks that both give the same text).
void append_op_line(const Op& op, std::string& out);

TraceHeader header_from_json(const Json& j);
// `index` is the op's position in the trace, used in paths ("op[15]").
Op op_from_json(const Json& j, uint64_t index);

// Which shape struct an op kind carries: "mm", "attn" or "rows".
const char* shape_key(OpKind kind);

}  // namespace cimsim::trace::detail
