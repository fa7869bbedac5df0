// The report of a run: a versioned JSON document with the workload, one section per machine
// (report/recorder.hpp) and, for side-by-side runs, the ratios between machines.
// docs/report-format.md documents every field; schema_version changes when a field changes
// meaning or disappears.
#pragma once

#include <string>
#include <vector>

#include "cimsim/common/json.hpp"
#include "cimsim/trace/source.hpp"

namespace cimsim::report {

// Assembles the whole report from the trace header and the machines' sections.
Json make_report(const trace::TraceHeader& header, const std::vector<Json>& machines);

// A short human summary: per machine the totals and the top components by time and energy;
// for two or more machines the ratios against the first.
std::string summary_text(const Json& report);

// Writes the report atomically (temp file + rename).
void write_report(const std::string& path, const Json& report);

}  // namespace cimsim::report
