#include "cimsim/trace/trace_io.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <stdexcept>

#include "checker.hpp"
#include "cimsim/common/atomic_file.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/config/json_file.hpp"
#include "trace_json.hpp"

namespace cimsim::trace {

Json header_to_json(const TraceHeader& header) {
  return detail::header_to_json(header);
}
Json op_to_json(const Op& op) {
  return detail::op_to_json(op);
}

// ---- writer ------------------------------------------------------------------------------

uint64_t write_trace(OpSource& source, std::ostream& out) {
  const TraceHeader& header = source.header();
  // A source that breaks the format is a bug in the source, not bad input.
  auto bug = [](const InputError& e) {
    return std::logic_error(std::string("the trace being written breaks the trace format: ") +
                            e.what());
  };
  std::unique_ptr<detail::TraceChecker> checker;
  try {
    detail::check_header(header);
    checker = std::make_unique<detail::TraceChecker>(header);
  } catch (const InputError& e) {
    throw bug(e);
  }
  out << detail::header_to_json(header).dump() << '\n';
  Op op;
  std::string line;
  while (source.next(op)) {
    try {
      checker->check(op);
    } catch (const InputError& e) {
      throw bug(e);
    }
    line.clear();
    detail::append_op_line(op, line);
    line += '\n';
    out << line;
  }
  try {
    checker->finish();
  } catch (const InputError& e) {
    throw bug(e);
  }
  return checker->ops_checked();
}

uint64_t write_trace_file(OpSource& source, const std::string& path) {
  uint64_t ops = 0;
  write_file_atomic(path, [&](std::ostream& out) { ops = write_trace(source, out); });
  return ops;
}

// ---- reader ------------------------------------------------------------------------------

struct TraceReader::State {
  std::string path;
  std::ifstream in;
  std::array<char, 1 << 16> chunk{};
  size_t chunk_pos = 0, chunk_end = 0;
  uint64_t line_no = 0;  // of the line last read
  std::string line;
  TraceHeader header;
  std::unique_ptr<detail::TraceChecker> checker;
  bool done = false;

  std::string where() const { return path + ":" + std::to_string(line_no); }

  // Reads the next line into `line` (without its '\n'); false at a clean end of file.
  bool read_line() {
    line.clear();
    for (;;) {
      if (chunk_pos == chunk_end) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        chunk_pos = 0;
        chunk_end = static_cast<size_t>(in.gcount());
        if (chunk_end == 0) {
          if (in.bad()) {
            throw InputError(path, "read error");
          }
          if (line.empty()) {
            return false;
          }
          ++line_no;
          throw InputError(where(),
                           "truncated line: the file ends without a newline (an "
                           "interrupted write?)");
        }
      }
      const char* begin = chunk.data() + chunk_pos;
      const char* end = chunk.data() + chunk_end;
      const char* newline = std::find(begin, end, '\n');
      line.append(begin, newline);
      chunk_pos = static_cast<size_t>(newline - chunk.data());
      if (line.size() > kMaxLineBytes) {
        throw InputError(path + ":" + std::to_string(line_no + 1),
                         "line longer than " + std::to_string(kMaxLineBytes >> 20) +
                             " MiB (not a cimsim trace?)");
      }
      if (newline != end) {
        ++chunk_pos;
        ++line_no;
        return true;
      }
    }
  }

  Json parse_line() {
    if (line.empty()) {
      throw InputError(where(), "empty line (expected one JSON object)");
    }
    return config::parse_json_strict(line, path, line_no);
  }
};

TraceReader::TraceReader(const std::string& path) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.path = path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(path, "is a directory, expected a trace file");
  }
  s.in.open(path, std::ios::binary);
  if (!s.in) {
    throw InputError(path, "cannot open trace file");
  }
  if (!s.read_line()) {
    throw InputError(path, "empty file (expected a trace header line)");
  }
  try {
    s.header = detail::header_from_json(s.parse_line());
    detail::check_header(s.header);
  } catch (const InputError& e) {
    if (std::string(e.what()).rfind(path + ":", 0) == 0) {
      throw;  // parse errors say where
    }
    throw InputError(s.where(), e.what());
  }
  s.checker = std::make_unique<detail::TraceChecker>(s.header);
}

TraceReader::~TraceReader() = default;

const TraceHeader& TraceReader::header() const {
  return state_->header;
}

bool TraceReader::next(Op& op) {
  State& s = *state_;
  if (s.done) {
    return false;
  }
  if (!s.read_line()) {
    try {
      s.checker->finish();
    } catch (const InputError& e) {
      throw InputError(s.path, e.what());
    }
    s.done = true;
    return false;
  }
  Json j = s.parse_line();
  try {
    op = detail::op_from_json(j, s.checker->ops_checked());
    s.checker->check(op);
  } catch (const InputError& e) {
    throw InputError(s.where(), e.what());
  }
  return true;
}

std::unique_ptr<OpSource> open_trace(const std::string& path) {
  return std::make_unique<TraceReader>(path);
}

}  // namespace cimsim::trace
