#include "canswarm/gossipsub/codec.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <google/protobuf/arena.h>

#include "canswarm/varint/varint.hpp"
#include "pb/rpc.pb.h"

namespace canswarm::gossipsub {

namespace {

// -- hand-written protobuf writer (tags of fields 1..15 are one byte) ---------

constexpr std::uint8_t wire_varint = 0;
constexpr std::uint8_t wire_len = 2;

void put_tag(std::uint8_t field, std::uint8_t wire, bytes& out) {
  out.push_back(static_cast<std::uint8_t>((field << 3) | wire));
}

void put_len_field(std::uint8_t field, bytes_view payload, bytes& out) {
  put_tag(field, wire_len, out);
  varint::encode(payload.size(), out);
  append(out, payload);
}

void put_len_header(std::uint8_t field, std::size_t len, bytes& out) {
  put_tag(field, wire_len, out);
  varint::encode(len, out);
}

void put_uint_field(std::uint8_t field, std::uint64_t v, bytes& out) {
  put_tag(field, wire_varint, out);
  // Protobuf varints carry 64 bits; varint::encode stops at 63.
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

std::size_t uint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

std::size_t len_size(std::size_t payload) {
  return 1 + uint_size(payload) + payload;
}

void put_message_fields(const message& m, bool with_auth, bytes& out) {
  if (m.from)
    put_len_field(1, *m.from, out);
  if (m.data_present)
    put_len_field(2, m.data, out);
  if (m.seqno)
    put_len_field(3, *m.seqno, out);
  put_len_field(4, as_bytes(m.topic), out);
  if (with_auth && m.signature)
    put_len_field(5, *m.signature, out);
  if (with_auth && m.key)
    put_len_field(6, *m.key, out);
}

std::size_t payload_size(const peer_info& p) {
  std::size_t n = 0;
  if (p.peer_id)
    n += len_size(p.peer_id->size());
  if (p.signed_peer_record)
    n += len_size(p.signed_peer_record->size());
  return n;
}

void put_control(const control_message& c, bytes& out) {
  for (const auto& ih : c.ihave) {
    put_len_header(1, payload_size(ih), out);
    put_len_field(1, as_bytes(ih.topic), out);
    for (const auto& id : ih.ids)
      put_len_field(2, id.view(), out);
  }
  for (const auto& iw : c.iwant) {
    put_len_header(2, payload_size(iw), out);
    for (const auto& id : iw.ids)
      put_len_field(1, id.view(), out);
  }
  for (const auto& g : c.graft) {
    put_len_header(3, payload_size(g), out);
    put_len_field(1, as_bytes(g.topic), out);
  }
  for (const auto& p : c.prune) {
    put_len_header(4, payload_size(p), out);
    put_len_field(1, as_bytes(p.topic), out);
    for (const auto& info : p.peers) {
      put_len_header(2, payload_size(info), out);
      if (info.peer_id)
        put_len_field(1, *info.peer_id, out);
      if (info.signed_peer_record)
        put_len_field(2, *info.signed_peer_record, out);
    }
    if (p.backoff)
      put_uint_field(3, *p.backoff, out);
  }
}

// -- protobuf -> structs
// -------------------------------------------------------

bytes to_bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

message from_pb(const pb::Message& p) {
  message m;
  if (p.has_from())
    m.from = to_bytes(p.from());
  m.data_present = p.has_data();
  m.data = to_bytes(p.data());
  if (p.has_seqno())
    m.seqno = to_bytes(p.seqno());
  m.topic = p.topic();
  if (p.has_signature())
    m.signature = to_bytes(p.signature());
  if (p.has_key())
    m.key = to_bytes(p.key());
  return m;
}

control_message from_pb(const pb::ControlMessage& p) {
  control_message c;
  c.ihave.reserve(p.ihave_size());
  for (const auto& ih : p.ihave()) {
    auto& out = c.ihave.emplace_back();
    out.topic = ih.topic_id();
    out.ids.reserve(ih.message_ids_size());
    for (const auto& id : ih.message_ids())
      out.ids.emplace_back(id);
  }
  c.iwant.reserve(p.iwant_size());
  for (const auto& iw : p.iwant()) {
    auto& out = c.iwant.emplace_back();
    out.ids.reserve(iw.message_ids_size());
    for (const auto& id : iw.message_ids())
      out.ids.emplace_back(id);
  }
  c.graft.reserve(p.graft_size());
  for (const auto& g : p.graft())
    c.graft.push_back(control_graft{g.topic_id()});
  c.prune.reserve(p.prune_size());
  for (const auto& pr : p.prune()) {
    auto& out = c.prune.emplace_back();
    out.topic = pr.topic_id();
    for (const auto& info : pr.peers()) {
      auto& pi = out.peers.emplace_back();
      if (info.has_peer_id())
        pi.peer_id = to_bytes(info.peer_id());
      if (info.has_signed_peer_record())
        pi.signed_peer_record = to_bytes(info.signed_peer_record());
    }
    if (pr.has_backoff())
      out.backoff = pr.backoff();
  }
  return c;
}

} // namespace

result<rpc> decode_rpc(bytes_view body, std::size_t max_size) {
  if (body.size() > max_size)
    return make_error(errc::too_large,
                      fmt::format("RPC of {} bytes over max_transmit_size {}",
                                  body.size(), max_size));
  // One arena block instead of an allocation per field. The block size
  // must stay a multiple of 8: the arena places its cleanup list at the end.
  google::protobuf::ArenaOptions options;
  options.start_block_size = (std::max<std::size_t>(256, body.size() * 2) + 63)
                             & ~std::size_t{63};
  google::protobuf::Arena arena{options};
  auto& p = *google::protobuf::Arena::CreateMessage<pb::RPC>(&arena);
  if (!p.ParseFromArray(body.data(), static_cast<int>(body.size())))
    return make_error(errc::malformed, "RPC protobuf does not parse");
  rpc r;
  r.subscriptions.reserve(p.subscriptions_size());
  for (const auto& s : p.subscriptions())
    r.subscriptions.push_back(sub_opts{s.subscribe(), s.topic_id()});
  r.publish.reserve(p.publish_size());
  for (const auto& m : p.publish())
    r.publish.push_back(from_pb(m));
  if (p.has_control())
    if (auto c = from_pb(p.control()); !c.empty())
      r.control = std::move(c);
  return r;
}

bytes encode_message(const message& m) {
  bytes out;
  out.reserve(m.data.size() + m.topic.size() + 160);
  put_message_fields(m, true, out);
  return out;
}

bytes signing_payload(const message& m) {
  bytes out;
  signing_payload(m, out);
  return out;
}

void signing_payload(const message& m, bytes& out) {
  static constexpr std::string_view prefix = "libp2p-pubsub:";
  out.clear();
  out.reserve(prefix.size() + m.data.size() + m.topic.size() + 64);
  append(out, as_bytes(prefix));
  put_message_fields(m, false, out);
}

bytes encode_rpc(const rpc& r) {
  std::vector<std::shared_ptr<const bytes>> encoded;
  encoded.reserve(r.publish.size());
  for (const auto& m : r.publish)
    encoded.push_back(std::make_shared<const bytes>(encode_message(m)));
  bytes out;
  encode_rpc(rpc_parts{r.subscriptions, encoded,
                       r.control ? &*r.control : nullptr},
             out);
  return out;
}

void encode_rpc(const rpc_parts& parts, bytes& out) {
  for (const auto& s : parts.subscriptions) {
    put_len_header(1, payload_size(s), out);
    put_uint_field(1, s.subscribe ? 1 : 0, out);
    put_len_field(2, as_bytes(s.topic), out);
  }
  for (const auto& m : parts.publish)
    put_len_field(2, *m, out);
  if (parts.control && !parts.control->empty()) {
    put_len_header(3, payload_size(*parts.control), out);
    put_control(*parts.control, out);
  }
}

std::size_t field_size(std::size_t payload) {
  return len_size(payload);
}

std::size_t payload_size(const sub_opts& s) {
  return 2 + len_size(s.topic.size());
}

std::size_t payload_size(const control_ihave& c) {
  std::size_t n = len_size(c.topic.size());
  for (const auto& id : c.ids)
    n += len_size(id.size());
  return n;
}

std::size_t payload_size(const control_iwant& c) {
  std::size_t n = 0;
  for (const auto& id : c.ids)
    n += len_size(id.size());
  return n;
}

std::size_t payload_size(const control_graft& c) {
  return len_size(c.topic.size());
}

std::size_t payload_size(const control_prune& c) {
  std::size_t n = len_size(c.topic.size());
  for (const auto& p : c.peers)
    n += len_size(payload_size(p));
  if (c.backoff)
    n += 1 + uint_size(*c.backoff);
  return n;
}

std::size_t payload_size(const control_message& c) {
  std::size_t n = 0;
  for (const auto& x : c.ihave)
    n += len_size(payload_size(x));
  for (const auto& x : c.iwant)
    n += len_size(payload_size(x));
  for (const auto& x : c.graft)
    n += len_size(payload_size(x));
  for (const auto& x : c.prune)
    n += len_size(payload_size(x));
  return n;
}

void append_frame(bytes_view body, bytes& out) {
  varint::encode(body.size(), out);
  append(out, body);
}

// -- frame_reader
// ----------------------------------------------------------------

result<void> frame_reader::check_prefix() {
  auto f = varint::read_frame(bytes_view{buffer_}.subspan(start_), max_size_);
  switch (f.st) {
    case varint::status::ok:
    case varint::status::incomplete: return {};
    case varint::status::too_large:
      failed_ = true;
      return make_error(errc::too_large,
                        fmt::format("RPC frame length prefix over "
                                    "max_transmit_size {}: {}",
                                    max_size_, f.reason));
    case varint::status::malformed:
      failed_ = true;
      return make_error(errc::malformed,
                        fmt::format("RPC frame length prefix: {}", f.reason));
  }
  return {};
}

result<void> frame_reader::push(bytes_view data) {
  if (failed_)
    return make_error(errc::protocol, "frame reader failed earlier");
  if (start_ > 0 && start_ * 2 >= buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + start_);
    start_ = 0;
  }
  append(buffer_, data);
  return check_prefix();
}

result<std::optional<bytes>> frame_reader::next() {
  if (failed_)
    return make_error(errc::protocol, "frame reader failed earlier");
  auto f = varint::read_frame(bytes_view{buffer_}.subspan(start_), max_size_);
  if (f.st != varint::status::ok) {
    if (auto ok = check_prefix(); !ok)
      return ok.error();
    return std::optional<bytes>{};
  }
  bytes body{f.body.begin(), f.body.end()};
  start_ += f.size;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
  return std::optional<bytes>{std::move(body)};
}

} // namespace canswarm::gossipsub
