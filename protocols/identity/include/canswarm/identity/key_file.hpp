#pragma once

// Node key files: a libp2p PrivateKey protobuf (any key type) on disk,
// mode 0600.
//
// Deviations from spec: none (the file format is the go/js libp2p one).

#include <cstddef>
#include <string>

#include "canswarm/error.hpp"
#include "canswarm/identity/keys.hpp"

namespace canswarm::identity {

/// Largest key file read: a private key protobuf is at most
/// `max_private_key_protobuf_size`.
inline constexpr std::size_t max_key_file_size = max_private_key_protobuf_size;

/// Loads a key file (libp2p PrivateKey protobuf). Errors name the path.
result<private_key> load_key_file(const std::string& path);

/// Writes with mode 0600 (atomic: temp file + rename).
result<void> save_key_file(const std::string& path, const private_key& key);

/// Loads, or generates+saves an Ed25519 key when the file does not exist.
/// `warning` (may be null) receives a message when the file is readable by
/// group/others, and is cleared otherwise.
result<private_key> load_or_create_key_file(const std::string& path,
                                            std::string* warning);

} // namespace canswarm::identity
