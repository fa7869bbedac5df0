// Errors cimsim reports to its user.
//
// InputError is bad input (a config, a trace, a CLI argument): the CLI prints its one-line
// message and exits with code 2. Any other exception is an internal error (exit code 1).
// A message names where the problem is (file and line, or file and JSON path), the value
// found and what was expected, e.g.
//   configs/machines/x.json: machine.hbm.channels: expected an integer >= 1, got -3
#pragma once

#include <stdexcept>
#include <string>

namespace cimsim {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
  // "<where>: <what>"; where may be empty.
  InputError(const std::string& where, const std::string& what)
      : std::runtime_error(where.empty() ? what : where + ": " + what) {}
};

// Exit codes of the CLI.
constexpr int kExitOk = 0;
constexpr int kExitInternalError = 1;
constexpr int kExitBadInput = 2;

// Quotes a value for an error message, shortening long ones so a message stays one line.
std::string quote_for_message(const std::string& value, size_t max_chars = 60);

}  // namespace cimsim
