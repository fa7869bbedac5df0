#include "cimsim/report/csv.hpp"

#include <filesystem>
#include <sstream>

#include "cimsim/common/atomic_file.hpp"
#include "cimsim/common/error.hpp"

namespace cimsim::report {
namespace {

std::string cell(const Json& v) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  if (v.is_null()) return "";
  return v.dump();
}

// Link names in report order, so every row of a table has the same byte columns.
std::vector<std::string> link_names(const Json& report) {
  std::vector<std::string> names;
  for (const Json& m : report["machines"]) {
    for (const Json& l : m["links"]) {
      std::string n = l["name"].get<std::string>();
      bool seen = false;
      for (const auto& x : names) seen = seen || x == n;
      if (!seen) names.push_back(n);
    }
  }
  return names;
}

void add_bytes(std::vector<std::string>& row, const Json& bytes,
               const std::vector<std::string>& links) {
  for (const auto& l : links) {
    bool has = bytes.contains(l);
    row.push_back(has ? cell(bytes[l]["read"]) : "0");
    row.push_back(has ? cell(bytes[l]["write"]) : "0");
  }
}

std::string join(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + cells[i];
  return out + "\n";
}

}  // namespace

std::string csv_table(const Json& report, const std::string& table) {
  std::vector<std::string> links = link_names(report);
  std::vector<std::string> fields;
  std::string section;
  if (table == "phases") {
    section = "phases";
    fields = {"phase",   "kind",     "step",
              "count",   "start_s",  "cycles",
              "seconds", "energy_j", "dynamic_energy_j",
              "flops"};
  } else if (table == "layers") {
    section = "layers";
    fields = {"layer", "count", "busy_cycles", "busy_seconds", "dynamic_energy_j", "flops"};
  } else if (table == "ops") {
    section = "ops";
    fields = {"name",  "kind",        "layer",        "phase_kind",
              "count", "busy_cycles", "busy_seconds", "dynamic_energy_j",
              "flops"};
  } else if (table == "components") {
    section = "components";
    fields = {"name",           "energy_j",  "dynamic_energy_j", "static_energy_j",
              "static_power_w", "instances", "area_mm2"};
  } else {
    throw InputError("csv", "unknown table " + quote_for_message(table));
  }
  bool with_bytes = table != "components";
  std::vector<std::string> header = {"machine"};
  header.insert(header.end(), fields.begin(), fields.end());
  if (with_bytes) {
    for (const auto& l : links) {
      header.push_back(l + "_read_bytes");
      header.push_back(l + "_write_bytes");
    }
  }
  std::ostringstream out;
  out << join(header);
  for (const Json& m : report["machines"]) {
    for (const Json& entry : m[section]) {
      std::vector<std::string> row = {cell(m["name"])};
      for (const auto& f : fields) row.push_back(entry.contains(f) ? cell(entry[f]) : "");
      if (with_bytes) add_bytes(row, entry["bytes"], links);
      out << join(row);
    }
  }
  return out.str();
}

std::vector<std::string> write_csvs(const Json& report, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError(dir, "cannot create the CSV directory (" + ec.message() + ")");
  std::vector<std::string> written;
  for (const char* table : {"phases", "layers", "ops", "components"}) {
    std::string path = dir + "/" + table + ".csv";
    write_file_atomic(path, csv_table(report, table));
    written.push_back(path);
  }
  return written;
}

}  // namespace cimsim::report
