#include "canswarm/gossipsub/types.hpp"

#include "canswarm/gossipsub/limits.hpp"

namespace canswarm::gossipsub {

std::string_view to_string(protocol p) {
  switch (p) {
    case protocol::meshsub_v11: return meshsub_v11_id;
    case protocol::meshsub_v10: return meshsub_v10_id;
    case protocol::floodsub: return floodsub_id;
  }
  return "?";
}

std::optional<protocol> parse_protocol(std::string_view id) {
  if (id == meshsub_v11_id)
    return protocol::meshsub_v11;
  if (id == meshsub_v10_id)
    return protocol::meshsub_v10;
  if (id == floodsub_id)
    return protocol::floodsub;
  return std::nullopt;
}

std::string message_id::to_hex() const {
  return canswarm::to_hex(view());
}

std::optional<std::uint64_t> seqno_value(const message& m) {
  if (!m.seqno || m.seqno->size() != seqno_size)
    return std::nullopt;
  std::uint64_t v = 0;
  for (auto b : *m.seqno)
    v = (v << 8) | b;
  return v;
}

const char* to_string(reject_reason r) {
  switch (r) {
    case reject_reason::missing_signature: return "missing_signature";
    case reject_reason::invalid_signature: return "invalid_signature";
    case reject_reason::missing_from: return "missing_from";
    case reject_reason::invalid_from: return "invalid_from";
    case reject_reason::missing_seqno: return "missing_seqno";
    case reject_reason::invalid_seqno: return "invalid_seqno";
    case reject_reason::key_mismatch: return "key_mismatch";
    case reject_reason::invalid_key: return "invalid_key";
    case reject_reason::unexpected_auth_field: return "unexpected_auth_field";
    case reject_reason::message_too_large: return "message_too_large";
    case reject_reason::missing_topic: return "missing_topic";
    case reject_reason::validator_rejected: return "validator_rejected";
    case reject_reason::malformed_rpc: return "malformed_rpc";
    case reject_reason::rpc_too_large: return "rpc_too_large";
    case reject_reason::too_many_subscriptions: return "too_many_subscriptions";
    case reject_reason::invalid_topic: return "invalid_topic";
    case reject_reason::graft_unknown_topic: return "graft_unknown_topic";
    case reject_reason::graft_not_subscribed: return "graft_not_subscribed";
    case reject_reason::graft_during_backoff: return "graft_during_backoff";
    case reject_reason::graft_direct_peer: return "graft_direct_peer";
    case reject_reason::iwant_over_limit: return "iwant_over_limit";
    case reject_reason::ihave_over_limit: return "ihave_over_limit";
    case reject_reason::broken_promise: return "broken_promise";
    case reject_reason::invalid_message_id: return "invalid_message_id";
    case reject_reason::px_too_many_peers: return "px_too_many_peers";
    case reject_reason::outbound_queue_full: return "outbound_queue_full";
    case reject_reason::count_: break;
  }
  return "?";
}

} // namespace canswarm::gossipsub
