// Overflow-checked arithmetic for byte and cycle counts.
//
// Counts are uint64_t; a count that would wrap is bad input (for example a sequence length
// of 2^40 tokens), never a silently wrong answer. The `what` argument names the quantity in
// the error message.
#pragma once

#include <cstdint>
#include <string>

#include "cimsim/common/error.hpp"

namespace cimsim {

class OverflowError : public InputError {
 public:
  using InputError::InputError;
};

inline uint64_t checked_add(uint64_t a, uint64_t b, const char* what = "count") {
  uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    throw OverflowError(std::string(what) + " overflows 64 bits (" + std::to_string(a) + " + " +
                        std::to_string(b) + ")");
  }
  return r;
}

inline uint64_t checked_mul(uint64_t a, uint64_t b, const char* what = "count") {
  uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) {
    throw OverflowError(std::string(what) + " overflows 64 bits (" + std::to_string(a) + " x " +
                        std::to_string(b) + ")");
  }
  return r;
}

inline uint64_t ceil_div(uint64_t a, uint64_t b) {
  return a / b + (a % b != 0 ? 1 : 0);
}

}  // namespace cimsim
