// Flat CSV views of a report for pandas and spreadsheets: one file per table, a row per
// machine x entry. Columns are documented in docs/report-format.md ("CSV files").
#pragma once

#include <string>
#include <vector>

#include "cimsim/common/json.hpp"

namespace cimsim::report {

// Writes phases.csv, layers.csv, ops.csv and components.csv into `dir` (created if
// missing), each atomically. Returns the paths written.
std::vector<std::string> write_csvs(const Json& report, const std::string& dir);

// One table as CSV text (exposed for tests): "phases", "layers", "ops" or "components".
std::string csv_table(const Json& report, const std::string& table);

}  // namespace cimsim::report
