// The hybrid bus (issue #7) against real `canswarm node` processes and a
// real nats-server on loopback:
//  1. mode 1 (P2P only) with nothing to connect to: it never dials NATS;
//  2. bad input published straight onto NATS by a plain nats.c client is
//     rejected by the gate with its reason and never delivered;
//  3. mode 2: the P2P side goes away (the relay between publisher and
//     subscriber is killed) while 1,000 envelopes are published: all arrive
//     once, through NATS after the switch;
//  4. mode 3: nats-server is killed -9 and restarted while 1,000 envelopes
//     are published: all arrive once, through P2P meanwhile, and the bus
//     returns to NATS;
//  5. migration (migration_test.cpp): three nodes move from mode 3 to 2 to
//     1 by rolling restarts while one agent keeps publishing through the
//     first; an observer that is never restarted receives every envelope
//     once.
//
// Envelopes are published through the control API (PUBSUB PUBLISH of the
// encoded envelope on its `/swarm/thread/...` topic) and received through it
// (SUBSCRIBE); "exactly once" counts every message a subscription gets, by
// envelope id, so a duplicate the node lets through is seen.

#include <doctest/doctest.h>

#include "hybrid_bus_support.hpp"

using namespace canswarm;
using namespace canswarm::test::hybrid;
using namespace std::chrono_literals;

TEST_CASE("mode 1 (P2P only) with no nats-server anywhere: 50 envelopes "
          "reach `canswarm subscribe` once each and NATS is never dialled") {
  // NATS_URL points at a port where something listens but nothing answers
  // NATS: a P2P-only node must never even open a connection to it. The
  // nodes get no PATH, so no nats-server could be started by them either.
  silent_listener no_nats;
  auto url = "nats://127.0.0.1:" + std::to_string(no_nats.port);
  bus_node a{mode_env(1, url)};
  auto env_b = mode_env(1, url);
  env_b["P2P_BOOTSTRAP_NODES"] = a.tcp_addr();
  bus_node b{env_b};

  test::temp_dir work;
  test::child_process sub{
    {test::canswarm_binary(),
     {"subscribe", "--control", b.control.to_string(), "--thread", thread_id,
      "--kind", "NEED", "--count", "50", "--timeout", "40"},
     {},
     false,
     work.path().string()}};
  REQUIRE(await(
    [&] {
      return sub.stderr_text().find("subscribed to 1 topic")
             != std::string::npos;
    },
    15s, {&a, &b}));
  REQUIRE_MESSAGE(await_topic_peer(a, b.b.id), bus_lines(a));
  std::this_thread::sleep_for(1s); // a few heartbeats for the mesh

  agent pub{a.control, 50};
  pub.start();
  await_agent(pub, {&a, &b});

  std::vector<std::string> got;
  for (int i = 0; i < 50; ++i) {
    auto line = sub.read_line(20s);
    REQUIRE_MESSAGE(line, (sub.stderr_text() + bus_lines(b)));
    std::smatch m;
    REQUIRE(
      std::regex_search(*line, m, std::regex{"\"id\":\"([0-9a-f]{32})\""}));
    got.push_back(m[1].str());
  }
  CHECK(sub.wait(10s) == 0);
  CHECK(sub.read_rest(1s).empty());
  CHECK_MESSAGE(sub.stderr_text().find("rejected") == std::string::npos,
                sub.stderr_text());
  auto published = pub.ids;
  std::sort(published.begin(), published.end());
  std::sort(got.begin(), got.end());
  CHECK(got == published);
  CHECK(std::adjacent_find(got.begin(), got.end()) == got.end());

  for (auto* n : {&a, &b}) {
    auto bus = n->bus();
    INFO("bus stats: ", bus);
    CHECK(json_path(bus, {"mode"}) == "p2p-only");
    CHECK(json_path(bus, {"primary"}) == "p2p");
    CHECK(json_path(bus, {"nats_state"}) == "off");
    CHECK(json_num(bus, {"published", "nats"}) == 0);
    CHECK(json_num(bus, {"received", "nats"}) == 0);
    CHECK(json_num(bus, {"failovers"}) == 0);
  }
  CHECK(json_num(a.bus(), {"published", "p2p"}) == 50);
  CHECK(json_num(b.bus(), {"received", "p2p"}) == 50);
  CHECK(json_num(b.bus(), {"delivered"}) == 50);
  MESSAGE("mode 1: printed ", got.size(), "/50; A: ", a.bus(),
          "; B: ", b.bus());

  a.stop();
  b.stop();
  CHECK(no_nats.accepted() == 0);
  for (auto* n : {&a, &b}) {
    auto log = lower(n->log());
    CHECK_MESSAGE(log.find("nats-bridge") == std::string::npos, n->log());
    CHECK_MESSAGE(lines_with(log, {"connect", "nats"}).empty(), n->log());
    CHECK_MESSAGE(log.find(std::to_string(no_nats.port)) == std::string::npos,
                  n->log());
  }
}

