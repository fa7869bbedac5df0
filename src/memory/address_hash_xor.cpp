// Permutation-based interleaving (Zhang, Zhu and Zhang, "A permutation-based page interleaving
// scheme to reduce row-buffer conflicts and exploit data locality", MICRO 2000): each field in
// `fields` is permuted by the next digit of the `key` field (XOR for power-of-two sizes,
// addition modulo the size otherwise), so that addresses that differ only in the key (a
// row-strided pattern, or two streams a power of two apart) land in different banks or
// channels while a row's columns stay together. The default, bank group then bank keyed by
// the row, is Zhang et al.'s scheme; with the channel fields it is the XOR partition indexing
// of GPU simulators (GPGPU-Sim's "bitwise permutation" memory-partition indexing).
#include <string>
#include <vector>

#include "cimsim/memory/address_hash.hpp"
#include "cimsim/memory/config.hpp"

namespace cimsim::memory {
namespace {

struct XorParams {
  std::string fields = "BgBa";  // permuted, in order, each by the next digit of the key
  std::string key = "Ro";       // the field whose digits permute them (left unchanged)
};

constexpr const char* kFieldNames[] = {"St", "Ch", "Pc", "Bg", "Ba", "Ro", "Co"};

int field_of(const std::string& name) {
  for (int f = 0; f < kAddressFields; ++f) {
    if (name == kFieldNames[f]) {
      return f;
    }
  }
  return -1;
}

class XorHash final : public AddressHash {
 public:
  XorHash(const XorParams& p, const FieldValues& sizes) : sizes_(sizes) {
    key_ = field_of(p.key);
    if (key_ < 0) {
      throw PolicyConfigError("address_mapping.hash.key",
                              "expected one of St Ch Pc Bg Ba Ro Co, got \"" + p.key + "\"");
    }
    if (p.fields.empty() || p.fields.size() % 2 != 0) {
      throw PolicyConfigError("address_mapping.hash.fields",
                              "expected field names such as \"BgBa\", got \"" + p.fields + "\"");
    }
    for (size_t i = 0; i < p.fields.size(); i += 2) {
      const int f = field_of(p.fields.substr(i, 2));
      bool again = false;
      for (int g : fields_) {
        again = again || g == f;
      }
      if (f < 0 || f == key_ || again) {
        throw PolicyConfigError("address_mapping.hash.fields",
                                "expected fields other than the key (" + p.key +
                                    "), each once, got \"" + p.fields + "\"");
      }
      fields_.push_back(f);
    }
  }
  void apply(FieldValues& v) const override {
    uint32_t key = v[key_];
    for (int f : fields_) {
      v[f] = permute_digit(v[f], key % sizes_[f], sizes_[f]);
      key /= sizes_[f];
    }
  }
  void invert(FieldValues& v) const override {
    uint32_t key = v[key_];
    for (int f : fields_) {
      v[f] = unpermute_digit(v[f], key % sizes_[f], sizes_[f]);
      key /= sizes_[f];
    }
  }

 private:
  FieldValues sizes_;
  int key_ = kRo;
  std::vector<int> fields_;
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
               "\"StChPcBgBa\")");
    f.optional("key", &memory::XorParams::key, "the field whose digits permute them");
  }
};
}  // namespace cimsim::config

namespace cimsim::memory {

CIMSIM_REGISTER(AddressHashAxis, XorParams, "xor",
                "fields permuted by the digits of another (default: bank group and bank by the "
                "row; Zhang et al., MICRO 2000)",
                [](const XorParams& p, const FieldValues& sizes) -> std::unique_ptr<AddressHash> {
                  return std::make_unique<XorHash>(p, sizes);
                });

}  // namespace cimsim::memory
