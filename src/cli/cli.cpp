#include <cstdlib>
#include <iostream>
#include <systemc>

#include "cimsim/cli/command.hpp"
#include "cimsim/common/atomic_file.hpp"
#include "cimsim/common/error.hpp"
#include "cimsim/trace/source.hpp"

namespace cimsim::cli {
namespace {

void print_overview(std::ostream& out) {
  // Says what is simulated event by event and what is a closed form (docs/architecture.md).
  out << "cimsim " << CIMSIM_VERSION
      << " - compute-in-memory vs von Neumann simulator for Transformer workloads\n"
         "  HBM: cycle-level, every DRAM command an event\n"
         "  GPU: event-driven per thread block and DMA transaction, over the L2 and HBM models\n"
         "  CIM: events for the tiles' bounded input buffers (credits) and the mesh (finite\n"
         "       router buffers, wormhole back-pressure); crossbars, vector units and chip\n"
         "       links as closed forms over busy-until reservations\n\n"
         "usage: cimsim <command> [options]     (cimsim <command> --help for its options)\n\n"
         "commands:\n";
  for (const auto& c : commands()) {
    out << "  " << c.name << std::string(c.name.size() < 10 ? 10 - c.name.size() : 1, ' ')
        << c.summary << "\n";
  }
  out << "\nexit codes: 0 success, 2 bad input, 1 internal error\n";
}

// SystemC reports become exceptions, so a model error is never just a line on stderr.
void throw_on_sc_error(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  if (report.get_severity() >= sc_core::SC_ERROR) throw sc_core::sc_report(report);
}

int dispatch(int argc, char** argv, std::ostream& out) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    print_overview(out);
    return argc < 2 ? kExitBadInput : kExitOk;
  }
  if (std::string(argv[1]) == "--version") {
    out << "cimsim " << CIMSIM_VERSION << " (trace format " << trace::kTraceFormatVersion << ")\n";
    return kExitOk;
  }
  std::string name = argv[1];
  for (const auto& command : commands()) {
    if (command.name != name) continue;
    po::options_description desc("options of 'cimsim " + name + "'", 100);
    desc.add_options()("help,h", "show this help");
    command.add_options(desc);
    po::variables_map vm;
    // No positional arguments: a stray word is an error rather than silently ignored.
    po::store(po::command_line_parser(argc - 1, argv + 1)
                  .options(desc)
                  .positional(po::positional_options_description())
                  .run(),
              vm);
    if (vm.count("help") != 0) {
      out << "usage: " << command.usage << "\n\n" << command.summary << "\n\n" << desc << "\n";
      return kExitOk;
    }
    po::notify(vm);
    return command.run(vm, out);
  }
  std::string known;
  for (const auto& c : commands()) known += (known.empty() ? "" : ", ") + c.name;
  throw InputError("unknown command " + quote_for_message(name) + " (expected one of: " + known +
                   ")");
}

// An error is one line on stderr whatever a message quotes (a file name or --set value
// with a newline in it): control characters are escaped.
std::string one_line(const std::string& message) {
  std::string out;
  for (char c : message) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv, std::ostream& out, std::ostream& err) {
  sc_core::sc_report_handler::set_handler(throw_on_sc_error);
  install_interrupt_cleanup();
  try {
    return dispatch(argc, argv, out);
  } catch (const InputError& e) {
    err << "cimsim: error: " << one_line(e.what()) << "\n";
    return kExitBadInput;
  } catch (const po::error& e) {
    err << "cimsim: error: " << one_line(e.what()) << " (see cimsim "
        << one_line(argc > 1 ? argv[1] : "") << " --help)\n";
    return kExitBadInput;
  } catch (const sc_core::sc_report& e) {
    err << "cimsim: internal error: SystemC: " << one_line(e.what()) << "\n";
    return kExitInternalError;
  } catch (const std::exception& e) {
    err << "cimsim: internal error: " << one_line(e.what()) << "\n";
    return kExitInternalError;
  }
}

}  // namespace cimsim::cli