TEST_CASE(
  "bad input straight onto NATS (random bytes, forged signature, "
  "payload-hash mismatch, unsigned, wrong verb or thread) is rejected with "
  "its reason and never delivered; a valid envelope after it is") {
  test::nats_server srv{false};
  bus_node n{mode_env(3, srv.url())};
  REQUIRE_MESSAGE(await_nats_connected(n), bus_lines(n));

  test::temp_dir work;
  // Every verb of the thread: the wrong-subject envelope below is heard.
  test::child_process sub{{test::canswarm_binary(),
                           {"subscribe", "--control", n.control.to_string(),
                            "--thread", thread_id, "--timeout", "50"},
                           {},
                           false,
                           work.path().string()}};
  REQUIRE(await(
    [&] {
      return sub.stderr_text().find("subscribed to 15 topics")
             != std::string::npos;
    },
    15s, {&n}));

  nats::client_options o;
  o.urls = {srv.url()};
  o.name = "hybrid-bus-test";
  auto conn = nats::connection::connect(o, {});
  REQUIRE_MESSAGE(conn, (conn ? "" : conn.error().message));
  auto& nc = **conn;
  auto publish = [&](const std::string& subject, const bytes& data) {
    REQUIRE(nc.publish(subject, data));
    REQUIRE(nc.flush(2000ms));
  };

  auto key = identity::private_key::generate_ed25519();
  std::set<std::string> printed;
  auto read_printed = [&](std::chrono::milliseconds wait) {
    // read_line(0) would not read the pipe: wait at least 1 ms.
    wait = std::max(wait, std::chrono::milliseconds{1});
    while (auto line = sub.read_line(wait)) {
      std::smatch m;
      REQUIRE(
        std::regex_search(*line, m, std::regex{"\"id\":\"([0-9a-f]{32})\""}));
      CHECK_MESSAGE(printed.insert(m[1].str()).second, *line);
      wait = 1ms;
    }
  };
  // The node's NATS subscription is live once a valid envelope gets through.
  std::set<std::string> probes;
  REQUIRE_MESSAGE(await(
                    [&] {
                      read_printed(0ms);
                      for (auto& id : probes)
                        if (printed.count(id))
                          return true;
                      auto env = make_envelope(key, probes.size());
                      probes.insert(to_hex(env.id));
                      publish(need_subject(), encode_env(env));
                      read_printed(300ms);
                      return false;
                    },
                    15s, {&n}),
                  bus_lines(n));
  auto rejected_before = json_path(n.bus(), {"nats_rejected"});
  INFO("nats_rejected before: ", rejected_before);

  // 1. Bytes that are no envelope (0x74: field 14 with the invalid wire
  //    type 4, so the decoder refuses it at once).
  std::string garbage = "this is not an envelope";
  publish(need_subject(), bytes(garbage.begin(), garbage.end()));
  // 2. A forged signature (valid encoding).
  auto forged = make_envelope(key, 1001);
  forged.signature[0] ^= 0x01;
  publish(need_subject(), encode_env(forged));
  // 3. A payload that no longer matches its hash (signature over the hash
  //    is still valid).
  auto tampered = make_envelope(key, 1002);
  tampered.payload.push_back(' ');
  publish(need_subject(), encode_env(tampered));
  // 4. No signature at all.
  auto unsigned_env = make_envelope(key, 1003);
  unsigned_env.signature.clear();
  publish(need_subject(), encode_env(unsigned_env));
  // 5. A valid NEED envelope on the PROPOSE subject of its thread.
  auto misplaced = make_envelope(key, 1004);
  publish(*envelope::nats_subject(thread_id, envelope::kind::propose),
          encode_env(misplaced));
  // 6. A valid envelope of another thread on this thread's subject.
  auto stray = envelope::make(envelope::kind::need, "another thread",
                              bytes{'{', '}'}, 1, unix_now_ns(), {},
                              random_bytes(16),
                              random_bytes(envelope::id_size));
  REQUIRE(envelope::sign(stray, key));
  publish(need_subject(), encode_env(stray));
  // Then a valid envelope: it is delivered, the others are not.
  auto valid = make_envelope(key, 1005);
  publish(need_subject(), encode_env(valid));

  REQUIRE_MESSAGE(await(
                    [&] {
                      read_printed(0ms);
                      return printed.count(to_hex(valid.id)) > 0;
                    },
                    15s, {&n}),
                  (sub.stderr_text() + bus_lines(n) + n.bus()));
  std::this_thread::sleep_for(500ms);
  read_printed(200ms);
  for (auto* bad : {&forged, &tampered, &unsigned_env, &misplaced, &stray})
    CHECK_MESSAGE(printed.count(to_hex(bad->id)) == 0, to_hex(bad->id));
  for (auto& id : printed)
    CHECK_MESSAGE((probes.count(id) || id == to_hex(valid.id)), id);
  // Nothing reached the subscriber's own gate to be refused there.
  CHECK_MESSAGE(sub.stderr_text().find("rejected") == std::string::npos,
                sub.stderr_text());

  auto bus = n.bus();
  INFO("bus stats: ", bus);
  auto rej = json_path(bus, {"nats_rejected"});
  auto count = [&](const std::string& reason) {
    auto v = json_num(rej, {reason});
    return v < 0 ? 0 : v;
  };
  CHECK(count("bad_signature") >= 1);
  CHECK(count("payload_hash_mismatch") == 1);
  CHECK(count("undecodable") + count("malformed") == 1);
  // The verb (misplaced) and the thread (stray) of the subject must match
  // the envelope's.
  CHECK(count("bad_subject") + count("subject_mismatch") == 2);
  // Six bad messages, six rejections (the probes were all valid).
  CHECK_MESSAGE(json_keys(rejected_before).empty(), rejected_before);
  long long total = 0;
  for (auto& reason : json_keys(rej))
    total += count(reason);
  CHECK(total == 6);
  auto log = n.log();
  for (auto& reason : {"bad_signature", "payload_hash_mismatch"})
    CHECK_MESSAGE(!lines_with(log, {"WARNING", reason}).empty(), log);
  CHECK_MESSAGE(lines_with(log, {"WARNING", "rejected"}).size() >= 6, log);
  MESSAGE("nats_rejected: ", rej, "; delivered ", printed.size(), " (",
          probes.size(), " probes + 1 valid)");
}

