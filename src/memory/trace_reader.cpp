// Reading memory traces in the DRAMsim3 text format (trace_reader.hpp).
#include "cimsim/memory/trace_reader.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "cimsim/common/error.hpp"
#include "cimsim/config/describe.hpp"

namespace cimsim::memory {

namespace {
constexpr std::array<int8_t, 256> make_hex_table() {
  std::array<int8_t, 256> t{};
  for (auto& x : t) {
    x = -1;
  }
  for (int c = '0'; c <= '9'; ++c) {
    t[c] = static_cast<int8_t>(c - '0');
  }
  for (int c = 'a'; c <= 'f'; ++c) {
    t[c] = static_cast<int8_t>(c - 'a' + 10);
  }
  for (int c = 'A'; c <= 'F'; ++c) {
    t[c] = static_cast<int8_t>(c - 'A' + 10);
  }
  return t;
}
constexpr std::array<int8_t, 256> kHex = make_hex_table();
inline bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// ---- the common line, a word at a time ----
//
// Nearly every line of a trace has the shape "0x<hex> READ|WRITE <decimal>\n" with single
// spaces. Its fields are parsed eight characters at a time: a loop over the characters ends
// after a number of steps that changes from line to line, which the CPU mispredicts about
// once per field. Any other line, valid or not, goes to the general parser (which also
// words the errors). Reads up to kSlack bytes past a line: the buffer keeps them readable.

constexpr size_t kSlack = 32;
constexpr bool kLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
constexpr uint64_t kEach = 0x0101010101010101;  // a byte's value in every byte
constexpr uint64_t kHigh = 0x80 * kEach;

inline uint64_t load8(const char* p) {
  uint64_t w = 0;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Bytes of `w` within [lo, hi], as their high bit. For bytes below 0x80 the additions carry
// into no other byte; bytes with the high bit set are in no range here.
inline uint64_t in_range(uint64_t w, uint8_t lo, uint8_t hi) {
  const uint64_t x = w & ~kHigh;
  return (x + (0x80 - lo) * kEach) & ~(x + (0x80 - hi - 1) * kEach) & ~w & kHigh;
}
inline uint64_t not_hex(uint64_t w) {
  return ~(in_range(w, '0', '9') | in_range(w | 0x20 * kEach, 'a', 'f')) & kHigh;
}
inline uint64_t not_decimal(uint64_t w) {
  return ~in_range(w, '0', '9') & kHigh;
}
// Leading characters of a field in `w`: the index of the first byte of `mask` (8 if none).
inline unsigned field_length(uint64_t mask) {
  return mask == 0 ? 8 : static_cast<unsigned>(__builtin_ctzll(mask)) / 8;
}
// Value of the first n (1 to 8) hexadecimal digits of w, the first the most significant.
inline uint64_t hex_value(uint64_t w, unsigned n) {
  w <<= 64 - 8 * n;  // the digits to the top: the zero bytes below count as leading zeros
  uint64_t v = (w & 0x0F * kEach) + 9 * ((w >> 6) & kEach);  // '0'-'9' 0-9, [aA]-[fF] 10-15
  v = ((v & 0x00FF00FF00FF00FF) << 4) | ((v >> 8) & 0x00FF00FF00FF00FF);
  v = ((v & 0x0000FFFF0000FFFF) << 8) | ((v >> 16) & 0x0000FFFF0000FFFF);
  return ((v & 0xFFFFFFFF) << 16) | (v >> 32);
}
// Value of the first n (1 to 8) decimal digits of w (Lemire's eight-digit multiplication).
inline uint64_t decimal_value(uint64_t w, unsigned n) {
  if (n < 8) {
    w = (w << (64 - 8 * n)) | (uint64_t{'0'} * kEach >> 8 * n);  // leading '0's
  }
  w -= uint64_t{'0'} * kEach;
  w = w * 10 + (w >> 8);
  const uint64_t mask = 0x000000FF000000FF;
  return (((w & mask) * (100 + (1000000ULL << 32))) +
          (((w >> 16) & mask) * (1 + (10000ULL << 32)))) >>
         32;
}

// Parses the common shape at p; on success `eol` is the line's '\n'.
inline bool parse_common(const char* p, TraceRequest& out, const char*& eol) {
  if (!kLittleEndian || p[0] != '0' || p[1] != 'x') {
    return false;
  }
  p += 2;
  const uint64_t w0 = load8(p);
  const unsigned n = field_length(not_hex(w0));
  if (n == 0) {
    return false;
  }
  // Digits 9 to 15 in the next word, worked out whether there are any or not (whether an
  // address has more than eight digits is often a coin toss: no branch on it).
  const uint64_t w1 = load8(p + 8);
  const uint64_t rest = n == 8 ? not_hex(w1) : kHigh;
  if (rest == 0) {
    return false;  // sixteen digits or more
  }
  const unsigned m = field_length(rest);
  const uint64_t high = hex_value(w0, n);
  // Arithmetic, not comparisons (which the compiler turns back into a branch): m is 0 to 7.
  const unsigned any = (m + 7) >> 3;  // 1 if there are more digits
  const uint64_t low = hex_value(w1, m | (any ^ 1)) & (uint64_t{0} - any);
  const uint64_t address = (high << (4 * m)) | low;
  p += n + m;
  const uint64_t op = load8(p);
  constexpr uint64_t kFive = 0xFFFFFFFFFF, kSix = 0xFFFFFFFFFFFF;
  bool write = false;
  if ((op & kFive) == (load8(" READ   ") & kFive) && p[5] == ' ') {
    p += 6;
  } else if ((op & kSix) == (load8(" WRITE  ") & kSix) && p[6] == ' ') {
    p += 7;
    write = true;
  } else {
    return false;
  }
  const uint64_t w = load8(p);
  const unsigned digits = field_length(not_decimal(w));
  if (digits == 0 || p[digits] != '\n') {
    return false;  // (also nine digits or more)
  }
  out = TraceRequest{address, write, decimal_value(w, digits), 0};
  eol = p + digits;
  return true;
}
}  // namespace

TraceReader::TraceReader(const std::string& path) : path_(path), buffer_((1 << 16) + kSlack) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InputError(path, "is a directory, expected a memory trace file");
  }
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    throw InputError(path, std::string("cannot open trace: ") + std::strerror(errno));
  }
}

