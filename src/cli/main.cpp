// libsystemc supplies main() and calls sc_main.
#include <cstdlib>
#include <iostream>
#include <systemc>

#include "cimsim/cli/command.hpp"

// AddressSanitizer brings its own allocator: the heap set-up below is for glibc's.
#if defined(__SANITIZE_ADDRESS__)
#define CIMSIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CIMSIM_ASAN 1
#endif
#endif

#if defined(__linux__) && defined(__GLIBC__) && !defined(CIMSIM_ASAN)
#define CIMSIM_HUGE_PAGE_HEAP 1
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#endif

namespace {
// SystemC prints its banner in sc_elab_and_sim(), before sc_main runs; a static initializer
// is the last chance to turn it off.
const int kQuietBanner = ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);

#if defined(CIMSIM_HUGE_PAGE_HEAP)
// Start-up heap for `cimsim memtrace`. libsystemc's static initializers allocate and clear a
// 3 MiB scratch heap (sc_temp_heap) before main: with 4 KiB pages that is ~770 page faults,
// ~10 ms on a VM, 5 % of replaying a million requests. Called from .preinit_array, before
// any library's initializers, this makes malloc take that block (and everything after it)
// from one heap grown 16 MiB at a time, and asks the kernel to back the heap with
// transparent huge pages (honoured when /sys/kernel/mm/transparent_hugepage/enabled is
// "always" or "madvise"; otherwise only the page-fault count changes). Only for memtrace:
// the machines' runs allocate and free large blocks for seconds to minutes, where glibc's
// adaptive policy (which fixed settings switch off for good) is faster: Llama-2-7B on the
// A100 ran 8 % slower with this heap. Only speed changes, never a result.
void prepare_heap(int argc, char** argv, char** /*envp*/) {
  if (argc < 2 || std::strcmp(argv[1], "memtrace") != 0) {
    return;
  }
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  constexpr int kMmapThreshold = 64 << 20;  // blocks below this come from the heap
  constexpr int kTopPad = 16 << 20;         // heap growth per brk
  ::mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  ::mallopt(M_TOP_PAD, kTopPad);
  void* first = std::malloc(1);  // creates the heap: brk moves by kTopPad
  // Addresses as integers: a range of the heap for the kernel, not an object.
  const auto begin = (reinterpret_cast<std::uintptr_t>(first) + kHugePage - 1) & ~(kHugePage - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(::sbrk(0));
  if (end > begin) {                           // a hint: its failure changes nothing
    ::madvise(reinterpret_cast<void*>(begin),  // NOLINT(performance-no-int-to-ptr)
              end - begin, MADV_HUGEPAGE);
  }
  std::free(first);
}
__attribute__((section(".preinit_array"), used)) void (*const kPrepareHeap)(int, char**,
                                                                            char**) = prepare_heap;
#endif
}  // namespace

int sc_main(int argc, char* argv[]) {
  return cimsim::cli::main(argc, argv, std::cout, std::cerr);
}