TEST_CASE("mode 2: the P2P path dies (relay killed -9) while 1,000 envelopes "
          "are published: all arrive once, through NATS after the switch") {
  test::nats_server srv{false};
  // The line A - R - B: R is A's only peer, so killing it leaves A's
  // publishes with no peer at all.
  bus_node r{mode_env(1, srv.url())};
  auto env_a = mode_env(2, srv.url());
  env_a["P2P_BOOTSTRAP_NODES"] = r.tcp_addr();
  bus_node a{env_a};
  auto env_b = mode_env(2, srv.url());
  env_b["P2P_BOOTSTRAP_NODES"] = r.tcp_addr();
  bus_node b{env_b};
  REQUIRE_MESSAGE(await_nats_connected(a), bus_lines(a));
  REQUIRE_MESSAGE(await_nats_connected(b), bus_lines(b));

  // R relays the topic (gossipsub forwards only on topics a node joined).
  auto relay = std::make_unique<collector>(r, need_topic());
  collector got{b, need_topic()};
  REQUIRE(await_topic_peer(a, r.b.id));
  REQUIRE(await_topic_peer(r, b.b.id));

  // Both paths work before the test: a probe through A (P2P) and one put
  // on NATS directly (B's NATS subscription).
  auto p2p_probes = probe(got,
                          [&](const bytes& w) {
                            REQUIRE(a.client().publish(need_topic(), w));
                          },
                          {&a, &b, &r});
  nats::client_options o;
  o.urls = {srv.url()};
  auto conn = nats::connection::connect(o, {});
  REQUIRE_MESSAGE(conn, (conn ? "" : conn.error().message));
  auto nats_probes = probe(got,
                           [&](const bytes& w) {
                             REQUIRE((*conn)->publish(need_subject(), w));
                             REQUIRE((*conn)->flush(2000ms));
                           },
                           {&a, &b, &r});
  auto before = a.bus();
  CHECK(json_num(before, {"failovers"}) == 0);
  CHECK(json_path(before, {"active"}) == "p2p");

  agent pub{a.control, 1000};
  pub.start();
  REQUIRE(await([&] { return pub.sent >= 500; }, 30s, {&a, &b, &r}));
  r.stop(SIGKILL);
  auto killed_at = pub.sent.load();
  await_agent(pub, {&a, &b});

  bool all = await([&] { return got.received_of(pub.ids) == 1000; }, 20s,
                   {&a, &b});
  std::this_thread::sleep_for(1s); // late duplicates would show now
  auto [dup_ids, dup_copies] = got.duplicates();
  auto bus_a = a.bus();
  auto bus_b = b.bus();
  MESSAGE("relay killed after ", killed_at, " envelopes; delivered ",
          got.received_of(pub.ids), "/1000, duplicates ", dup_copies,
          "; agent retries ", pub.retries.load(), "; A: ", bus_a,
          "; B: ", bus_b);
  CHECK_MESSAGE(all, (bus_lines(a) + bus_lines(b)));
  CHECK(dup_ids == 0);
  CHECK(got.undecodable == 0);
  CHECK(got.foreign({&pub.ids, &p2p_probes, &nats_probes}).empty());
  CHECK(json_num(bus_a, {"failovers"}) >= 1);
  CHECK(json_num(bus_a, {"published", "nats"}) > 0);
  CHECK(json_num(bus_a, {"published", "p2p"}) > 0);
  CHECK(json_path(bus_a, {"active"}) == "nats");
  CHECK(json_num(bus_b, {"received", "nats"}) > 0);
  relay.reset();
}

