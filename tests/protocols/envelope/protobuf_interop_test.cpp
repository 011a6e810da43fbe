// Cross-checks the hand-written codec against libprotobuf and the schema in
// protocols/envelope/pb/envelope.proto: libprotobuf reads our bytes into the
// same fields, and its deterministic serialization of those fields is
// exactly our encoding.

#include <doctest/doctest.h>

#include <string>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "canswarm/envelope/codec.hpp"
#include "envelope.pb.h"
#include "fixture.hpp"

using namespace canswarm;
namespace env = canswarm::envelope;
namespace pb = canswarm::envelope::pb;

namespace {

std::string str(const bytes& b) {
  return {b.begin(), b.end()};
}

bytes raw(const std::string& s) {
  return {s.begin(), s.end()};
}

pb::Envelope to_pb(const env::envelope& e) {
  pb::Envelope m;
  m.set_version(e.version);
  m.set_id(str(e.id));
  m.set_thread_id(e.thread_id);
  m.set_kind(static_cast<pb::Kind>(e.kind));
  m.set_lamport(e.lamport);
  m.set_ts_ns(e.ts_ns);
  m.set_sender(str(e.sender));
  m.set_payload(str(e.payload));
  m.set_payload_hash(str(e.payload_hash));
  m.set_policy_engine_hash(str(e.policy_engine_hash));
  m.set_nonce(str(e.nonce));
  if (e.policy_capsule_hash)
    m.set_policy_capsule_hash(str(*e.policy_capsule_hash));
  if (e.policy_eval_digest)
    m.set_policy_eval_digest(str(*e.policy_eval_digest));
  m.set_signature(str(e.signature));
  return m;
}

env::envelope from_pb(const pb::Envelope& m) {
  env::envelope e;
  e.version = m.version();
  e.id = raw(m.id());
  e.thread_id = m.thread_id();
  e.kind = static_cast<env::kind>(m.kind());
  e.lamport = m.lamport();
  e.ts_ns = m.ts_ns();
  e.sender = raw(m.sender());
  e.payload = raw(m.payload());
  e.payload_hash = raw(m.payload_hash());
  e.policy_engine_hash = raw(m.policy_engine_hash());
  e.nonce = raw(m.nonce());
  if (m.has_policy_capsule_hash())
    e.policy_capsule_hash = raw(m.policy_capsule_hash());
  if (m.has_policy_eval_digest())
    e.policy_eval_digest = raw(m.policy_eval_digest());
  e.signature = raw(m.signature());
  return e;
}

bytes deterministic(const pb::Envelope& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return raw(out);
}

std::vector<env::envelope> samples() {
  auto base = golden::signed_envelope();
  std::vector<env::envelope> out(6, base);
  out[1].policy_capsule_hash.reset();
  out[1].policy_eval_digest = hex("d1d2d3");
  out[2].policy_capsule_hash = bytes{};
  out[2].policy_eval_digest = bytes{};
  out[3].payload = bytes(70000, 'a'); // a 3-byte length prefix
  out[3].thread_id = "gr\xc3\xbc\xc3\x9f-\xe2\x9c\x93";
  out[4].kind = env::kind::update_plan;
  out[4].lamport = ~std::uint64_t{0}; // a 10-byte varint
  out[4].version = 0xffffffff;
  out[5] = env::envelope{};
  return out;
}

} // namespace

TEST_CASE("libprotobuf reads the golden wire vector into the same fields") {
  pb::Envelope m;
  auto wire = env::encode(golden::literal_envelope()).value();
  REQUIRE(m.ParseFromArray(wire.data(), static_cast<int>(wire.size())));
  CHECK(m.kind() == pb::CLAIM);
  CHECK(m.thread_id() == "thread-42");
  CHECK(m.ts_ns() == golden::ts_ns);
  CHECK(m.has_policy_capsule_hash());
  CHECK_FALSE(m.has_policy_eval_digest());
  CHECK(from_pb(m) == golden::literal_envelope());
}

TEST_CASE("our encoding is libprotobuf's deterministic serialization") {
  for (auto& e : samples()) {
    auto ours = env::encode(e);
    REQUIRE(ours);
    auto m = to_pb(e);
    CHECK(to_hex(deterministic(m)) == to_hex(*ours));
    CHECK(raw(m.SerializeAsString()) == *ours);
    pb::Envelope parsed;
    REQUIRE(
      parsed.ParseFromArray(ours->data(), static_cast<int>(ours->size())));
    CHECK(from_pb(parsed) == e);
    auto back = env::decode(deterministic(m));
    REQUIRE(back);
    CHECK(*back == e);
  }
}

TEST_CASE("the schema's kind numbers are the library's") {
  for (auto k : env::all_kinds) {
    CAPTURE(env::to_string(k));
    auto n = static_cast<int>(k);
    REQUIRE(pb::Kind_IsValid(n));
    CHECK(pb::Kind_Name(static_cast<pb::Kind>(n)) == env::to_string(k));
  }
  CHECK(pb::Kind_IsValid(0));
  CHECK_FALSE(pb::Kind_IsValid(16));
}
