#include "cimsim/cli/command.hpp"

namespace cimsim::cli {

Command cmd_run();
Command cmd_info();
Command cmd_schema();
Command cmd_memtrace();

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {cmd_run(), cmd_info(), cmd_schema(), cmd_memtrace()};
  return list;
}

}  // namespace cimsim::cli
