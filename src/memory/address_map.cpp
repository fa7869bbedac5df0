#include "cimsim/memory/address_map.hpp"

#include <algorithm>
#include <vector>

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

namespace {

// One digit of an order string: a field and, for a split field, its bit count (0: the rest).
struct Token {
  int field = 0;
  uint32_t bits = 0;
};

// Most significant first, as written; "" in `error` if well formed.
std::vector<Token> tokens_of(const std::string& order, std::string& error) {
  std::vector<Token> out;
  std::array<int, kAddressFields> seen{}, uncounted{};
  size_t i = 0;
  while (i < order.size() && error.empty()) {
    const std::string name = order.substr(i, 2);
    int found = -1;
    for (int f = 0; f < kAddressFields; ++f) {
      if (name == kNames[f]) {
        found = f;
      }
    }
    if (found < 0) {
      error = "unknown field \"" + name + "\" at position " + std::to_string(i) +
              " (expected St Ch Pc Bg Ba Ro Co, each optionally followed by a bit count)";
      break;
    }
    size_t j = i + 2;
    uint32_t bits = 0;
    while (j < order.size() && j < i + 4 && order[j] >= '0' && order[j] <= '9') {
      bits = bits * 10 + static_cast<uint32_t>(order[j] - '0');
      ++j;
    }
    if (j > i + 2 && (bits == 0 || bits > 31)) {
      error =
          "bit count of \"" + name + "\" at position " + std::to_string(i) + " must be in [1, 31]";
      break;
    }
    ++seen[found];
    uncounted[found] += j == i + 2 ? 1 : 0;
    out.push_back(Token{found, bits});
    i = j;
  }
  for (int f = 0; f < kAddressFields && error.empty(); ++f) {
    if (seen[f] == 0) {
      error = std::string("field \"") + kNames[f] +
              "\" is missing: expected the 7 fields St Ch Pc Bg Ba Ro Co (e.g. "
              "\"RoBaCoBgPcChSt\")";
    } else if (uncounted[f] > 1) {
      error = std::string("field \"") + kNames[f] +
              "\" appears twice: a field in several places needs bit counts (\"Co2\")";
    }
  }
  if (out.size() > 16 && error.empty()) {
    error = "more than 16 digits";
  }
  return out;
}

}  // namespace

std::string AddressMap::check_order(const std::string& order) {
  std::string error;
  (void)tokens_of(order, error);
  return error;
}

