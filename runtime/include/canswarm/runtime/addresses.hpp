#pragma once

// The addresses a node advertises (the `Peer Addrs:` line, later identify's
// listenAddrs): P2P_ANNOUNCE_ADDRS when set, otherwise the dialable listen
// addresses; each ends in /p2p/<own peer id>.

#include <string>
#include <vector>

#include "canswarm/error.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/multiformats/multiaddr.hpp"

namespace canswarm::runtime {

/// Returns the advertised addresses. `listening` holds multiaddr text (as
/// the transport reports it). An announce address that already ends in
/// /p2p/<id> must name this node (errc::invalid_argument otherwise).
result<std::vector<multiaddr>>
advertised_addresses(const std::vector<std::string>& listening,
                     const std::vector<multiaddr>& announce,
                     const peer_id& self);

/// Returns the addresses joined by single spaces.
std::string join_addresses(const std::vector<multiaddr>& addrs);

} // namespace canswarm::runtime
