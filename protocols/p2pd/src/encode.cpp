// Encoding of the daemon control messages: plain structs -> generated proto2
// classes -> bytes. Required fields are always set, so they are always on
// the wire, and a present optional holding 0 is written too (proto2 has-bits).

#include <string>
#include <utility>

#include "canswarm/p2pd/codec.hpp"
#include "canswarm/varint/varint.hpp"
#include "pb/p2pd.pb.h"

namespace canswarm::p2pd {

namespace {

std::string str(const bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

template<class Message>
bytes serialize(const Message& m) {
  bytes out(m.ByteSizeLong());
  m.SerializeToArray(out.data(), static_cast<int>(out.size()));
  return out;
}

void to_pb(const peer_info& in, pb::PeerInfo& out) {
  out.set_id(str(in.id));
  for (const auto& a : in.addrs)
    out.add_addrs(str(a));
}

void to_pb(const connect_request& in, pb::ConnectRequest& out) {
  out.set_peer(str(in.peer));
  for (const auto& a : in.addrs)
    out.add_addrs(str(a));
  if (in.timeout)
    out.set_timeout(*in.timeout);
}

void to_pb(const stream_open_request& in, pb::StreamOpenRequest& out) {
  out.set_peer(str(in.peer));
  for (const auto& p : in.protos)
    out.add_proto(p);
  if (in.timeout)
    out.set_timeout(*in.timeout);
}

void to_pb(const stream_handler_request& in, pb::StreamHandlerRequest& out) {
  out.set_addr(str(in.addr));
  for (const auto& p : in.protos)
    out.add_proto(p);
}

void to_pb(const dht_request& in, pb::DHTRequest& out) {
  out.set_type(static_cast<pb::DHTRequest::Type>(in.type));
  if (in.peer)
    out.set_peer(str(*in.peer));
  if (in.cid)
    out.set_cid(str(*in.cid));
  if (in.key)
    out.set_key(str(*in.key));
  if (in.value)
    out.set_value(str(*in.value));
  if (in.count)
    out.set_count(*in.count);
  if (in.timeout)
    out.set_timeout(*in.timeout);
}

void to_pb(const connmanager_request& in, pb::ConnManagerRequest& out) {
  out.set_type(static_cast<pb::ConnManagerRequest::Type>(in.type));
  if (in.peer)
    out.set_peer(str(*in.peer));
  if (in.tag)
    out.set_tag(*in.tag);
  if (in.weight)
    out.set_weight(*in.weight);
}

void to_pb(const ps_request& in, pb::PSRequest& out) {
  out.set_type(static_cast<pb::PSRequest::Type>(in.type));
  if (in.topic)
    out.set_topic(*in.topic);
  if (in.data)
    out.set_data(str(*in.data));
  if (in.canswarm_raw)
    out.set_canswarmraw(true);
}

void to_pb(const peerstore_request& in, pb::PeerstoreRequest& out) {
  out.set_type(static_cast<pb::PeerstoreRequest::Type>(in.type));
  if (in.id)
    out.set_id(str(*in.id));
  for (const auto& p : in.protos)
    out.add_protos(p);
}

void to_pb(const stream_info& in, pb::StreamInfo& out) {
  out.set_peer(str(in.peer));
  out.set_addr(str(in.addr));
  out.set_proto(in.proto);
}

void to_pb(const dht_response& in, pb::DHTResponse& out) {
  out.set_type(static_cast<pb::DHTResponse::Type>(in.type));
  if (in.peer)
    to_pb(*in.peer, *out.mutable_peer());
  if (in.value)
    out.set_value(str(*in.value));
}

void to_pb(const ps_message& in, pb::PSMessage& out) {
  if (in.from)
    out.set_from(str(*in.from));
  if (in.data)
    out.set_data(str(*in.data));
  if (in.seqno)
    out.set_seqno(str(*in.seqno));
  for (const auto& t : in.topic_ids)
    out.add_topicids(t);
  if (in.signature)
    out.set_signature(str(*in.signature));
  if (in.key)
    out.set_key(str(*in.key));
}

void to_pb(const request& in, pb::Request& out) {
  out.set_type(static_cast<pb::Request::Type>(in.type));
  if (in.connect)
    to_pb(*in.connect, *out.mutable_connect());
  if (in.stream_open)
    to_pb(*in.stream_open, *out.mutable_streamopen());
  if (in.stream_handler)
    to_pb(*in.stream_handler, *out.mutable_streamhandler());
  if (in.dht)
    to_pb(*in.dht, *out.mutable_dht());
  if (in.conn_manager)
    to_pb(*in.conn_manager, *out.mutable_connmanager());
  if (in.disconnect)
    out.mutable_disconnect()->set_peer(str(in.disconnect->peer));
  if (in.pubsub)
    to_pb(*in.pubsub, *out.mutable_pubsub());
  if (in.peer_store)
    to_pb(*in.peer_store, *out.mutable_peerstore());
  if (in.inspect) {
    auto& x = *out.mutable_canswarminspect();
    if (in.inspect->text)
      x.set_text(true);
    if (!in.inspect->kill.empty())
      x.set_kill(in.inspect->kill);
  }
}

void to_pb(const response& in, pb::Response& out) {
  out.set_type(static_cast<pb::Response::Type>(in.type));
  if (in.error)
    out.mutable_error()->set_msg(in.error->msg);
  if (in.stream)
    to_pb(*in.stream, *out.mutable_streaminfo());
  if (in.identify) {
    auto& id = *out.mutable_identify();
    id.set_id(str(in.identify->id));
    for (const auto& a : in.identify->addrs)
      id.add_addrs(str(a));
  }
  if (in.dht)
    to_pb(*in.dht, *out.mutable_dht());
  for (const auto& p : in.peers)
    to_pb(p, *out.add_peers());
  if (in.pubsub) {
    // mutable_pubsub() marks the field present even when both lists are
    // empty: the js client needs `pubsub` in every pubsub reply.
    auto& ps = *out.mutable_pubsub();
    for (const auto& t : in.pubsub->topics)
      ps.add_topics(t);
    for (const auto& p : in.pubsub->peer_ids)
      ps.add_peerids(str(p));
  }
  if (in.peer_store) {
    auto& store = *out.mutable_peerstore();
    if (in.peer_store->peer)
      to_pb(*in.peer_store->peer, *store.mutable_peer());
    for (const auto& p : in.peer_store->protos)
      store.add_protos(p);
  }
  if (in.canswarm_stats)
    out.set_canswarmstats(*in.canswarm_stats);
  if (in.canswarm_inspect)
    out.set_canswarminspect(*in.canswarm_inspect);
}

template<class Pb, class T>
bytes encode_as(const T& value) {
  Pb m;
  to_pb(value, m);
  return serialize(m);
}

template<class Pb, class T>
void frame_as(const T& value, bytes& out) {
  varint::write_frame(encode_as<Pb>(value), out);
}

} // namespace

bytes encode_request(const request& r) {
  return encode_as<pb::Request>(r);
}

bytes encode_response(const response& r) {
  return encode_as<pb::Response>(r);
}

bytes encode_stream_info(const stream_info& s) {
  return encode_as<pb::StreamInfo>(s);
}

bytes encode_ps_message(const ps_message& m) {
  return encode_as<pb::PSMessage>(m);
}

bytes encode_dht_response(const dht_response& d) {
  return encode_as<pb::DHTResponse>(d);
}

void write_message(const request& r, bytes& out) {
  frame_as<pb::Request>(r, out);
}

void write_message(const response& r, bytes& out) {
  frame_as<pb::Response>(r, out);
}

void write_message(const stream_info& s, bytes& out) {
  frame_as<pb::StreamInfo>(s, out);
}

void write_message(const ps_message& m, bytes& out) {
  frame_as<pb::PSMessage>(m, out);
}

void write_message(const dht_response& d, bytes& out) {
  frame_as<pb::DHTResponse>(d, out);
}

response ok_response() {
  return response{};
}

response error_response(std::string msg) {
  response r;
  r.type = response_type::error;
  r.error = error_message{std::move(msg)};
  return r;
}

} // namespace canswarm::p2pd
