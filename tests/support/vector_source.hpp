// An OpSource over ops built in a test: hands them out in order, numbered 0, 1, ... (op ids),
// with the header's op_count set to their number.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "cimsim/trace/source.hpp"

namespace cimsim::test {

class VectorSource : public trace::OpSource {
 public:
  VectorSource(trace::TraceHeader h, std::vector<trace::Op> ops)
      : header_(std::move(h)), ops_(std::move(ops)) {
    header_.op_count = ops_.size();
    for (size_t i = 0; i < ops_.size(); ++i) {
      ops_[i].id = i;
    }
  }
  const trace::TraceHeader& header() const override { return header_; }
  bool next(trace::Op& op) override {
    if (pos_ >= ops_.size()) {
      return false;
    }
    op = ops_[pos_++];
    return true;
  }

 private:
  trace::TraceHeader header_;
  std::vector<trace::Op> ops_;
  size_t pos_ = 0;
};

}  // namespace cimsim::test
