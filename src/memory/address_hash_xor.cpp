// Permutation-based interleaving (Zhang, Zhu and Zhang, "A permutation-based page interleaving
// scheme to reduce row-buffer conflicts and exploit data locality", MICRO 2000): each field in
// `fields` is permuted by the next digit of a key (XOR for power-of-two sizes, addition modulo
// the size otherwise), so that addresses that differ only in the key (a row-strided pattern,
// or two streams a power of two apart) land in different banks or channels while a row's
// columns stay together. The key is the sum of the `key` fields' values (one field: its
// value); the key fields are left unchanged, so the hash is a bijection. The default, bank
// group then bank keyed by the row, is Zhang et al.'s scheme; with the channel fields it is
// the XOR memory-partition indexing of GPU simulators (GPGPU-Sim's "bitwise permutation").
#include <string>
#include <vector>

#include "cimsim/memory/address_hash.hpp"
#include "cimsim/memory/config.hpp"

namespace cimsim::memory {
namespace {

struct XorParams {
  std::string fields = "BgBa";  // permuted, in order, each by the next digit of the key
  std::string key = "Ro";       // the fields whose sum is the key (left unchanged)
};

constexpr const char* kHashFieldNames[] = {"St", "Ch", "Pc", "Bg", "Ba", "Ro", "Co"};

// Field names ("BgBa"), each once and none of `taken`; PolicyConfigError at `key` otherwise.
std::vector<int> hash_fields(const std::string& names, const char* key,
                             const std::vector<int>& taken) {
  std::vector<int> out;
  bool ok = !names.empty() && names.size() % 2 == 0;
  for (size_t i = 0; ok && i < names.size(); i += 2) {
    int f = -1;
    for (int g = 0; g < kAddressFields; ++g) {
      f = names.compare(i, 2, kHashFieldNames[g]) == 0 ? g : f;
    }
    for (int g : out) {
      ok = ok && g != f;
    }
    for (int g : taken) {
      ok = ok && g != f;
    }
    ok = ok && f >= 0;
    out.push_back(f);
  }
  if (!ok) {
    throw PolicyConfigError(key, "expected field names among St Ch Pc Bg Ba Ro Co, each once" +
                                     std::string(taken.empty() ? "" : ", none of the key's") +
                                     ", got \"" + names + "\"");
  }
  return out;
}

class XorHash final : public AddressHash {
 public:
  XorHash(const XorParams& p, const FieldValues& sizes)
      : key_(hash_fields(p.key, "address_mapping.hash.key", {})) {
    for (int f : hash_fields(p.fields, "address_mapping.hash.fields", key_)) {
      uint32_t shift = 0;
      while ((1u << shift) < sizes[f]) {
        ++shift;
      }
      permuted_.push_back(Permuted{f, sizes[f], (1u << shift) == sizes[f] ? shift : kNotPow2});
    }
  }
  // Once per decoded address: a power-of-two field (the usual case) takes its key digit by
  // mask and shift, with no division.
  void apply(FieldValues& v) const override {
    uint32_t key = key_of(v);
    for (const Permuted& p : permuted_) {
      if (p.shift != kNotPow2) {
        v[p.field] ^= key & (p.size - 1);
        key >>= p.shift;
      } else {
        v[p.field] = permute_digit(v[p.field], key % p.size, p.size);
        key /= p.size;
      }
    }
  }
  void invert(FieldValues& v) const override {
    uint32_t key = key_of(v);
    for (const Permuted& p : permuted_) {
      v[p.field] = unpermute_digit(v[p.field], key % p.size, p.size);
      key /= p.size;
    }
  }

 private:
  uint32_t key_of(const FieldValues& v) const {
    uint32_t key = 0;
    for (int f : key_) {
      key += v[f];
    }
    return key;
  }
  static constexpr uint32_t kNotPow2 = 0xFF;
  struct Permuted {
    int field;
    uint32_t size;
    uint32_t shift;  // log2(size), or kNotPow2
  };
  std::vector<int> key_;
  std::vector<Permuted> permuted_;
};

}  // namespace
}  // namespace cimsim::memory

namespace cimsim::config {
template <>
struct Describe<memory::XorParams> {
  static constexpr const char* doc = "permutation-based interleaving";
  static void fields(Fields<memory::XorParams>& f) {
    f.optional("fields", &memory::XorParams::fields,
               "fields permuted, in order, each by the next digit of the key (e.g. \"BgBa\", "
               "\"StChPc\")");
    f.optional("key", &memory::XorParams::key,
               "the fields whose sum is the key, left unchanged (e.g. \"Ro\", \"CoBaRo\")");
  }
};
}  // namespace cimsim::config

namespace cimsim::memory {

CIMSIM_REGISTER(AddressHashAxis, XorParams, "xor",
                "fields permuted by the digits of a key (default: bank group and bank by the "
                "row; Zhang et al., MICRO 2000)",
                [](const XorParams& p, const FieldValues& sizes) -> std::unique_ptr<AddressHash> {
                  return std::make_unique<XorHash>(p, sizes);
                });

}  // namespace cimsim::memory
