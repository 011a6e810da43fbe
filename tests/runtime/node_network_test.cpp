// Several real `canswarm node` processes on loopback: bootstrap dials,
// peer-id verification, the connection limit and announced addresses, seen
// through each node's p2pd-compatible control API.

#include <doctest/doctest.h>

#include <signal.h>

#include <thread>

#include "canswarm/identity/peer_id.hpp"
#include "control_client.hpp"
#include "metrics/scrape.hpp"
#include "node_harness.hpp"
#include "support/process.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

/// A running node with its control address.
struct node_proc : test::control_node {
  using control_node::control_node;

  p2pd::response call(const p2pd::request& req) {
    auto c = test::control_client::connect(control);
    REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
    auto res = c->call(req);
    REQUIRE_MESSAGE(res, (res ? "" : res.error().message));
    REQUIRE_MESSAGE(res->type == p2pd::response_type::ok,
                    (res->error ? res->error->msg : ""));
    return *res;
  }

  std::vector<std::string> peers() {
    p2pd::request req;
    req.type = p2pd::request_type::list_peers;
    std::vector<std::string> result;
    for (auto& p : call(req).peers) {
      auto id = peer_id::from_bytes(p.id);
      REQUIRE(id);
      result.push_back(id->to_string());
    }
    return result;
  }

  /// Polls LIST_PEERS until it has `n` entries (or 10 s pass).
  std::vector<std::string> await_peers(std::size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    auto xs = peers();
    while (xs.size() != n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
      xs = peers();
    }
    return xs;
  }

  /// Polls stderr until it contains `text` (or 10 s pass).
  bool await_log(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (proc->stderr_text().find(text) != std::string::npos)
        return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  std::string tcp_addr() const {
    return b.addrs.at(0);
  }

  std::string port() const {
    auto a = *multiaddr::parse(tcp_addr());
    return *a.value_of("tcp");
  }
};

} // namespace

TEST_CASE("a node dials its bootstrap nodes at start and both list each "
          "other") {
  node_proc a;
  node_proc b{{{"P2P_BOOTSTRAP_NODES", a.tcp_addr()}}};
  auto bp = b.await_peers(1);
  REQUIRE(bp.size() == 1);
  CHECK(bp[0] == a.b.id);
  auto ap = a.await_peers(1);
  REQUIRE(ap.size() == 1);
  CHECK(ap[0] == b.b.id);
  CHECK(b.await_log("connected to bootstrap node"));
  // IDENTIFY reports the node's own id and its dialable address.
  p2pd::request req;
  req.type = p2pd::request_type::identify;
  auto id = a.call(req);
  REQUIRE(id.identify);
  CHECK(peer_id::from_bytes(id.identify->id)->to_string() == a.b.id);
  REQUIRE(!id.identify->addrs.empty());
  CHECK(multiaddr::from_bytes(id.identify->addrs[0])
          ->encapsulate(*multiaddr::parse("/p2p/" + a.b.id))
          .to_string()
        == a.tcp_addr());
}

TEST_CASE("a /dns4 bootstrap address is resolved") {
  node_proc a;
  node_proc b{{{"P2P_BOOTSTRAP_NODES",
                "/dns4/localhost/tcp/" + a.port() + "/p2p/" + a.b.id}}};
  auto bp = b.await_peers(1);
  REQUIRE(bp.size() == 1);
  CHECK(bp[0] == a.b.id);
}

TEST_CASE("a bootstrap node with another peer id is refused, naming both "
          "ids, and the node keeps serving") {
  node_proc a;
  node_proc other;
  // a's address with other's id: the handshake authenticates a, not other.
  node_proc b{{{"P2P_BOOTSTRAP_NODES",
                "/ip4/127.0.0.1/tcp/" + a.port() + "/p2p/" + other.b.id}}};
  REQUIRE(b.await_log("unreachable"));
  auto log = b.proc->stderr_text();
  CHECK(log.find(a.b.id) != std::string::npos);
  CHECK(log.find(other.b.id) != std::string::npos);
  CHECK(b.peers().empty());
  // b still accepts and makes connections.
  node_proc c{{{"P2P_BOOTSTRAP_NODES", b.tcp_addr()}}};
  auto cp = c.await_peers(1);
  REQUIRE(cp.size() == 1);
  CHECK(cp[0] == b.b.id);
}

