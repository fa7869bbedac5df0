// Address hashing after the field split: the axis "memory.address_hash" of the registry. The
// address map (address_map.hpp) first splits a burst index into the digits of its fields
// (stack, channel, pseudo-channel, bank group, bank, row, column) in the order the config
// gives; a hash then permutes some fields, keyed on others it leaves alone, so that it is a
// bijection (the map checks encode(decode(a)) == a in its tests). One implementation per file
// (address_hash_none.cpp, address_hash_xor.cpp, ...); "none" builds no object, and the map
// then decodes with no call at all.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "cimsim/config/registry.hpp"

namespace cimsim::memory {

// The fields of a DRAM address, in this order everywhere (sizes, values).
enum AddressField { kSt, kCh, kPc, kBg, kBa, kRo, kCo, kAddressFields };
using FieldValues = std::array<uint32_t, kAddressFields>;

class AddressHash {
 public:
  virtual ~AddressHash() = default;
  // Replaces the values of the fields it permutes; `v` holds every field's value.
  virtual void apply(FieldValues& v) const = 0;
  // Undoes apply().
  virtual void invert(FieldValues& v) const = 0;
};

// The factory gets the size of every field (number of values); it returns nullptr for "no
// hash". It may throw PolicyConfigError (memory/config.hpp) for sizes it cannot permute.
struct AddressHashAxis : config::Axis<std::unique_ptr<AddressHash>(const FieldValues& sizes)> {
  static constexpr const char* key = "memory.address_hash";
  static constexpr const char* doc = "permutation of address fields after the split";
};

// x permuted by key k within [0, n): XOR for powers of two, addition modulo n otherwise (a
// permutation of [0, n) for every k; Zhang et al., MICRO 2000, use the XOR form).
inline uint32_t permute_digit(uint32_t x, uint32_t k, uint32_t n) {
  return (n & (n - 1)) == 0 ? (x ^ (k & (n - 1))) : (x + k % n) % n;
}
inline uint32_t unpermute_digit(uint32_t y, uint32_t k, uint32_t n) {
  return (n & (n - 1)) == 0 ? (y ^ (k & (n - 1))) : (y + n - k % n) % n;
}

}  // namespace cimsim::memory
