// Decoding of the daemon control messages: bytes -> generated proto2
// classes -> plain structs, with specific errors. Parsing is "partial" (no
// required-field check by protobuf): a missing required type is reported
// here by name, a missing required bytes/string field reads as empty (the
// js daemon omits empty values; see codec.hpp).

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <google/protobuf/unknown_field_set.h>

#include "canswarm/p2pd/codec.hpp"
#include "pb/p2pd.pb.h"

namespace canswarm::p2pd {

namespace {

bytes to_bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

std::optional<bytes> opt_bytes(bool has, const std::string& s) {
  if (!has)
    return std::nullopt;
  return to_bytes(s);
}

template<class Repeated>
std::vector<bytes> bytes_list(const Repeated& in) {
  std::vector<bytes> out;
  out.reserve(static_cast<std::size_t>(in.size()));
  for (const auto& s : in)
    out.push_back(to_bytes(s));
  return out;
}

template<class Repeated>
std::vector<std::string> string_list(const Repeated& in) {
  return {in.begin(), in.end()};
}

/// Reads the required enum `type` (field 1 of every message that has one).
/// proto2 parsing moves a value outside the enum into the unknown fields,
/// which is where an unknown type is found.
template<class E, class Message>
result<E> read_type(const Message& m, std::string_view name) {
  if (m.has_type())
    return static_cast<E>(m.type());
  const auto& unknown = m.GetReflection()->GetUnknownFields(m);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const auto& f = unknown.field(i);
    if (f.number() == 1
        && f.type() == google::protobuf::UnknownField::TYPE_VARINT)
      return make_error(errc::malformed,
                        fmt::format("{} has unknown type {}", name,
                                    static_cast<std::int64_t>(f.varint())));
  }
  return make_error(errc::malformed,
                    fmt::format("{} without type field", name));
}

template<class Message>
result<void> parse(bytes_view body, Message& m, std::string_view name) {
  if (body.size() > max_message_size)
    return make_error(errc::too_large,
                      fmt::format("{} bytes in {} over limit {} "
                                  "(max_message_size)",
                                  body.size(), name, max_message_size));
  if (!m.ParsePartialFromArray(body.data(), static_cast<int>(body.size())))
    return make_error(errc::malformed,
                      fmt::format("{} body is not a valid protobuf message",
                                  name));
  return {};
}

peer_info from_pb(const pb::PeerInfo& in) {
  return {to_bytes(in.id()), bytes_list(in.addrs())};
}

connect_request from_pb(const pb::ConnectRequest& in) {
  connect_request out{to_bytes(in.peer()), bytes_list(in.addrs()), {}};
  if (in.has_timeout())
    out.timeout = in.timeout();
  return out;
}

stream_open_request from_pb(const pb::StreamOpenRequest& in) {
  stream_open_request out{to_bytes(in.peer()), string_list(in.proto()), {}};
  if (in.has_timeout())
    out.timeout = in.timeout();
  return out;
}

result<dht_request> from_pb(const pb::DHTRequest& in) {
  auto type = read_type<dht_request_type>(in, "DHTRequest");
  if (!type)
    return type.error();
  dht_request out;
  out.type = *type;
  out.peer = opt_bytes(in.has_peer(), in.peer());
  out.cid = opt_bytes(in.has_cid(), in.cid());
  out.key = opt_bytes(in.has_key(), in.key());
  out.value = opt_bytes(in.has_value(), in.value());
  if (in.has_count())
    out.count = in.count();
  if (in.has_timeout())
    out.timeout = in.timeout();
  return out;
}

result<connmanager_request> from_pb(const pb::ConnManagerRequest& in) {
  auto type = read_type<connmanager_request_type>(in, "ConnManagerRequest");
  if (!type)
    return type.error();
  connmanager_request out;
  out.type = *type;
  out.peer = opt_bytes(in.has_peer(), in.peer());
  if (in.has_tag())
    out.tag = in.tag();
  if (in.has_weight())
    out.weight = in.weight();
  return out;
}

result<ps_request> from_pb(const pb::PSRequest& in) {
  auto type = read_type<ps_request_type>(in, "PSRequest");
  if (!type)
    return type.error();
  ps_request out;
  out.type = *type;
  if (in.has_topic())
    out.topic = in.topic();
  out.data = opt_bytes(in.has_data(), in.data());
  out.canswarm_raw = in.has_canswarmraw() && in.canswarmraw();
  return out;
}

result<peerstore_request> from_pb(const pb::PeerstoreRequest& in) {
  auto type = read_type<peerstore_request_type>(in, "PeerstoreRequest");
  if (!type)
    return type.error();
  return peerstore_request{*type, opt_bytes(in.has_id(), in.id()),
                           string_list(in.protos())};
}

stream_info from_pb(const pb::StreamInfo& in) {
  return {to_bytes(in.peer()), to_bytes(in.addr()), in.proto()};
}

result<dht_response> from_pb(const pb::DHTResponse& in) {
  auto type = read_type<dht_response_type>(in, "DHTResponse");
  if (!type)
    return type.error();
  dht_response out;
  out.type = *type;
  if (in.has_peer())
    out.peer = from_pb(in.peer());
  out.value = opt_bytes(in.has_value(), in.value());
  return out;
}

ps_message from_pb(const pb::PSMessage& in) {
  ps_message out;
  out.from = opt_bytes(in.has_from(), in.from());
  out.data = opt_bytes(in.has_data(), in.data());
  out.seqno = opt_bytes(in.has_seqno(), in.seqno());
  out.topic_ids = string_list(in.topicids());
  out.signature = opt_bytes(in.has_signature(), in.signature());
  out.key = opt_bytes(in.has_key(), in.key());
  return out;
}

/// Stores a sub-message that may fail to convert into `slot`.
template<class T, class Pb>
result<void> convert_into(std::optional<T>& slot, bool has, const Pb& in) {
  if (!has)
    return {};
  auto converted = from_pb(in);
  if (!converted)
    return converted.error();
  slot = std::move(*converted);
  return {};
}

result<request> from_pb(const pb::Request& in) {
  auto type = read_type<request_type>(in, "Request");
  if (!type)
    return type.error();
  request out;
  out.type = *type;
  if (in.has_connect())
    out.connect = from_pb(in.connect());
  if (in.has_streamopen())
    out.stream_open = from_pb(in.streamopen());
  if (in.has_streamhandler())
    out.stream_handler = stream_handler_request{to_bytes(
                                                  in.streamhandler().addr()),
                                                string_list(
                                                  in.streamhandler().proto())};
  if (in.has_disconnect())
    out.disconnect = disconnect_request{to_bytes(in.disconnect().peer())};
  for (auto ok :
       {convert_into(out.dht, in.has_dht(), in.dht()),
        convert_into(out.conn_manager, in.has_connmanager(), in.connmanager()),
        convert_into(out.pubsub, in.has_pubsub(), in.pubsub()),
        convert_into(out.peer_store, in.has_peerstore(), in.peerstore())})
    if (!ok)
      return ok.error();
  if (in.has_canswarminspect())
    out.inspect = inspect_request{in.canswarminspect().text(),
                                  in.canswarminspect().kill()};
  return out;
}

result<response> from_pb(const pb::Response& in) {
  auto type = read_type<response_type>(in, "Response");
  if (!type)
    return type.error();
  response out;
  out.type = *type;
  if (in.has_error())
    out.error = error_message{in.error().msg()};
  if (in.has_streaminfo())
    out.stream = from_pb(in.streaminfo());
  if (in.has_identify())
    out.identify = identify_response{to_bytes(in.identify().id()),
                                     bytes_list(in.identify().addrs())};
  if (auto ok = convert_into(out.dht, in.has_dht(), in.dht()); !ok)
    return ok.error();
  for (const auto& p : in.peers())
    out.peers.push_back(from_pb(p));
  if (in.has_pubsub())
    out.pubsub = ps_response{string_list(in.pubsub().topics()),
                             bytes_list(in.pubsub().peerids())};
  if (in.has_peerstore()) {
    peerstore_response store;
    if (in.peerstore().has_peer())
      store.peer = from_pb(in.peerstore().peer());
    store.protos = string_list(in.peerstore().protos());
    out.peer_store = std::move(store);
  }
  if (in.has_canswarmstats())
    out.canswarm_stats = in.canswarmstats();
  if (in.has_canswarminspect())
    out.canswarm_inspect = in.canswarminspect();
  return out;
}

/// Parses `body` as `Pb` and converts it.
template<class T, class Pb>
result<T> decode_as(bytes_view body, std::string_view name) {
  Pb m;
  if (auto ok = parse(body, m, name); !ok)
    return ok.error();
  return from_pb(m);
}

error missing(request_type t, std::string_view field) {
  return make_error(errc::malformed, fmt::format("{} request without {} field",
                                                 to_string(t), field));
}

} // namespace

