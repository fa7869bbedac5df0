// The rules every trace obeys (docs/trace-format.md, "Validity"), checked op by op. The
// reader checks what it reads, the writer what it writes, so a trace on disk is always valid.
//
// Messages are InputErrors whose "where" is a path inside the line ("op[15].in[1].id"); the
// reader adds file and line. State is the current phase's activations only, so memory stays
// flat over any number of phases.
#pragma once

#include <string>
#include <unordered_map>

#include "cimsim/trace/source.hpp"

namespace cimsim::trace::detail {

// Header rules: known mode, declared tensors of the right kind with consistent bytes,
// unique ids, layers in range.
void check_header(const TraceHeader& h);

class TraceChecker {
 public:
  explicit TraceChecker(const TraceHeader& header);  // call check_header first
  void check(const Op& op);
  // After the last op: as many ops as the header promised.
  void finish() const;
  uint64_t ops_checked() const { return ops_; }

 private:
  struct Written {
    DType dtype;
    std::vector<uint64_t> shape;
  };
  void check_tensor(const Tensor& t, const std::string& path, bool is_input, const Op& op);
  void enter_phase(const Op& op, const std::string& path);

  const TraceHeader& header_;
  std::unordered_map<std::string, const TensorDecl*> declared_;
  std::unordered_map<std::string, Written> activations_;  // written in the current phase
  Phase phase_;
  bool started_ = false;
  uint64_t ops_ = 0;
};

}  // namespace cimsim::trace::detail
