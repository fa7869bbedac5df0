// Trace files, format version 1: JSON Lines (docs/trace-format.md).
//
// Line 1 is the header (format name and version, model, mode, every workload parameter, the
// weights and KV caches, the op count); every further line is one op, in trace order. Both
// directions stream: the writer pulls one op at a time from any OpSource, and the reader is
// itself an OpSource that holds one line and the current phase's activation ids, so memory
// stays flat however long the trace is.
//
// The reader is strict and names file and line in every error ("t.jsonl:17: op[15].in[1].id:
// references unknown tensor ..."): unknown keys, wrong types, unknown kinds, op ids out of
// order, phases out of order, an activation that no earlier op of its phase wrote, a weight
// or KV cache the header does not declare, a count that differs from the header's op_count,
// a truncated last line, and anything that is not JSON. The writer applies the same checks to
// what it writes (a source that breaks them is a bug: std::logic_error), so writing then
// reading gives back exactly the same header and ops.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "cimsim/common/json.hpp"
#include "cimsim/trace/source.hpp"

namespace cimsim::trace {

// The header and an op as the JSON object of their line.
Json header_to_json(const TraceHeader& header);
Json op_to_json(const Op& op);

// Writes the whole of `source` (header line, then one line per op); returns the ops written.
uint64_t write_trace(OpSource& source, std::ostream& out);
// The same into a file, atomically (temporary file + rename): on any error no file is left
// and an existing file is untouched.
uint64_t write_trace_file(OpSource& source, const std::string& path);

// Streams a trace file. The constructor reads and checks the header; next() reads and checks
// one op per call. Errors are InputErrors naming the file and line.
class TraceReader final : public OpSource {
 public:
  explicit TraceReader(const std::string& path);
  ~TraceReader() override;
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  const TraceHeader& header() const override;
  bool next(Op& op) override;

  // Longest line accepted (a header of a very deep model is ~100 KB; an op line < 2 KB).
  static constexpr size_t kMaxLineBytes = 16u << 20;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// A reader over `path`, as a factory would make it.
std::unique_ptr<OpSource> open_trace(const std::string& path);

}  // namespace cimsim::trace
