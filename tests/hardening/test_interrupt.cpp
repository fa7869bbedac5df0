// Integrity of outputs under SIGINT and SIGTERM.
//
// cimsim writes every output to "<file>.tmp.<pid>" and renames it into place; its signal
// handler deletes the temporary file and exits with 128 + the signal number (130 for SIGINT,
// 143 for SIGTERM, the shell convention). So an interrupted run leaves the previous file or
// none - never a partial one - and no temporary file.
//
// Signals arrive (a) in the middle of a simulation, (b) the moment the report's temporary
// file appears (inotify), and (c) in the middle of writing a large trace (cimsim lower).
// In (b) the run may also win the race and finish: then the file is the complete report.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/inotify.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "cimsim/common/json.hpp"
#include "process.hpp"
#include "support/harness.hpp"

namespace cimsim::test {
namespace {

namespace fs = std::filesystem;
constexpr double kTimeoutSeconds = 600;
const char* const kPrevious = "{\"previous\": \"report, left alone\"}\n";

// Long enough to be interrupted (a few seconds without fast-forward), short enough to run
// to the end once as the reference.
std::vector<std::string> long_run(const std::string& out) {
  return cimsim_command({"run", "--machine", "a100-sxm4-80gb", "--workload", "gpt2-small",
                         "--prompt", "32", "--generate", "3", "--no-fast-forward", "-q", "--out",
                         out});
}

bool has_temp_file(const std::string& dir) {
  for (const auto& name : list_dir(dir)) {
    if (name.find(".tmp.") != std::string::npos) {
      return true;
    }
  }
  return false;
}

// The output is the previous file, or absent when there was none (a short message when not:
// the file may be a whole report).
void expect_previous_or_none(const std::string& out, bool previous_file) {
  if (previous_file) {
    std::string now = read_file(out);
    EXPECT_TRUE(now == kPrevious) << "the output file changed: " << now.size() << " bytes, "
                                  << now.substr(0, 80);
  } else {
    EXPECT_FALSE(file_exists(out))
        << "an output file appeared: " << read_file(out).size() << " bytes";
  }
}

// The report of an uninterrupted run.
struct Reference {
  std::string report;
};
const Reference& reference() {
  static const Reference ref = [] {
    std::string dir = make_temp_dir();
    ProcessResult r = run_with_timeout(long_run(dir + "/r.json"), kTimeoutSeconds);
    Reference out;
    if (r.exit_code == 0) {
      out.report = read_file(dir + "/r.json");
    }
    fs::remove_all(dir);
    return out;
  }();
  return ref;
}

struct Scenario {
  int signal;
  bool previous_file;
};

std::string describe(const Scenario& s) {
  return std::string(s.signal == SIGINT ? "SIGINT" : "SIGTERM") +
         (s.previous_file ? ", previous report present" : ", no previous report");
}

const Scenario kScenarios[] = {{SIGINT, true}, {SIGINT, false}, {SIGTERM, true}, {SIGTERM, false}};

TEST(Interrupt, MidSimulationLeavesThePreviousFileOrNone) {
  for (const Scenario& s : kScenarios) {
    SCOPED_TRACE(describe(s));
    std::string dir = make_temp_dir(), out = dir + "/r.json";
    if (s.previous_file) {
      write_file(out, kPrevious);
    }
    Child child(long_run(out));
    // Well inside the simulation (which takes seconds): the output path was checked, the
    // report not yet written.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ASSERT_TRUE(child.running()) << "the run ended within 0.5 s: too short to interrupt";
    child.send_signal(s.signal);
    ProcessResult r = child.wait(kTimeoutSeconds);
    EXPECT_EQ(r.exit_code, 128 + s.signal) << r.err;
    EXPECT_EQ(r.err, "");
    expect_previous_or_none(out, s.previous_file);
    EXPECT_FALSE(has_temp_file(dir)) << "left behind: " << ::testing::PrintToString(list_dir(dir));
    fs::remove_all(dir);
  }
}

// Blocks until a file whose name contains `part` is created in `dir` (or `child` ends or the
// time is up); true if it was seen.
bool wait_for_created(int fd, const std::string& part, Child& child, double timeout_s) {
  alignas(inotify_event) char buffer[4096];
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
         timeout_s) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      if (!child.running()) {
        return false;
      }
      continue;
    }
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    for (ssize_t at = 0; at < n;) {
      auto* e = reinterpret_cast<inotify_event*>(buffer + at);
      if (e->len > 0 && std::string(e->name).find(part) != std::string::npos) {
        return true;
      }
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  }
  return false;
}

