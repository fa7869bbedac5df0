#include "cimsim/common/atomic_file.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cimsim/common/error.hpp"

namespace cimsim {
namespace {

// At most a few temporary files exist at once (one per output being written). The slots are
// plain char arrays so the signal handler can read them without allocating.
constexpr int kSlots = 8;
constexpr size_t kPathMax = 4096;
char g_temp_paths[kSlots][kPathMax];
std::atomic<bool> g_slot_used[kSlots];

int register_temp(const std::string& path) {
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (path.size() < kPathMax && g_slot_used[i].compare_exchange_strong(expected, true)) {
      std::memcpy(g_temp_paths[i], path.c_str(), path.size() + 1);
      return i;
    }
  }
  return -1;
}

void unregister_temp(int slot) {
  if (slot >= 0) g_slot_used[slot].store(false);
}

extern "C" void remove_temps_and_exit(int sig) {
  for (int i = 0; i < kSlots; ++i) {
    if (g_slot_used[i].load()) ::unlink(g_temp_paths[i]);
  }
  ::_exit(128 + sig);
}

}  // namespace

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& fill) {
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  int slot = register_temp(temp);
  try {
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      if (!out)
        throw InputError(path,
                         "cannot write output file (" + std::string(std::strerror(errno)) + ")");
      fill(out);
      out.flush();
      if (!out)
        throw InputError(path, "writing output failed (" + std::string(std::strerror(errno)) + ")");
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
      throw InputError(path, "cannot rename temporary output into place (" +
                                 std::string(std::strerror(errno)) + ")");
    }
  } catch (...) {
    std::remove(temp.c_str());
    unregister_temp(slot);
    throw;
  }
  unregister_temp(slot);
}

void write_file_atomic(const std::string& path, const std::string& content) {
  write_file_atomic(path, [&](std::ostream& out) { out << content; });
}

void check_output_path(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p(path);
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  if (fs::is_directory(p, ec)) throw InputError(path, "is a directory, expected a file name");
  if (!fs::is_directory(dir, ec)) throw InputError(path, "output directory does not exist");
  if (::access(dir.c_str(), W_OK) != 0) throw InputError(path, "output directory is not writable");
}

void install_interrupt_cleanup() {
  struct sigaction action {};
  action.sa_handler = remove_temps_and_exit;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

}  // namespace cimsim
