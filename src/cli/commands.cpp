#include "cimsim/cli/command.hpp"

namespace cimsim::cli {

Command cmd_run();
Command cmd_serve();
Command cmd_lower();
Command cmd_memtrace();
Command cmd_info();
Command cmd_config();
Command cmd_schema();

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {cmd_run(),  cmd_serve(),  cmd_lower(), cmd_memtrace(),
                                            cmd_info(), cmd_config(), cmd_schema()};
  return list;
}

}  // namespace cimsim::cli
