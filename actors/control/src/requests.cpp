// Control-protocol messages <-> swarm requests (see requests.hpp).

#include "canswarm/control/requests.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "canswarm/control/limits.hpp"
#include "canswarm/gossipsub/limits.hpp"
#include "canswarm/json.hpp"
#include "canswarm/p2pd/codec.hpp"

namespace canswarm::control {

namespace {

bool is_tcp(const multiaddr& addr) {
  return addr.value_of("tcp").has_value()
         && (addr.value_of("ip4") || addr.value_of("ip6"));
}

result<peer_id> parse_peer(std::string_view what, const bytes& raw) {
  if (raw.empty())
    return make_error(errc::invalid_argument,
                      fmt::format("{}: missing peer id", what));
  auto id = peer_id::from_bytes(raw);
  if (!id)
    return make_error(errc::invalid_argument,
                      fmt::format("{}: invalid peer id: {}", what,
                                  id.error().message));
  return id;
}

result<std::vector<std::string>>
check_protocols(std::string_view what, const std::vector<std::string>& xs) {
  if (xs.empty())
    return make_error(errc::invalid_argument,
                      fmt::format("{}: no protocol given", what));
  if (xs.size() > max_request_protocols)
    return make_error(errc::too_large,
                      fmt::format("{}: {} protocols, at most {}", what,
                                  xs.size(), max_request_protocols));
  for (auto& p : xs)
    if (p.empty() || p.size() > max_protocol_name)
      return make_error(errc::invalid_argument,
                        fmt::format("{}: protocol name of {} bytes, expected "
                                    "1..{}",
                                    what, p.size(), max_protocol_name));
  return xs;
}

} // namespace

bool is_local_only(const multiaddr& addr) {
  if (addr.value_of("unix"))
    return true;
  if (auto v4 = addr.value_of("ip4"))
    return v4->starts_with("127.");
  if (auto v6 = addr.value_of("ip6"))
    return *v6 == "::1";
  return false;
}

std::vector<bytes> identify_addrs(const std::vector<multiaddr>& listen) {
  std::vector<multiaddr> xs;
  for (auto& a : listen) {
    auto bare = a.decapsulate_p2p();
    if (!bare.empty() && std::find(xs.begin(), xs.end(), bare) == xs.end())
      xs.push_back(std::move(bare));
  }
  auto rank = [](const multiaddr& a) {
    return (is_tcp(a) ? 0 : 2) + (is_local_only(a) ? 0 : 1);
  };
  std::stable_sort(xs.begin(), xs.end(),
                   [&](auto& x, auto& y) { return rank(x) < rank(y); });
  std::vector<bytes> result;
  result.reserve(xs.size());
  for (auto& a : xs)
    result.push_back(a.to_bytes());
  return result;
}

std::vector<p2pd::peer_info> list_peers(const std::vector<peer_entry>& conns) {
  std::vector<p2pd::peer_info> result;
  for (auto& c : conns) {
    auto id = c.peer.to_bytes();
    if (id.empty())
      continue;
    auto i = std::find_if(result.begin(), result.end(),
                          [&](auto& p) { return p.id == id; });
    if (i == result.end()) {
      if (result.size() >= max_listed_peers)
        continue;
      result.push_back(p2pd::peer_info{std::move(id), {}});
      i = std::prev(result.end());
    }
    auto addr = c.remote_addr.decapsulate_p2p().to_bytes();
    if (!addr.empty()
        && std::find(i->addrs.begin(), i->addrs.end(), addr) == i->addrs.end())
      i->addrs.push_back(std::move(addr));
  }
  return result;
}

caf::timespan request_timeout(const std::optional<std::int64_t>& seconds,
                              caf::timespan fallback) {
  if (!seconds || *seconds <= 0)
    return fallback;
  auto capped = std::min<std::int64_t>(*seconds, max_request_timeout.count());
  return std::chrono::duration_cast<caf::timespan>(
    std::chrono::seconds{capped});
}

result<dial_request> to_dial_request(const p2pd::connect_request& req,
                                     caf::timespan fallback) {
  auto peer = parse_peer("CONNECT", req.peer);
  if (!peer)
    return peer.error();
  if (req.addrs.size() > max_connect_addrs)
    return make_error(errc::too_large,
                      fmt::format("CONNECT: {} addresses, at most {}",
                                  req.addrs.size(), max_connect_addrs));
  dial_request out;
  out.expected = *peer;
  for (auto& raw : req.addrs) {
    auto addr = multiaddr::from_bytes(raw);
    if (!addr)
      return make_error(errc::invalid_argument,
                        fmt::format("CONNECT: invalid address: {}",
                                    addr.error().message));
    if (auto named = addr->peer_id_bytes(); named && *named != req.peer)
      return make_error(errc::invalid_argument,
                        fmt::format("CONNECT: address {} names another peer "
                                    "than {}",
                                    addr->to_string(), peer->to_string()));
    out.addrs.push_back(addr->decapsulate_p2p());
  }
  out.timeout = request_timeout(req.timeout, fallback);
  return out;
}

result<peer_id> to_peer(const p2pd::disconnect_request& req) {
  return parse_peer("DISCONNECT", req.peer);
}

result<stream_open_args> to_stream_open(const p2pd::stream_open_request& req,
                                        caf::timespan fallback) {
  auto peer = parse_peer("STREAM_OPEN", req.peer);
  if (!peer)
    return peer.error();
  auto protos = check_protocols("STREAM_OPEN", req.protos);
  if (!protos)
    return protos.error();
  return stream_open_args{std::move(*peer), std::move(*protos),
                          request_timeout(req.timeout, fallback)};
}

result<stream_handler_args>
to_stream_handler(const p2pd::stream_handler_request& req) {
  auto addr = multiaddr::from_bytes(req.addr);
  if (!addr || addr->empty())
    return make_error(errc::invalid_argument,
                      fmt::format("STREAM_HANDLER: invalid listener address"
                                  "{}",
                                  addr ? "" : ": " + addr.error().message));
  if (!is_tcp(*addr) && !addr->value_of("unix"))
    return make_error(errc::unsupported,
                      fmt::format("STREAM_HANDLER: listener address {} is "
                                  "neither tcp nor unix",
                                  addr->to_string()));
  auto protos = check_protocols("STREAM_HANDLER", req.protos);
  if (!protos)
    return protos.error();
  return stream_handler_args{std::move(*addr), std::move(*protos)};
}

p2pd::stream_info to_stream_info(const stream_ref& ref,
                                 const multiaddr& remote_addr) {
  return p2pd::stream_info{ref.peer.to_bytes(),
                           remote_addr.decapsulate_p2p().to_bytes(),
                           ref.protocol};
}

multiaddr remote_addr_of(const std::vector<peer_entry>& conns, conn_id conn) {
  for (auto& c : conns)
    if (c.conn == conn)
      return c.remote_addr;
  return {};
}

result<pubsub_args> to_pubsub(const p2pd::ps_request& req) {
  using p2pd::ps_request_type;
  auto what = p2pd::to_string(req.type);
  pubsub_args out;
  out.type = req.type;
  out.topic = req.topic.value_or(std::string{});
  auto needs_topic = req.type == ps_request_type::publish
                     || req.type == ps_request_type::subscribe;
  if (needs_topic && out.topic.empty())
    return make_error(errc::invalid_argument,
                      fmt::format("{}: missing topic", what));
  if (out.topic.size() > gossipsub::max_topic_size)
    return make_error(errc::too_large,
                      fmt::format("{}: topic of {} bytes, at most {}", what,
                                  out.topic.size(), gossipsub::max_topic_size));
  if (req.type == ps_request_type::publish) {
    out.data = req.data.value_or(bytes{});
    out.raw = req.canswarm_raw;
  }
  return out;
}

p2pd::response topics_response(std::vector<std::string> topics) {
  auto resp = p2pd::ok_response();
  resp.pubsub = p2pd::ps_response{std::move(topics), {}};
  return resp;
}

p2pd::response pubsub_peers_response(const std::vector<peer_id>& peers) {
  auto resp = p2pd::ok_response();
  resp.pubsub = p2pd::ps_response{};
  for (auto& p : peers) {
    if (resp.pubsub->peer_ids.size() >= max_listed_peers)
      break;
    auto id = p.to_bytes();
    if (!id.empty())
      resp.pubsub->peer_ids.push_back(std::move(id));
  }
  return resp;
}

p2pd::ps_message to_ps_message(const pubsub_message& msg) {
  auto present = [](const bytes& x) {
    return x.empty() ? std::nullopt : std::optional<bytes>{x};
  };
  p2pd::ps_message out;
  out.from = present(msg.from);
  out.data = msg.data;
  out.seqno = present(msg.seqno);
  out.topic_ids.push_back(msg.topic);
  out.signature = present(msg.signature);
  out.key = present(msg.key);
  return out;
}

namespace {

void append_counts(
  std::string& out,
  const std::vector<std::pair<std::string, std::uint64_t>>& xs) {
  out += '{';
  for (std::size_t i = 0; i < xs.size(); ++i)
    out += fmt::format("{}{}:{}", i == 0 ? "" : ",", json_string(xs[i].first),
                       xs[i].second);
  out += '}';
}

} // namespace

std::string stats_json(const stats_inputs& in) {
  std::string out = "{\"peer_id\":" + json_string(in.self.to_string());
  std::vector<peer_id> distinct;
  if (in.connections != nullptr)
    for (const auto& c : *in.connections)
      if (std::find(distinct.begin(), distinct.end(), c.peer) == distinct.end())
        distinct.push_back(c.peer);
  out += fmt::format(",\"connected_peers\":{},\"connections\":{}",
                     distinct.size(),
                     in.connections != nullptr ? in.connections->size() : 0);
  out += ",\"pubsub\":";
  if (in.pubsub == nullptr) {
    out += "null";
  } else {
    const auto& r = *in.pubsub;
    out += "{\"topics\":[";
    for (std::size_t i = 0; i < r.topics.size(); ++i)
      out += (i == 0 ? "" : ",") + json_string(r.topics[i]);
    out += fmt::format("],\"published\":{},\"received\":{},\"delivered\":{},"
                       "\"duplicates\":{},\"ignored\":{},\"graylisted\":{},"
                       "\"outbound_dropped\":{},\"rejected\":",
                       r.published, r.received, r.delivered, r.duplicates,
                       r.ignored, r.graylisted, r.outbound_dropped);
    append_counts(out, r.rejected);
    out += ",\"peers\":[";
    for (std::size_t i = 0; i < r.peers.size(); ++i) {
      const auto& p = r.peers[i];
      out += fmt::format("{}{{\"peer\":{},\"score\":{:.3f},\"mesh\":[",
                         i == 0 ? "" : ",", json_string(p.peer.to_string()),
                         std::isfinite(p.score) ? p.score : 0.0);
      for (std::size_t k = 0; k < p.mesh_topics.size(); ++k)
        out += (k == 0 ? "" : ",") + json_string(p.mesh_topics[k]);
      out += "]}";
    }
    out += "]}";
  }
  out += ",\"envelopes\":";
  if (in.gate == nullptr) {
    out += "null";
  } else {
    std::vector<std::pair<std::string, std::uint64_t>> rejected;
    for (std::size_t i = 0; i < envelope::reject_reason_count; ++i)
      if (in.gate->rejected[i] > 0)
        rejected.emplace_back(envelope::to_string(
                                static_cast<envelope::reject_reason>(i)),
                              in.gate->rejected[i]);
    out += fmt::format("{{\"accepted\":{},\"rejected_total\":{},"
                       "\"rejected\":",
                       in.gate->accepted, in.gate->total_rejected());
    append_counts(out, rejected);
    out += '}';
  }
  out += ",\"bus\":";
  if (in.bus == nullptr) {
    out += "null";
  } else {
    const auto& b = *in.bus;
    out += fmt::
      format("{{\"mode\":{},\"primary\":{},\"active\":{},\"nats_state\":{},"
             "\"published\":{{\"total\":{},\"p2p\":{},\"nats\":{}}},"
             "\"received\":{{\"total\":{},\"p2p\":{},\"nats\":{}}},"
             "\"delivered\":{},\"dedup_hits\":{},\"failovers\":{},"
             "\"failbacks\":{},\"resent\":{},\"held\":{},\"retried\":{},"
             "\"held_dropped\":{},\"publish_errors\":{},"
             "\"preflight_rejected\":{},\"subscriptions\":{},\"lamport\":{},"
             "\"nats_rejected\":",
             json_string(b.mode), json_string(b.primary), json_string(b.active),
             json_string(b.nats_state), b.published, b.published_p2p,
             b.published_nats, b.received, b.received_p2p, b.received_nats,
             b.delivered, b.dedup_hits, b.failovers, b.failbacks, b.resent,
             b.held, b.retried, b.held_dropped, b.publish_errors,
             b.preflight_rejected, b.subscriptions, b.lamport);
    append_counts(out, b.nats_rejected);
    out += '}';
  }
  out += '}';
  return out;
}

std::string unsupported_message(p2pd::request_type t) {
  using p2pd::request_type;
  switch (t) {
    case request_type::dht:
    case request_type::connmanager:
    case request_type::peerstore:
      return fmt::format("unsupported: {} is not implemented yet",
                         p2pd::to_string(t));
    default: return {};
  }
}

} // namespace canswarm::control