TraceReader::~TraceReader() {
  if (file_ != nullptr) {
    std::fclose(file_);
  }
}

// Keeps the unread tail and appends more of the file until the buffer holds a whole line;
// false once nothing is left.
bool TraceReader::fill() {
  for (;;) {
    if (eof_) {
      complete_ = size_;  // the last line needs no '\n'
      return pos_ < size_;
    }
    std::memmove(buffer_.data(), buffer_.data() + pos_, size_ - pos_);
    size_ -= pos_;
    pos_ = 0;
    if (size_ + 1 + kSlack >= buffer_.size()) {
      buffer_.resize(buffer_.size() * 2);  // a very long line
    }
    // One byte stays free for a terminator: a line always ends in '\n' or '\0', neither a
    // digit nor a blank, so the loops in next() need no end check; kSlack more stay readable
    // for parse_common().
    size_t n = std::fread(buffer_.data() + size_, 1, buffer_.size() - kSlack - 1 - size_, file_);
    size_ += n;
    buffer_[size_] = '\0';
    if (n == 0) {
      if (std::ferror(file_)) {
        throw InputError(path_, "read error");
      }
      eof_ = true;
      continue;
    }
    size_t last = size_;
    while (last > 0 && buffer_[last - 1] != '\n') {
      --last;
    }
    if (last > 0) {
      complete_ = last;
      return true;
    }
  }
}

const char* TraceReader::line_end(const char* begin) const {
  const char* data_end = buffer_.data() + size_;
  const void* nl = std::memchr(begin, '\n', static_cast<size_t>(data_end - begin));
  return nl != nullptr ? static_cast<const char*>(nl) : data_end;
}

void TraceReader::fail(const char* begin, const std::string& why) const {
  std::string text(begin, line_end(begin));
  if (!text.empty() && text.back() == '\r') {
    text.pop_back();
  }
  throw InputError(path_ + ":" + std::to_string(line_),
                   "expected \"0xADDR READ|WRITE CYCLE [REQUESTOR]\", got " +
                       quote_for_message(text) + " (" + why + ")");
}

// The common line in a complete part of the buffer: small enough to be inlined into the
// replay loop (this file); anything else goes on to next_general().
bool TraceReader::next(TraceRequest& out) {
  const char* eol = nullptr;
  if (pos_ < complete_ && parse_common(buffer_.data() + pos_, out, eol)) {
    ++line_;
    pos_ = static_cast<size_t>(eol - buffer_.data()) + 1;
    return true;
  }
  return next_general(out);
}

