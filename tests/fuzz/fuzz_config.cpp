// Fuzzes the config loader: JSON text -> machine, workload or memory config, including
// `extends` between files, presets inlined by name and --set overrides.
//
// Input layout (so that mutations reach every part): the first byte picks the kind (machine,
// workload, memory); the rest is split at lines "#---" into up to three files a.json,
// b.json, c.json (a.json is loaded; it may extend the others or a preset); lines of a.json's
// part starting with "@set " become --set assignments instead.
#include <cstdint>
#include <string>
#include <vector>

#include "cimsim/common/error.hpp"
#include "cimsim/config/overrides.hpp"
#include "cimsim/exec/executor.hpp"
#include "cimsim/memory/config.hpp"
#include "cimsim/workload/workload.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cimsim;
  if (size == 0) {
    return 0;
  }
  const int kind = data[0] % 3;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    size_t cut = text.find("\n#---\n", start);
    if (cut == std::string::npos || parts.size() == 2) {
      parts.push_back(text.substr(start));
      break;
    }
    parts.push_back(text.substr(start, cut - start));
    start = cut + 6;
  }
  std::vector<std::string> sets_text;
  std::string main_file;
  size_t pos = 0;
  while (pos <= parts[0].size()) {
    size_t end = parts[0].find('\n', pos);
    std::string line = parts[0].substr(pos, end == std::string::npos ? end : end - pos);
    if (line.rfind("@set ", 0) == 0) {
      sets_text.push_back(line.substr(5));
    } else {
      main_file += line + (end == std::string::npos ? "" : "\n");
    }
    if (end == std::string::npos) {
      break;
    }
    pos = end + 1;
  }
  const char* names[] = {"a.json", "b.json", "c.json"};
  std::string path;
  for (size_t i = 0; i < 3; ++i) {
    const std::string& content = i == 0 ? main_file : (i < parts.size() ? parts[i] : "");
    std::string p = fuzz::write_scratch(names[i], reinterpret_cast<const uint8_t*>(content.data()),
                                        content.size());
    if (i == 0) {
      path = p;
    }
  }
  try {
    std::vector<config::Assignment> sets;
    for (const auto& s : sets_text) {
      sets.push_back(config::parse_assignment(s));
    }
    switch (kind) {
      case 0:
        (void)exec::load_machine(path, sets);
        break;
      case 1:
        (void)workload::load_workload(path, sets);
        break;
      default:
        (void)memory::load_memory_config(path, sets);
        break;
    }
  } catch (const InputError&) {
    // bad input, rejected as documented
  }
  return 0;
}
