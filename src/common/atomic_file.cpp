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
// plain char arrays so the signal handler can read them without allocating. A slot is
// claimed, then filled, then published: the handler only ever sees complete paths.
constexpr int kSlots = 8;
constexpr size_t kPathMax = 4096;
enum SlotState : int { kFree = 0, kFilling = 1, kPublished = 2 };
char g_temp_paths[kSlots][kPathMax];
std::atomic<int> g_slot_state[kSlots];

int register_temp(const std::string& path) {
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (path.size() < kPathMax && g_slot_state[i].compare_exchange_strong(expected, kFilling)) {
      std::memcpy(g_temp_paths[i], path.c_str(), path.size() + 1);
      g_slot_state[i].store(kPublished);
      return i;
    }
  }
  return -1;
}

void unregister_temp(int slot) {
  if (slot >= 0) g_slot_state[slot].store(kFree);
}

extern "C" void remove_temps_and_exit(int sig) {
  for (int i = 0; i < kSlots; ++i) {
    if (g_slot_state[i].load() == kPublished) ::unlink(g_temp_paths[i]);
  }
  ::_exit(128 + sig);
}

}  // namespace

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& fill) {
  // A device or pipe (/dev/null, /dev/stdout, a FIFO) is written in place: renaming a file
  // over it would replace the device node (as root, /dev/null itself), and there is no
  // half-written file to avoid.
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    std::ofstream out(path, std::ios::binary);
    if (!out)
      throw InputError(path, "cannot write output (" + std::string(std::strerror(errno)) + ")");
    fill(out);
    out.flush();
    if (!out)
      throw InputError(path, "writing output failed (" + std::string(std::strerror(errno)) + ")");
    return;
  }
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
  if (fs::exists(p, ec) && !fs::is_regular_file(p, ec)) {  // a device or pipe: written in place
    if (::access(p.c_str(), W_OK) != 0) throw InputError(path, "is not writable");
    return;
  }
  if (!fs::is_directory(dir, ec)) throw InputError(path, "output directory does not exist");
  if (::access(dir.c_str(), W_OK) != 0) throw InputError(path, "output directory is not writable");
}

void check_output_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(fs::path(dir), ec);
  if (fs::exists(p, ec) && !fs::is_directory(p, ec)) {
    throw InputError(dir, "is a file, expected a directory for the output files");
  }
  while (!fs::exists(p, ec) && p.has_parent_path() && p.parent_path() != p) {
    p = p.parent_path();
  }
  if (!fs::is_directory(p, ec)) {
    throw InputError(dir, "cannot be created: " + p.string() + " is not a directory");
  }
  if (::access(p.c_str(), W_OK) != 0) {
    throw InputError(dir, "cannot be written: " + p.string() + " is not writable");
  }
}

void install_interrupt_cleanup() {
  struct sigaction action {};
  action.sa_handler = remove_temps_and_exit;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

}  // namespace cimsim
