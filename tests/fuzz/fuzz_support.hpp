#pragma once

// Shared helpers of the fuzz targets in this directory.
//
// Every target defines the libFuzzer entry point `LLVMFuzzerTestOneInput`.
// It is linked either with libFuzzer (-fsanitize=fuzzer, CANSWARM_FUZZ=ON)
// or with replay_main.cpp, which runs the committed corpus under any
// compiler as a ctest test (fuzz_replay_<name>).
//
// Properties are checked with FUZZ_CHECK, which traps: libFuzzer reports the
// trap as a crash and saves the input; the replay driver dies with SIGILL so
// ctest fails.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "canswarm/bytes.hpp"

/// Aborts (as a crash the fuzzer records) when a property does not hold.
#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond))         \
      __builtin_trap();  \
  } while (false)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size);

namespace canswarm::fuzz {

/// Consumes a fuzz input from the front: selector bytes, integers and
/// slices. Every read succeeds; past the end it yields zeros / empty views,
/// so targets never need to check the remaining size themselves.
class input {
public:
  input(const std::uint8_t* data, std::size_t size) : data_(data, size) {}

  /// Returns whether every byte was consumed.
  bool empty() const {
    return pos_ >= data_.size();
  }

  /// Bytes not consumed yet.
  std::size_t remaining() const {
    return data_.size() - pos_;
  }

  /// Takes one byte (0 at the end).
  std::uint8_t byte() {
    return empty() ? 0 : data_[pos_++];
  }

  /// Takes two bytes, big-endian.
  std::uint16_t u16() {
    auto hi = byte();
    return static_cast<std::uint16_t>((hi << 8) | byte());
  }

  /// Takes four bytes, big-endian.
  std::uint32_t u32() {
    std::uint32_t hi = u16();
    return (hi << 16) | u16();
  }

  /// Takes up to `n` bytes.
  bytes_view take(std::size_t n) {
    n = std::min(n, remaining());
    auto out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

  /// Takes a slice whose length is the next byte (0..255).
  bytes_view take_short() {
    return take(byte());
  }

  /// Takes a slice whose length is the next two bytes (0..65535).
  bytes_view take_long() {
    return take(u16());
  }

  /// Takes everything left.
  bytes_view rest() {
    return take(remaining());
  }

private:
  bytes_view data_;
  std::size_t pos_ = 0;
};

/// Copies a view into an owned buffer.
inline bytes copy(bytes_view v) {
  return {v.begin(), v.end()};
}

/// Views bytes as text (the parsers under test take std::string_view).
inline std::string_view as_text(bytes_view v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

/// Feeds `data` to `sink` in chunks of `chunk` bytes (0: all at once), so
/// one input explores a split of the byte stream as well as its content.
template<class Sink>
void feed_chunks(bytes_view data, std::size_t chunk, Sink&& sink) {
  if (chunk == 0)
    chunk = data.size();
  while (!data.empty()) {
    auto n = std::min(chunk, data.size());
    sink(data.first(n));
    data = data.subspan(n);
  }
}

} // namespace canswarm::fuzz
