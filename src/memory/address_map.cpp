#include "cimsim/memory/address_map.hpp"

namespace cimsim::memory {
namespace {

constexpr const char* kNames[] = {"St", "Ch", "Pc", "Bg", "Ba", "Ro", "Co"};

bool pow2(uint32_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}
uint32_t log2u(uint32_t v) {
  uint32_t s = 0;
  while ((1u << s) < v) {
    ++s;
  }
  return s;
}

}  // namespace

std::string AddressMap::check_order(const std::string& order) {
  std::array<int, kFields> seen{};
  if (order.size() != size_t{2} * kFields) {
    return "expected the 7 fields St Ch Pc Bg Ba Ro Co, each once (e.g. \"RoBaCoBgPcChSt\"), got "
           "\"" +
           order + "\"";
  }
  for (size_t i = 0; i < order.size(); i += 2) {
    std::string token = order.substr(i, 2);
    int found = -1;
    for (int f = 0; f < kFields; ++f) {
      if (token == kNames[f]) {
        found = f;
      }
    }
    if (found < 0) {
      return "unknown field \"" + token + "\" at position " + std::to_string(i) +
             " (expected St Ch Pc Bg Ba Ro Co)";
    }
    if (++seen[found] > 1) {
      return "field \"" + token + "\" appears twice";
    }
  }
  return "";
}

AddressMap::AddressMap(const MemoryConfig& c) {
  const auto& o = c.organisation;
  sizes_ = {
      o.stacks, o.channels_per_stack,      o.pseudo_channels, o.bank_groups, o.banks_per_group,
      o.rows,   o.columns / o.burst_length};
  const std::string& order = c.address_mapping.order;
  for (int i = 0; i < kFields; ++i) {
    // order lists the most significant field first; digits_ is least significant first.
    std::string token = order.substr(size_t{2} * (kFields - 1 - i), 2);
    Field f = kSt;
    for (int k = 0; k < kFields; ++k) {
      if (token == kNames[k]) {
        f = static_cast<Field>(k);
      }
    }
    digits_[i] = Digit{f, sizes_[f], pow2(sizes_[f]) ? log2u(sizes_[f]) : 0xFFu};
    if (digits_[i].shift == 0xFFu) {
      digits_[i].magic = ~uint64_t{0} / sizes_[f] + 1;
    }
  }
  burst_shift_ = log2u(c.burst_bytes());
  capacity_ = c.capacity_bytes();
  hash_owner_ = c.address_mapping.hash.make(sizes_);
  hash_ = hash_owner_.get();
  channels_ = o.channels_per_stack;
  pcs_ = o.pseudo_channels;
  banks_per_group_ = o.banks_per_group;
  all_pow2_ = true;
  uint32_t offset = 0;
  for (const Digit& d : digits_) {
    all_pow2_ = all_pow2_ && d.shift != 0xFFu;
    bit_offset_[d.field] = offset;
    offset += d.shift;
  }
}

DecodedAddress AddressMap::decode_general(uint64_t address) const {
  uint64_t rest = address >> burst_shift_;
  FieldValues v{};
  // While the value fits in 32 bits, quotient and remainder by multiplication, exact for 32-bit
  // values and divisors (Lemire, Kaser, Kurz, "Faster remainder by direct computation",
  // Software: Practice and Experience 49(6), 2019); a division costs ten times as much.
  const bool narrow = rest <= 0xFFFFFFFFu;
  for (const Digit& d : digits_) {
    if (d.shift != 0xFFu) {
      v[d.field] = static_cast<uint32_t>(rest & (d.size - 1));
      rest >>= d.shift;
    } else if (narrow) {
      const uint64_t fraction = d.magic * rest;
      v[d.field] = static_cast<uint32_t>((static_cast<__uint128_t>(fraction) * d.size) >> 64);
      rest = static_cast<uint64_t>((static_cast<__uint128_t>(d.magic) * rest) >> 64);
    } else {
      v[d.field] = static_cast<uint32_t>(rest % d.size);
      rest /= d.size;
    }
  }
  return finish(v);
}

uint64_t AddressMap::encode(const DecodedAddress& d) const {
  FieldValues v{};
  v[kPc] = d.unit % pcs_;
  v[kCh] = (d.unit / pcs_) % channels_;
  v[kSt] = d.unit / (pcs_ * channels_);
  v[kBg] = d.bank / banks_per_group_;
  v[kBa] = d.bank % banks_per_group_;
  v[kRo] = d.row;
  v[kCo] = d.column;
  if (hash_ != nullptr) {
    hash_->invert(v);
  }
  uint64_t value = 0;
  for (int i = kFields - 1; i >= 0; --i) {
    value = value * digits_[i].size + v[digits_[i].field];
  }
  return value << burst_shift_;
}

}  // namespace cimsim::memory