// One pass over the line, no search for its end first: the line ends at a '\n' or at the end
// of the data (where the buffer holds a '\0'), which eol() tells apart from a '\0' inside it.
// It reads every valid line, the common shape too (the first line after a refill).
bool TraceReader::next_general(TraceRequest& out) {
  for (;;) {
    if (pos_ >= complete_ && !fill()) {
      return false;
    }
    const char* begin = buffer_.data() + pos_;
    const char* data_end = buffer_.data() + size_;
    auto eol = [data_end](const char* q) { return *q == '\n' || q == data_end; };
    auto consume = [&](const char* q) {  // q: the '\n' or the end of the data
      pos_ = static_cast<size_t>(q - buffer_.data()) + (q != data_end ? 1 : 0);
    };
    ++line_;
    const char* p = begin;
    while (is_blank(*p)) {
      ++p;
    }
    if (eol(p) || *p == '#') {
      consume(line_end(p));
      continue;
    }
    // address
    if (p[0] != '0' || (p[1] != 'x' && p[1] != 'X') || eol(p + 2)) {
      fail(begin, "the address must be hexadecimal with a 0x prefix");
    }
    p += 2;
    const char* digits = p;
    uint64_t addr = 0;
    for (int8_t v = kHex[static_cast<unsigned char>(*p)]; v >= 0;
         v = kHex[static_cast<unsigned char>(*++p)]) {
      addr = addr << 4 | static_cast<uint64_t>(v);
    }
    if (p == digits) {
      fail(begin, "no hexadecimal digits after 0x");
    }
    if (p - digits > 16) {
      fail(begin, "the address does not fit in 64 bits");
    }
    if (!eol(p) && !is_blank(*p)) {
      fail(begin, std::string("bad hexadecimal digit '") + *p + "' in the address");
    }
    while (is_blank(*p)) {
      ++p;
    }
    // operation (compared a byte at a time: the first byte that differs may be the end)
    bool write = false;
    if (p[0] == 'R' && p[1] == 'E' && p[2] == 'A' && p[3] == 'D' &&
        (eol(p + 4) || is_blank(p[4]))) {
      p += 4;
    } else if (p[0] == 'W' && p[1] == 'R' && p[2] == 'I' && p[3] == 'T' && p[4] == 'E' &&
               (eol(p + 5) || is_blank(p[5]))) {
      p += 5;
      write = true;
    } else {
      const char* op = p;
      while (!eol(p) && !is_blank(*p)) {
        ++p;
      }
      size_t op_len = static_cast<size_t>(p - op);
      fail(begin, op_len == 0 ? "missing operation: expected READ or WRITE"
                              : "unknown operation \"" + std::string(op, op_len) +
                                    "\": expected READ or WRITE");
    }
    while (is_blank(*p)) {
      ++p;
    }
    // cycle
    if (eol(p)) {
      fail(begin, "missing cycle");
    }
    const char* cycle_begin = p;
    uint64_t cycle = 0;
    for (auto d = static_cast<unsigned>(*p - '0'); d < 10; d = static_cast<unsigned>(*++p - '0')) {
      cycle = cycle * 10 + d;
    }
    if (p == cycle_begin || (!eol(p) && !is_blank(*p))) {
      fail(begin, "the cycle must be a decimal integer");
    }
    if (p - cycle_begin > 19) {
      fail(begin, "the cycle does not fit in 64 bits");
    }
    while (is_blank(*p)) {
      ++p;
    }
    // requestor (optional)
    uint32_t requestor = 0;
    if (!eol(p)) {
      const char* requestor_begin = p;
      for (auto d = static_cast<unsigned>(*p - '0'); d < 10 && p - requestor_begin < 6;
           d = static_cast<unsigned>(*++p - '0')) {
        requestor = requestor * 10 + d;
      }
      if (p == requestor_begin || (!eol(p) && !is_blank(*p)) || requestor > 0xFFFF) {
        fail(begin,
             "unexpected text after the cycle: the optional fourth field is the "
             "requestor, a decimal integer in [0, 65535]");
      }
      while (is_blank(*p)) {
        ++p;
      }
      if (!eol(p)) {
        fail(begin, "unexpected text after the requestor");
      }
    }
    consume(p);
    out = TraceRequest{addr, write, cycle, static_cast<RequestorId>(requestor)};
    return true;
  }
}

}  // namespace cimsim::memory