TEST_CASE("mode 3: nats-server is killed -9 and restarted while 1,000 "
          "envelopes are published: all arrive once, through P2P meanwhile, "
          "and the bus returns to NATS") {
  test::nats_server srv{false};
  bus_node a{mode_env(3, srv.url())};
  auto env_b = mode_env(3, srv.url());
  env_b["P2P_BOOTSTRAP_NODES"] = a.tcp_addr();
  bus_node b{env_b};
  REQUIRE_MESSAGE(await_nats_connected(a), bus_lines(a));
  REQUIRE_MESSAGE(await_nats_connected(b), bus_lines(b));
  collector got{b, need_topic()};
  REQUIRE(await_topic_peer(a, b.b.id));
  auto probes = probe(got,
                      [&](const bytes& w) {
                        REQUIRE(a.client().publish(need_topic(), w));
                      },
                      {&a, &b});
  auto before = a.bus();
  CHECK(json_path(before, {"mode"}) == "nats-primary");
  CHECK(json_path(before, {"active"}) == "nats");

  agent pub{a.control, 1000};
  pub.start();
  REQUIRE(await([&] { return pub.sent >= 500; }, 30s, {&a, &b}));
  srv.kill();
  auto killed_at = pub.sent.load();
  std::this_thread::sleep_for(2s);
  srv.start();
  auto restarted_at = pub.sent.load();
  await_agent(pub, {&a, &b});

  bool all = await([&] { return got.received_of(pub.ids) == 1000; }, 20s,
                   {&a, &b});
  bool back = await(
    [&] {
      auto bus = a.bus();
      return json_path(bus, {"active"}) == "nats"
             && json_num(bus, {"failbacks"}) >= 1;
    },
    20s, {&a, &b});
  std::this_thread::sleep_for(1s);
  auto [dup_ids, dup_copies] = got.duplicates();
  auto bus_a = a.bus();
  auto bus_b = b.bus();
  MESSAGE("nats-server killed after ", killed_at,
          " envelopes, restarted after ", restarted_at, "; delivered ",
          got.received_of(pub.ids), "/1000, duplicates ", dup_copies,
          "; agent retries ", pub.retries.load(), "; A: ", bus_a,
          "; B: ", bus_b);
  CHECK_MESSAGE(all, (bus_lines(a) + bus_lines(b)));
  CHECK(dup_ids == 0);
  CHECK(got.undecodable == 0);
  CHECK(got.foreign({&pub.ids, &probes}).empty());
  CHECK(back);
  CHECK(json_num(bus_a, {"failovers"}) >= 1);
  CHECK(json_num(bus_a, {"failbacks"}) >= 1);
  CHECK(json_path(bus_a, {"active"}) == "nats");
  CHECK(json_path(bus_a, {"nats_state"}) == "connected");
  CHECK(json_num(bus_a, {"published", "p2p"}) > 0);
  CHECK(json_num(bus_a, {"published", "nats"}) > 0);
  CHECK(json_num(bus_b, {"received", "p2p"}) > 0);
}