AddressMap::AddressMap(const MemoryConfig& c) {
  const auto& o = c.organisation;
  sizes_ = {
      o.stacks, o.channels_per_stack,      o.pseudo_channels, o.bank_groups, o.banks_per_group,
      o.rows,   o.columns / o.burst_length};
  std::string error;
  const std::vector<Token> tokens = tokens_of(c.address_mapping.order, error);
  auto fail = [](const std::string& what) {
    throw PolicyConfigError("address_mapping.order", what);
  };
  if (!error.empty()) {
    fail(error);
  }
  // The bits of each field: counted digits take theirs, an uncounted one the rest.
  std::array<uint32_t, kFields> counted{}, tokens_per_field{};
  for (const Token& t : tokens) {
    counted[t.field] += t.bits;
    ++tokens_per_field[t.field];
  }
  for (int f = 0; f < kFields; ++f) {
    if (tokens_per_field[f] > 1 && !pow2(sizes_[f])) {
      fail(std::string("field \"") + kNames[f] + "\" has " + std::to_string(sizes_[f]) +
           " values, not a power of two: it cannot be split");
    }
    const uint32_t bits = pow2(sizes_[f]) ? log2u(sizes_[f]) : 0;
    if (counted[f] > bits || (counted[f] != 0 && counted[f] < bits &&
                              std::none_of(tokens.begin(), tokens.end(), [f](const Token& t) {
                                return t.field == f && t.bits == 0;
                              }))) {
      fail(std::string("the bit counts of \"") + kNames[f] + "\" add up to " +
           std::to_string(counted[f]) + ", expected " + std::to_string(bits) + " (" +
           std::to_string(sizes_[f]) + " values)");
    }
  }
  std::array<uint32_t, kFields> used{};
  ndigits_ = static_cast<int>(tokens.size());
  for (int i = 0; i < ndigits_; ++i) {
    // order lists the most significant digit first; digits_ is least significant first.
    const Token& t = tokens[tokens.size() - 1 - static_cast<size_t>(i)];
    const auto f = static_cast<Field>(t.field);
    Digit& d = digits_[i];
    d.field = f;
    d.low = used[f];
    if (tokens_per_field[f] == 1) {
      d.size = sizes_[f];
    } else {
      const uint32_t bits = t.bits != 0 ? t.bits : log2u(sizes_[f]) - counted[f];
      d.size = 1u << bits;
      used[f] += bits;
    }
    d.shift = pow2(d.size) ? log2u(d.size) : 0xFFu;
    if (d.shift == 0xFFu) {
      d.magic = ~uint64_t{0} / d.size + 1;
    }
  }
  split_ = ndigits_ > kFields;
  burst_shift_ = log2u(c.burst_bytes());
  capacity_ = c.capacity_bytes();
  hash_owner_ = c.address_mapping.hash.make(sizes_);
  hash_ = hash_owner_.get();
  channels_ = o.channels_per_stack;
  pcs_ = o.pseudo_channels;
  banks_per_group_ = o.banks_per_group;
  all_pow2_ = true;
  uint32_t offset = 0;
  for (int i = 0; i < ndigits_; ++i) {
    const Digit& d = digits_[i];
    all_pow2_ = all_pow2_ && d.shift != 0xFFu;
    bit_offset_[d.field] = offset;
    offset += d.shift;
  }
}

namespace {
// The next digit of `rest` (and `rest` divided by its size). While the value fits in 32 bits,
// quotient and remainder by multiplication, exact for 32-bit values and divisors (Lemire,
// Kaser, Kurz, "Faster remainder by direct computation", Software: Practice and Experience
// 49(6), 2019); a division costs ten times as much.
template <class Digit>
[[gnu::always_inline]] inline uint32_t take_digit(const Digit& d, uint64_t& rest, bool narrow) {
  uint32_t digit = 0;
  if (d.shift != 0xFFu) {
    digit = static_cast<uint32_t>(rest & (d.size - 1));
    rest >>= d.shift;
  } else if (narrow) {
    const uint64_t fraction = d.magic * rest;
    digit = static_cast<uint32_t>((static_cast<__uint128_t>(fraction) * d.size) >> 64);
    rest = static_cast<uint64_t>((static_cast<__uint128_t>(d.magic) * rest) >> 64);
  } else {
    digit = static_cast<uint32_t>(rest % d.size);
    rest /= d.size;
  }
  return digit;
}
}  // namespace

DecodedAddress AddressMap::decode_general(uint64_t address) const {
  uint64_t rest = address >> burst_shift_;
  FieldValues v{};
  const bool narrow = rest <= 0xFFFFFFFFu;
  if (!split_) {
    // One digit per field, a fixed count: the loop unrolls.
    for (int i = 0; i < kFields; ++i) {
      v[digits_[i].field] = take_digit(digits_[i], rest, narrow);
    }
  } else {
    for (int i = 0; i < ndigits_; ++i) {
      const Digit& d = digits_[i];
      v[d.field] |= take_digit(d, rest, narrow) << d.low;
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
  for (int i = ndigits_ - 1; i >= 0; --i) {
    const Digit& g = digits_[i];
    const uint32_t digit = g.shift != 0xFFu ? (v[g.field] >> g.low) & (g.size - 1) : v[g.field];
    value = value * g.size + digit;
  }
  return value << burst_shift_;
}

}  // namespace cimsim::memory
