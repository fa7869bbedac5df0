#include "cimsim/cim/dynamic.hpp"

#include <algorithm>

namespace cimsim::cim {

const char* kv_level_name(KvLevel level) {
  switch (level) {
    case KvLevel::tile_buffer:
      return "tile_buffer";
    case KvLevel::global_buffer:
      return "global_buffer";
    case KvLevel::offchip:
      return "offchip";
    case KvLevel::sram_cim:
      return "sram_cim";
    case KvLevel::crossbar:
      return "crossbar";
  }
  return "?";
}

uint32_t KvStore::max_writes() const {
  uint32_t m = 0;
  for (uint32_t w : writes_per_position) {
    m = std::max(m, w);
  }
  return m;
}

}  // namespace cimsim::cim