TEST_CASE("inbound connections beyond P2P_MAX_CONNECTIONS are refused and "
          "counted") {
  node_proc a{{{"P2P_MAX_CONNECTIONS", "1"}}};
  node_proc b{{{"P2P_BOOTSTRAP_NODES", a.tcp_addr()}}};
  REQUIRE(b.await_peers(1).size() == 1);
  node_proc c{{{"P2P_BOOTSTRAP_NODES", a.tcp_addr()}}};
  CHECK(a.await_log("refusing inbound connection"));
  CHECK(a.await_log("1 inbound refused"));
  CHECK(c.await_log("unreachable"));
  auto ap = a.peers();
  REQUIRE(ap.size() == 1);
  CHECK(ap[0] == b.b.id);
}

TEST_CASE("a node listens on every P2P_LISTEN_ADDR and IDENTIFY reports "
          "P2P_ANNOUNCE_ADDRS instead when set") {
  node_proc a{
    {{"P2P_LISTEN_ADDR", "/ip4/127.0.0.1/tcp/0,/ip4/127.0.0.1/tcp/0"}}};
  REQUIRE(a.b.addrs.size() == 2);
  CHECK(a.b.addrs[0] != a.b.addrs[1]);
  // Both addresses accept libp2p connections.
  for (auto& addr : a.b.addrs) {
    node_proc b{{{"P2P_BOOTSTRAP_NODES", addr}}};
    auto bp = b.await_peers(1);
    REQUIRE(bp.size() == 1);
    CHECK(bp[0] == a.b.id);
  }
  // The announce address is never dialed: it is only advertised.
  node_proc c{{{"P2P_ANNOUNCE_ADDRS", "/ip4/203.0.113.7/tcp/4001"}}};
  REQUIRE(c.b.addrs.size() == 1);
  CHECK(c.b.addrs[0] == "/ip4/203.0.113.7/tcp/4001/p2p/" + c.b.id);
  p2pd::request req;
  req.type = p2pd::request_type::identify;
  auto id = c.call(req);
  REQUIRE(id.identify);
  REQUIRE(id.identify->addrs.size() == 1);
  CHECK(multiaddr::from_bytes(id.identify->addrs[0])->to_string()
        == "/ip4/203.0.113.7/tcp/4001");
}

TEST_CASE("P2P_METRICS_ADDR serves the swarm series: connected peers match "
          "LIST_PEERS and connection counters move") {
  auto port = test::free_tcp_port();
  node_proc a{{{"P2P_METRICS_ADDR", "127.0.0.1:" + std::to_string(port)}}};
  REQUIRE(a.await_log("metrics on http://127.0.0.1:" + std::to_string(port)));
  auto scrape = [&] {
    auto res = metrics::test::http_get(port, "/metrics");
    REQUIRE(res.status == 200);
    return metrics::test::parse_exposition(res.body);
  };
  auto before = scrape();
  CHECK(before.value("libp2p_swarm_connected_peers") == 0.0);
  node_proc b{{{"P2P_BOOTSTRAP_NODES", a.tcp_addr()}}};
  node_proc c{{{"P2P_BOOTSTRAP_NODES", a.tcp_addr()}}};
  REQUIRE(a.await_peers(2).size() == 2);
  // The reporter sees the events shortly after the swarm lists the peers.
  std::optional<double> connected;
  for (int i = 0; i < 100 && connected != 2.0; ++i) {
    connected = scrape().value("libp2p_swarm_connected_peers");
    if (connected != 2.0)
      std::this_thread::sleep_for(50ms);
  }
  CHECK(connected == 2.0);
  CHECK(connected == static_cast<double>(a.peers().size()));
  auto after = scrape();
  CHECK(after.value("libp2p_swarm_connections_opened_total",
                    {{"direction", "inbound"}})
        == 2.0);
  // A garbage connection is a handshake failure with a reason class.
  {
    auto raw = test::control_client::connect(
      *multiaddr::parse("/ip4/127.0.0.1/tcp/" + a.port()));
    REQUIRE(raw);
    // 'x' (0x78) reads as a 120-byte multistream line without a newline.
    std::string junk(300, 'x');
    REQUIRE(raw->send_raw(bytes(junk.begin(), junk.end())));
    CHECK(raw->socket().wait_closed());
  }
  std::optional<double> failures;
  for (int i = 0; i < 100 && !failures; ++i) {
    for (auto& smp : scrape().samples)
      if (smp.name == "libp2p_swarm_handshake_failures_total")
        failures = failures.value_or(0) + smp.value;
    if (!failures)
      std::this_thread::sleep_for(50ms);
  }
  CHECK(failures.value_or(0) >= 1.0);
}
