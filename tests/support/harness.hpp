// Paths and helpers the tests share: the source tree, the cimsim binary, temporary folders,
// and running the CLI as a child process to check exit codes and messages.
#pragma once

#include <string>
#include <vector>

namespace cimsim::test {

std::string source_dir();  // the repository root
std::string source_path(const std::string& relative);
std::string cimsim_binary();  // the built CLI
std::string make_temp_dir();  // a fresh, empty directory under $TMPDIR, removed at exit

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs the CLI with the given arguments (no shell), stdin from /dev/null.
CommandResult run_cimsim(const std::vector<std::string>& args);

// Removes the warning AddressSanitizer prints once when an exception is thrown on one of
// SystemC's coroutine stacks (it cannot see them; sanitized builds only, docs/testing.md), so
// that stderr holds only what cimsim printed.
std::string strip_sanitizer_notes(const std::string& err);

std::string read_file(const std::string& path);
// The lines of `text` without their '\n'; and back, each line ended by '\n'.
std::vector<std::string> lines_of(const std::string& text);
std::string join_lines(const std::vector<std::string>& lines);
void write_file(const std::string& path, const std::string& content);
bool file_exists(const std::string& path);
// Number of entries in a directory (to prove that no output file was left behind).
int count_entries(const std::string& dir);

}  // namespace cimsim::test
