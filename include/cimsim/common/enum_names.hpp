// String names of enum values, shared by config parsing, the trace format and reports.
// Specialise EnumNames<E> with
//   static const std::vector<std::pair<E, const char*>>& names();
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cimsim::config {

template <class E>
struct EnumNames;

template <class E>
const char* enum_name(E value) {
  for (const auto& [v, n] : EnumNames<E>::names()) {
    if (v == value) {
      return n;
    }
  }
  return "?";
}

template <class E>
std::optional<E> enum_from_name(const std::string& name) {
  for (const auto& [v, n] : EnumNames<E>::names()) {
    if (name == n) {
      return v;
    }
  }
  return std::nullopt;
}

template <class E>
std::string enum_choices() {
  std::string s;
  for (const auto& [v, n] : EnumNames<E>::names()) {
    s += (s.empty() ? "" : ", ") + std::string(n);
  }
  return s;
}

}  // namespace cimsim::config
