#include <systemc>

#include "cimsim/common/error.hpp"
#include "cimsim/exec/executor.hpp"

namespace cimsim::exec {
namespace {

// A trace read from a file can turn out to be bad halfway (line 17 names an unknown tensor).
// The error surfaces inside a machine's SystemC thread. The source records it and lets it
// unwind that thread's stack (each machine's thread catches it and ends; every machine reads
// the same file, so each meets the error at the same line), and run_machines rethrows it as
// the InputError it is. No sc_stop: a stopped simulation leaves suspended threads' stacks
// (and what they own) never destroyed, which the leak sanitizer rightly reports.
class GuardedSource final : public trace::OpSource {
 public:
  GuardedSource(std::unique_ptr<trace::OpSource> inner, std::exception_ptr& error)
      : inner_(std::move(inner)), error_(error) {}
  const trace::TraceHeader& header() const override { return inner_->header(); }
  bool next(trace::Op& op) override {
    if (error_) std::rethrow_exception(error_);
    try {
      return inner_->next(op);
    } catch (const InputError&) {
      error_ = std::current_exception();
      throw;
    }
  }

 private:
  std::unique_ptr<trace::OpSource> inner_;
  std::exception_ptr& error_;
};

}  // namespace

std::vector<Json> run_machines(const std::vector<config::ConfigDoc>& machines,
                               const trace::OpSourceFactory& trace, const RunOptions& options) {
  std::vector<std::unique_ptr<Executor>> executors;
  for (size_t i = 0; i < machines.size(); ++i) {
    const MachineType& type = machine_type_of(machines[i]);
    // Module names must be unique and C-identifier-like; the report uses the config's name.
    executors.push_back(type.build(machines[i], "machine" + std::to_string(i), options));
  }
  std::exception_ptr trace_error;
  for (auto& e : executors) e->start(std::make_unique<GuardedSource>(trace(), trace_error));
  // A machine may read ahead in start() (a node reads the first phase): a bad trace shows there.
  if (trace_error) std::rethrow_exception(trace_error);
  sc_core::sc_start();
  if (trace_error) std::rethrow_exception(trace_error);
  std::vector<Json> reports;
  for (size_t i = 0; i < executors.size(); ++i) {
    if (!executors[i]->done()) {
      throw std::runtime_error("machine " + std::to_string(i) +
                               " stopped before finishing its trace (simulation deadlock)");
    }
    reports.push_back(executors[i]->report());
  }
  return reports;
}

}  // namespace cimsim::exec
