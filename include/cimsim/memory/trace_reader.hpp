// Reading a memory trace in the DRAMsim3 text format.
//
// Format: one request per line, "0xADDR READ|WRITE CYCLE [REQUESTOR]" (fields separated by
// blanks; blank lines and lines starting with '#' are skipped). Each line is one burst (the
// memory's burst size; the address is rounded down to its burst). The optional fourth field
// (a cimsim extension of DRAMsim3's format) is the requestor id, a decimal in [0, 65535]: who
// issued the request, for schedulers that tell requestors apart (0 when absent).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "cimsim/memory/command.hpp"

namespace cimsim::memory {

struct TraceRequest {
  uint64_t address = 0;
  bool write = false;
  Cycle cycle = 0;
  RequestorId requestor = 0;
};

// Streams a trace file; malformed lines are InputErrors naming file and line.
class TraceReader {
 public:
  explicit TraceReader(const std::string& path);
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;
  // Next request; false at the end of the file.
  bool next(TraceRequest& out);
  uint64_t line() const { return line_; }
  const std::string& path() const { return path_; }

 private:
  bool next_general(TraceRequest& out);  // any line: other shapes, and after a refill
  bool fill();
  const char* line_end(const char* begin) const;
  [[noreturn]] void fail(const char* begin, const std::string& why) const;
  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<char> buffer_;
  // buffer_[pos_, size_) is unread; lines before complete_ end in '\n' (or are the last line
  // of the file), so parsing one needs no end check: '\n' and the '\0' at size_ end it.
  size_t pos_ = 0, size_ = 0, complete_ = 0;
  bool eof_ = false;
  uint64_t line_ = 0;
};

}  // namespace cimsim::memory