result<void> check_request(const request& r) {
  switch (r.type) {
    case request_type::identify:
    case request_type::list_peers:
    case request_type::canswarm_stats:
    case request_type::canswarm_inspect: return {};
    case request_type::connect:
      return r.connect ? result<void>{} : missing(r.type, "connect");
    case request_type::stream_open:
      return r.stream_open ? result<void>{} : missing(r.type, "streamOpen");
    case request_type::stream_handler:
      return r.stream_handler ? result<void>{}
                              : missing(r.type, "streamHandler");
    case request_type::dht:
      return r.dht ? result<void>{} : missing(r.type, "dht");
    case request_type::connmanager:
      return r.conn_manager ? result<void>{} : missing(r.type, "connManager");
    case request_type::disconnect:
      return r.disconnect ? result<void>{} : missing(r.type, "disconnect");
    case request_type::pubsub:
      return r.pubsub ? result<void>{} : missing(r.type, "pubsub");
    case request_type::peerstore:
      return r.peer_store ? result<void>{} : missing(r.type, "peerStore");
  }
  return make_error(errc::malformed, fmt::format("unknown request type {}",
                                                 static_cast<int>(r.type)));
}

result<request> decode_request(bytes_view body) {
  auto r = decode_as<request, pb::Request>(body, "Request");
  if (!r)
    return r;
  if (auto ok = check_request(*r); !ok)
    return ok.error();
  return r;
}

result<response> decode_response(bytes_view body) {
  return decode_as<response, pb::Response>(body, "Response");
}

result<stream_info> decode_stream_info(bytes_view body) {
  return decode_as<stream_info, pb::StreamInfo>(body, "StreamInfo");
}

result<ps_message> decode_ps_message(bytes_view body) {
  return decode_as<ps_message, pb::PSMessage>(body, "PSMessage");
}

result<dht_response> decode_dht_response(bytes_view body) {
  return decode_as<dht_response, pb::DHTResponse>(body, "DHTResponse");
}

} // namespace canswarm::p2pd
