// Physical address -> (pseudo-channel, bank, row, column) and back.
//
// The mapping is a mixed-radix number whose digits are listed most significant first in
// AddressMapping::order, e.g. "RoBaCoBgPcChSt": the stack changes fastest from one burst to
// the next, then the channel, the pseudo-channel, the bank group, the column, the bank and the
// row. The bytes inside one burst are always the lowest bits. For power-of-two field sizes
// this is the familiar bit slicing of Ramulator/DRAMsim3; other sizes (5 stacks) divide.
// A power-of-two field may be split into several digits by giving bit counts: in
// "RoBaBgCoStChPcBg1Co2" the lowest 2 bits of the column (4 bursts) come first, then 1 bit of
// the bank group, the pseudo-channels, and the rest of the column and bank group above them
// (GPGPU-Sim/Accel-Sim's "dramid@8" style: a few hundred bytes per channel).
// The config's address hash (address_hash.hpp, e.g. "xor") then permutes fields; with
// none, decoding calls nothing.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "cimsim/memory/address_hash.hpp"
#include "cimsim/memory/config.hpp"

namespace cimsim::memory {

struct DecodedAddress {
  uint32_t unit = 0;  // flat pseudo-channel: (stack * channels + channel) * pcs + pc
  uint32_t bank = 0;  // flat bank in the unit: bank_group * banks_per_group + bank
  uint32_t row = 0;
  uint32_t column = 0;  // burst index within the row
  bool operator==(const DecodedAddress& o) const {
    return unit == o.unit && bank == o.bank && row == o.row && column == o.column;
  }
};

class AddressMap {
 public:
  explicit AddressMap(const MemoryConfig& config);

  // "" if `order` is well formed (every field St Ch Pc Bg Ba Ro Co at least once; a field
  // more than once only with bit counts, "Co2"), else what is wrong. Whether the counts fit
  // the field sizes is checked when a map is built (PolicyConfigError at address_mapping.order).
  static std::string check_order(const std::string& order);

  // `address` must be below capacity_bytes(); the bytes within a burst are ignored.
  DecodedAddress decode(uint64_t address) const {
    if (!all_pow2_ || split_) {
      return decode_general(address);
    }
    // Every field a power of two: each is a bit range of the burst index.
    const uint64_t burst = address >> burst_shift_;
    auto field = [this, burst](Field f) {
      return static_cast<uint32_t>(burst >> bit_offset_[f]) & (sizes_[f] - 1);
    };
    if (hash_ != nullptr) {
      FieldValues v;
      for (int f = 0; f < kFields; ++f) {
        v[f] = field(static_cast<Field>(f));
      }
      return finish(v);
    }
    DecodedAddress out;  // as combine(), without the round trip through an array
    out.unit = (field(kSt) * channels_ + field(kCh)) * pcs_ + field(kPc);
    out.bank = field(kBg) * banks_per_group_ + field(kBa);
    out.row = field(kRo);
    out.column = field(kCo);
    return out;
  }
  // The lowest address of the burst `d` names (inverse of decode).
  uint64_t encode(const DecodedAddress& d) const;

  uint64_t capacity_bytes() const { return capacity_; }
  uint32_t burst_bytes() const { return 1u << burst_shift_; }

 private:
  using Field = AddressField;
  static constexpr int kFields = kAddressFields;
  static constexpr int kMaxDigits = 16;
  struct Digit {
    Field field = kSt;
    uint32_t size = 1;
    uint32_t shift = 0;  // log2(size) if a power of two, else 0xFF
    uint32_t low = 0;    // its lowest bit within the field (a split field has several digits)
    uint64_t magic = 0;  // other sizes: 2^64 / size rounded up, to divide 32-bit values
  };
  DecodedAddress decode_general(uint64_t address) const;
  DecodedAddress finish(FieldValues& v) const {
    if (hash_ != nullptr) {
      hash_->apply(v);
    }
    return combine(v);
  }
  // Reads the digits one by one: a copy of the whole array would be one wide load of
  // values just stored one at a time (by Cursor::next()), which the CPU cannot forward from
  // the stores and waits for (a store-forwarding stall: about 7 % of a Llama-2-7B run).
  DecodedAddress combine(const FieldValues& v) const {
    DecodedAddress out;
    out.unit = (v[kSt] * channels_ + v[kCh]) * pcs_ + v[kPc];
    out.bank = v[kBg] * banks_per_group_ + v[kBa];
    out.row = v[kRo];
    out.column = v[kCo];
    return out;
  }

  std::array<Digit, kMaxDigits> digits_{};      // least significant first
  int ndigits_ = 0;                             // kFields unless a field is split
  bool split_ = false;                          // a field has more than one digit
  FieldValues sizes_{};                         // by field
  std::array<uint32_t, kFields> bit_offset_{};  // by field, if all_pow2_ && !split_
  uint32_t burst_shift_ = 0;
  uint64_t capacity_ = 0;
  std::shared_ptr<const AddressHash> hash_owner_;
  const AddressHash* hash_ = nullptr;  // hash_owner_, or nullptr for none
  bool all_pow2_ = false;
  uint32_t channels_ = 0, pcs_ = 0, banks_per_group_ = 0;

 public:
  // Walks consecutive bursts from an address: each next() gives what decode() gives for the
  // following burst, by adding one to the mixed-radix digits (no division, no per-field
  // shifting), which is what splitting a large request needs.
  class Cursor {
   public:
    Cursor(const AddressMap& map, uint64_t address) : map_(&map) {
      uint64_t rest = address >> map.burst_shift_;
      for (int i = 0; i < map.ndigits_; ++i) {
        const Digit& d = map.digits_[i];
        digit_[i] = static_cast<uint32_t>(rest % d.size);
        v_[d.field] += digit_[i] << d.low;
        rest /= d.size;
      }
    }
    DecodedAddress get() const {
      if (map_->hash_ == nullptr) {
        return map_->combine(v_);
      }
      FieldValues v = v_;
      return map_->finish(v);
    }
    void next() {
      if (map_->split_) {
        next_split();
        return;
      }
      for (int i = 0; i < kFields; ++i) {  // one digit per field: the digit is the field
        const Digit& d = map_->digits_[i];
        if (++v_[d.field] < d.size) {
          return;
        }
        v_[d.field] = 0;
      }
    }

   private:
    void next_split() {
      for (int i = 0; i < map_->ndigits_; ++i) {
        const Digit& d = map_->digits_[i];
        if (++digit_[i] < d.size) {
          v_[d.field] += 1u << d.low;
          return;
        }
        digit_[i] = 0;
        v_[d.field] -= (d.size - 1) << d.low;
      }
    }
    const AddressMap* map_;
    FieldValues v_{};                           // by field
    std::array<uint32_t, kMaxDigits> digit_{};  // by digit (kept for split fields)
  };
};

}  // namespace cimsim::memory
