#include "cimsim/cli/command.hpp"

namespace cimsim::cli {

Command cmd_run();
Command cmd_info();
Command cmd_schema();
Command cmd_config();
Command cmd_lower();

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {cmd_run(), cmd_lower(), cmd_info(), cmd_config(),
                                            cmd_schema()};
  return list;
}

}  // namespace cimsim::cli
