// Child processes for the hardening tests: run a command with a time limit (a hang is a test
// failure, not a stuck suite), or start one and signal it while it runs.
//
// Header-only so that each test executable of this folder compiles what it uses; output goes
// to files rather than pipes so a chatty child can never block on a full pipe.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/harness.hpp"

namespace cimsim::test {

struct ProcessResult {
  int exit_code = -1;  // exit status, or 128 + signal if a signal ended the process
  bool timed_out = false;
  std::string out, err;
  double seconds = 0;
};

class Child {
 public:
  // Starts argv[0] (a path) with stdin from /dev/null; stdout and stderr go to files.
  explicit Child(const std::vector<std::string>& argv) : dir_(make_temp_dir()) {
    start_ = std::chrono::steady_clock::now();
    std::string out_path = dir_ + "/stdout", err_path = dir_ + "/stderr";
    pid_ = ::fork();
    if (pid_ < 0) {
      throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
      // Own process group, so a signal for the test never reaches a sweep's children and
      // the test can end a whole tree it started.
      ::setpgid(0, 0);
      int in = ::open("/dev/null", O_RDONLY);
      int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      std::vector<std::string> copy = argv;
      std::vector<char*> args;
      for (auto& a : copy) {
        args.push_back(a.data());
      }
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(-pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  pid_t pid() const { return pid_; }
  void send_signal(int sig) const { ::kill(pid_, sig); }
  // True while the child has not ended (it is not reaped here: wait() still reports it).
  bool running() const {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == 0;
  }
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  // What the child printed so far.
  std::string out_so_far() const { return read_file(dir_ + "/stdout"); }
  std::string err_so_far() const { return read_file(dir_ + "/stderr"); }

  // Waits for the child to end; after `timeout_s` it (and its process group) is killed and
  // the result says timed_out.
  ProcessResult wait(double timeout_s) {
    ProcessResult r;
    int status = 0;
    for (;;) {
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        break;
      }
      if (elapsed() > timeout_s) {
        r.timed_out = true;
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    reaped_ = true;
    r.seconds = elapsed();
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = out_so_far();
    r.err = err_so_far();
    return r;
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::chrono::steady_clock::time_point start_;
};

inline ProcessResult run_with_timeout(const std::vector<std::string>& argv, double timeout_s) {
  Child child(argv);
  return child.wait(timeout_s);
}

// The cimsim CLI with arguments.
inline std::vector<std::string> cimsim_command(const std::vector<std::string>& args) {
  std::vector<std::string> argv{cimsim_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Names of the entries of a directory, sorted (to show what a run left behind).
inline std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace cimsim::test
