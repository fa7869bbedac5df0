#include "support/harness.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace cimsim::test {
namespace fs = std::filesystem;

std::string source_dir() {
  return CIMSIM_TEST_SOURCE_DIR;
}
std::string source_path(const std::string& relative) {
  return source_dir() + "/" + relative;
}
std::string cimsim_binary() {
  return CIMSIM_TEST_BINARY;
}

namespace {
// The directories this test process made, removed when it exits (each test is a process of
// its own) unless CIMSIM_KEEP_TEST_DIRS is set, to look at what a failing test left.
struct TempDirs {
  std::vector<std::string> dirs;
  ~TempDirs() {
    if (std::getenv("CIMSIM_KEEP_TEST_DIRS") != nullptr) {
      return;
    }
    for (const auto& d : dirs) {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  }
};
TempDirs& temp_dirs() {
  static TempDirs dirs;
  return dirs;
}
}  // namespace

std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/cimsim-test-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  temp_dirs().dirs.emplace_back(buffer.data());
  return buffer.data();
}

CommandResult run_cimsim(const std::vector<std::string>& args) {
  // Output goes to temporary files rather than pipes so a chatty child cannot deadlock.
  std::string dir = make_temp_dir();
  std::string out_path = dir + "/stdout", err_path = dir + "/stderr";
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv;
    std::string binary = cimsim_binary();
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out_path);
  result.err = strip_sanitizer_notes(read_file(err_path));
  fs::remove_all(dir);
  return result;
}

std::string strip_sanitizer_notes(const std::string& err) {
  static const char* const kNote[] = {
      "WARNING: ASan is ignoring requested __asan_handle_no_return",
      "False positive error reports may follow",
      "For details see https://github.com/google/sanitizers/issues/189"};
  std::string out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    bool note = false;
    for (const char* n : kNote) {
      note = note || line.find(n) != std::string::npos;
    }
    if (!note) {
      out += line + (in.eof() ? "" : "\n");
    }
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    out += l + "\n";
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

bool file_exists(const std::string& path) {
  return fs::exists(path);
}

int count_entries(const std::string& dir) {
  int n = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace cimsim::test
