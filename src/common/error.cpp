#include "cimsim/common/error.hpp"

namespace cimsim {

std::string quote_for_message(const std::string& value, size_t max_chars) {
  std::string out = "\"";
  size_t n = 0;
  for (char c : value) {
    if (n++ >= max_chars) {
      out += "...";
      break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace cimsim
