// Shared pieces of the libFuzzer harnesses: a scratch directory per process (the readers
// take file paths), and the rule that bad input must end in an InputError.
//
// A harness returns normally for valid input and for input rejected with cimsim::InputError
// (exit code 2 in the CLI, the documented behaviour). Any other exception escapes, which
// libFuzzer reports as a crash: the CLI would print "internal error" for it.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace cimsim::fuzz {

// A fresh directory for this process's scratch files (under /dev/shm when there is one:
// every input is written once, and a RAM file system keeps that cheap).
inline const std::string& scratch_dir() {
  // Never destroyed: the exit handler that removes the directory runs after static
  // destructors registered later than itself.
  static const std::string* dir = [] {
    std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string pattern = base + "/cimsim-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    auto* made = new std::string(pattern);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return made;
  }();
  return *dir;
}

inline std::string write_scratch(const std::string& name, const uint8_t* data, size_t size) {
  std::string path = scratch_dir() + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    std::perror(path.c_str());
    std::abort();
  }
  if (size != 0 && std::fwrite(data, 1, size, f) != size) {
    std::perror(path.c_str());
    std::abort();
  }
  std::fclose(f);
  return path;
}

// Presets (extends, "memory": "hbm2e") come from the source tree unless CIMSIM_DATA_DIR says
// otherwise.
inline void default_data_dir() {
  ::setenv("CIMSIM_DATA_DIR", CIMSIM_FUZZ_SOURCE_DIR, 0);
}

}  // namespace cimsim::fuzz

// libsystemc.so supplies main() and needs an sc_main; libFuzzer's main() is the one that
// runs, so this is never called.
extern "C" int sc_main(int, char*[]);
