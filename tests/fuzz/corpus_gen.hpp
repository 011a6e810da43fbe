#pragma once

// The seed corpus generator (fuzz_corpus_gen): builds seeds for every fuzz
// target with the codecs' own encoders and honest protocol peers, so seeds
// start the fuzzers deep inside valid inputs.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "canswarm/bytes.hpp"

namespace canswarm::fuzz {

/// Collects seeds per target.
class seed_sink {
public:
  /// Adds seed `name` (written as corpus/<target>/seed-<name>).
  void add(std::string_view target, std::string_view name, bytes data) {
    seeds_[std::string{target}].emplace_back(std::string{name},
                                             std::move(data));
  }

  /// Adds a seed made of a prefix (mode / selector bytes) and a body.
  void add(std::string_view target, std::string_view name,
           std::initializer_list<std::uint8_t> prefix, bytes_view body) {
    bytes data(prefix);
    append(data, body);
    add(target, name, std::move(data));
  }

  const auto& seeds() const {
    return seeds_;
  }

private:
  std::map<std::string, std::vector<std::pair<std::string, bytes>>> seeds_;
};

/// Appends a 2-byte big-endian length, then `data`.
inline void append_long(bytes& out, bytes_view data) {
  out.push_back(static_cast<std::uint8_t>(data.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(data.size()));
  append(out, data);
}

/// Appends a 1-byte length, then `text` (at most 255 bytes).
inline void append_short(bytes& out, std::string_view text) {
  out.push_back(static_cast<std::uint8_t>(text.size()));
  append(out, as_bytes(text));
}

/// Seeds of the stateless codecs: varint, multihash_peer_id,
/// multiaddr_binary, multiaddr_text, key_protobuf, multistream,
/// noise_payload, yamux_frame, identify, p2pd, envelope.
void add_codec_seeds(seed_sink& sink);

/// Seeds of the state machines: noise_session, noise_handshake,
/// yamux_session.
void add_session_seeds(seed_sink& sink);

/// Seeds of gossipsub_rpc, plaintext, mplex and tls_signed_key (only when
/// built with CANSWARM_FUZZ_EXTRA_SEEDS).
void add_extra_seeds(seed_sink& sink);

} // namespace canswarm::fuzz