TEST(Interrupt, WhileTheReportIsWrittenLeavesAWholeFileOrNone) {
  const Reference& ref = reference();
  ASSERT_FALSE(ref.report.empty()) << "the reference run failed";
  for (const Scenario& s : kScenarios) {
    SCOPED_TRACE(describe(s));
    std::string dir = make_temp_dir(), out = dir + "/r.json";
    if (s.previous_file) {
      write_file(out, kPrevious);
    }
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_GE(::inotify_add_watch(fd, dir.c_str(), IN_CREATE), 0);
    Child child(long_run(out));
    bool seen = wait_for_created(fd, "r.json.tmp.", child, kTimeoutSeconds);
    child.send_signal(s.signal);
    ProcessResult r = child.wait(kTimeoutSeconds);
    ::close(fd);
    EXPECT_TRUE(seen) << "the temporary report file never appeared";
    std::string now = file_exists(out) ? read_file(out) : std::string();
    if (r.exit_code == 0 || now == ref.report) {
      // The run won the race: the rename happened before the signal.
      EXPECT_TRUE(now == ref.report) << "exit " << r.exit_code << ", " << now.size()
                                     << " bytes instead of the report's " << ref.report.size();
      std::cout << describe(s) << ": the run finished before the signal\n";
    } else {
      std::cout << describe(s) << ": interrupted while writing the report\n";
      EXPECT_EQ(r.exit_code, 128 + s.signal) << r.err;
      expect_previous_or_none(out, s.previous_file);
    }
    EXPECT_FALSE(has_temp_file(dir)) << "left behind: " << ::testing::PrintToString(list_dir(dir));
    fs::remove_all(dir);
  }
}

TEST(Interrupt, WhileALargeTraceIsWrittenLeavesThePreviousFileOrNone) {
  // cimsim lower streams the trace into its temporary file as it lowers (~200 MB here), so
  // the signal lands in the middle of writing.
  for (const Scenario& s : kScenarios) {
    SCOPED_TRACE(describe(s));
    std::string dir = make_temp_dir(), out = dir + "/t.jsonl";
    if (s.previous_file) {
      write_file(out, kPrevious);
    }
    Child child(cimsim_command({"lower", "--workload", "llama-2-7b", "--prompt", "2048",
                                "--generate", "1024", "--out", out}));
    // Wait until a good part of the trace is in the temporary file.
    bool writing = false;
    while (child.elapsed() < kTimeoutSeconds && !writing) {
      for (const auto& name : list_dir(dir)) {
        std::error_code ec;
        if (name.find(".tmp.") != std::string::npos &&
            fs::file_size(dir + "/" + name, ec) > (4u << 20)) {
          writing = true;
        }
      }
      if (!child.running()) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(writing) << "the trace was never being written";
    child.send_signal(s.signal);
    ProcessResult r = child.wait(kTimeoutSeconds);
    EXPECT_EQ(r.exit_code, 128 + s.signal) << r.err;
    expect_previous_or_none(out, s.previous_file);
    EXPECT_FALSE(has_temp_file(dir)) << "left behind: " << ::testing::PrintToString(list_dir(dir));
    fs::remove_all(dir);
  }
}

TEST(Interrupt, ReferenceReportIsComplete) {
  const Reference& ref = reference();
  ASSERT_FALSE(ref.report.empty());
  Json j = Json::parse(ref.report);
  EXPECT_TRUE(j.contains("machines"));
}

}  // namespace
}  // namespace cimsim::test
