// The `cimsim` command line: subcommands, each with its own options and --help.
//
// A subcommand lives in src/cli/cmd_<name>.cpp and is listed in src/cli/commands.cpp.
// Exit codes: 0 success, 2 bad input (InputError or a bad option), 1 internal error.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "cimsim/config/json_file.hpp"
#include "cimsim/config/overrides.hpp"

namespace cimsim::cli {

namespace po = boost::program_options;

struct Command {
  std::string name;
  std::string summary;  // one line for `cimsim --help`
  std::string usage;    // "cimsim run --machine NAME|FILE --workload NAME|FILE [options]"
  std::function<void(po::options_description&)> add_options;
  // Positional arguments are not accepted unless the command asks for them.
  std::function<int(const po::variables_map&, std::ostream& out)> run;
};

const std::vector<Command>& commands();

// Runs the CLI; returns the exit code. Messages for the user go to `err`.
int main(int argc, char** argv, std::ostream& out, std::ostream& err);

// ---- options shared by several commands ----------------------------------------------------

void add_machine_options(po::options_description& desc);   // --machine (repeatable)
void add_workload_options(po::options_description& desc);  // --workload --mode --prompt ...
void add_set_option(po::options_description& desc);        // --set (repeatable)
void add_output_options(po::options_description& desc);    // --out --quiet

// --set values plus the workload shorthands (--mode, --prompt, --generate, --batch) as
// assignments, in the order they apply: shorthands first, then --set in command-line order.
// `serve_root` (cimsim serve): serve.PATH settings are allowed and there are no shorthands.
std::vector<config::Assignment> assignments(const po::variables_map& vm, bool serve_root = false);

// The machines of --machine (default: a100-sxm4-80gb and isaac) with the machine. settings
// applied; in a side-by-side run a setting must exist on at least one of them.
std::vector<config::ConfigDoc> load_machines(const po::variables_map& vm,
                                             const std::vector<config::Assignment>& sets);

// A count from the command line: digits only (boost would turn "-5" into 2^64-5).
uint64_t parse_count(const std::string& option, const std::string& text, uint64_t min_value);

}  // namespace cimsim::cli
