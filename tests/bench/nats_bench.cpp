// bench_nats: NATS throughput and latency, raw nats.c against the same
// traffic through the NATS bridge actor and the envelope bus, and the
// hybrid bus's failover time (issue #7). Not a test (not run by ctest);
// starts its own nats-server on a free loopback port (and a second one, with
// two `canswarm node` processes, for the failover part).
//
// Rows (1 KiB messages; the signed envelopes carry a payload sized so their
// wire form is 1 KiB):
//   raw core            nats.c publish -> nats.c subscriber
//   bridge unsigned     bridge publish -> NATS -> bridge (subject check
//                       only, bytes forwarded) -> sink actor
//   bridge signed       as above with envelope decode + gate verify
//   raw jetstream       nats.c async JetStream publish -> durable consumer
//                       (manual ack)
//   bridge jetstream    bridge JetStream publish -> stream -> bridge
//                       consumer (gate verify, ack) -> sink actor
//   bus signed          canswarm::spawn_bus in nats-only mode: bus A
//                       (preflight + record) -> its bridge -> NATS ->
//                       bus B's bridge (gate verify) -> bus B (dedup) ->
//                       handler actor; latency: publish .need at A, a
//                       nats.c responder answers a signed .propose, B
//                       delivers it
// Anchor of the signed rows: Ed25519 verify (libsodium
// crypto_sign_verify_detached of a 1 KiB message, one core, ~2 s); a signed
// row's ratio is against min(raw nats.c of the same mode, verify rate).
// Failover (nats_failover.hpp): nodes A and B in mode 3 (NATS primary, P2P
// fallback), an agent publishing signed envelopes at A at 500/s through the
// control API, a subscriber at B; nats-server is killed -9 (3 times,
// restarted between): kill -> first delivery at B of an envelope published
// after the kill, against nats.c connect + subscribe + flush on a fresh
// connection (median of 20). Every envelope must arrive exactly once.
// The final table gives each issue #7 target with PASS or MISS:
//   unsigned >= 0.8x raw nats.c; signed >= 0.7x min(raw, verify rate);
//   failover <= 2x connect + subscribe.
// Throughput keeps at most `window` messages between publish and delivery
// (the bridge's bounds are not the bottleneck). Latency: core rows are a
// request/reply round trip through an echo responder (raw: nats.c request;
// bridge: publish on .need, a nats.c responder republishes on .propose, the
// bridge delivers it); JetStream rows are publish -> delivery at our own
// consumer. Ratios are against the raw row of the same mode.
//
// Usage: bench_nats [messages=20000] [round_trips=1000] [asap]
//                   [kills=3] [rate=500] [nofailover] [nomode2]
// With "asap" every connection writes each publish at once
// (client_options::send_asap) instead of nats.c's default of collecting
// publishes for up to 1 ms, which dominates the latency columns. "kills=N"
// sets the number of kills, "rate=N" the agent's envelopes/s, "nofailover"
// skips the failover part and "nomode2" its mode 2 half.
// Failover columns: "failover ms" kill -> first delivery at B of an
// envelope published after the kill (the target's figure); "detect ms"
// kill -> A's bus stats count the failover (polled through the control
// API: an upper bound); "any ms" kill -> first delivery at B of any
// envelope (a re-sent one counts); "max gap ms" the largest gap between
// two deliveries at B; "resent" A's bus re-sends so far (the envelopes of
// the last replay_window, 2 s, go to the fallback at failover).
// Environment: CANSWARM_BINARY (default: the built runtime/canswarm).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sodium.h>

#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include "bridge_fixture.hpp"
#include "canswarm/bus/bus.hpp"
#include "canswarm/envelope/gate.hpp"
#include "canswarm/nats/client.hpp"
#include "nats_failover.hpp"

using namespace canswarm;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t message_size = 1024;
constexpr std::uint64_t window = 256;

/// client_options::send_asap for every connection (argument "asap").
bool send_asap = false;

/// Counts deliveries; lets the driver wait for a count.
struct counter {
  std::atomic<std::uint64_t> n{0};
  std::mutex mtx;
  std::condition_variable cv;

  void bump() {
    n.fetch_add(1);
    cv.notify_all();
  }

  /// Waits until n >= target (false after 30 s without progress).
  bool wait_for(std::uint64_t target) {
    std::unique_lock<std::mutex> guard{mtx};
    auto last = n.load();
    auto deadline = clock_type::now() + 30s;
    while (n.load() < target) {
      cv.wait_for(guard, 1ms);
      if (auto now_n = n.load(); now_n != last) {
        last = now_n;
        deadline = clock_type::now() + 30s;
      } else if (clock_type::now() > deadline) {
        return false;
      }
    }
    return true;
  }
};

struct row {
  std::string name;
  double msgs_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
};

[[noreturn]] void die(const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "bench_nats: %s\n", what.c_str());
  std::exit(1);
}

template<class T>
T must(result<T> r, const char* what) {
  if (!r)
    die(fmt::format("{}: {}", what, r.error().describe()));
  return std::move(*r);
}

void must(result<void> r, const char* what) {
  if (!r)
    die(fmt::format("{}: {}", what, r.error().describe()));
}

/// Runs `send(i)` for i in [0, n) keeping at most `window` undelivered;
/// returns messages per second until all n were delivered.
double throughput(std::uint64_t n, counter& delivered,
                  const std::function<void(std::uint64_t)>& send) {
  auto base = delivered.n.load();
  auto start = clock_type::now();
  for (std::uint64_t i = 0; i < n; ++i) {
    if (i >= window && !delivered.wait_for(base + i - window + 1))
      die("throughput: deliveries stalled");
    send(i);
  }
  if (!delivered.wait_for(base + n))
    die("throughput: not every message was delivered");
  std::chrono::duration<double> secs = clock_type::now() - start;
  return static_cast<double>(n) / secs.count();
}

/// Runs `round_trip(i)` m times; returns (p50, p99) in microseconds.
std::pair<double, double>
latency(std::uint64_t m, const std::function<void(std::uint64_t)>& round_trip) {
  std::vector<double> us;
  us.reserve(m);
  for (std::uint64_t i = 0; i < m; ++i) {
    auto t0 = clock_type::now();
    round_trip(i);
    std::chrono::duration<double, std::micro> d = clock_type::now() - t0;
    us.push_back(d.count());
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

std::unique_ptr<nats::connection> connect(const std::string& url,
                                          nats::callbacks cbs = {}) {
  nats::client_options o;
  o.urls = {url};
  o.name = "bench";
  o.send_asap = send_asap;
  return must(nats::connection::connect(o, std::move(cbs)), "connect");
}

/// Signed envelopes of `thread`/`k` whose wire form is `message_size` bytes.
std::vector<bytes> signed_wires(test::envelope_factory& f, std::uint64_t n,
                                const std::string& thread, envelope::kind k,
                                std::vector<bytes>* ids = nullptr) {
  auto probe = f.make(thread, k, "");
  auto overhead = test::envelope_factory::wire(probe).size() + 2;
  std::string payload(message_size - overhead, 'p');
  std::vector<bytes> out;
  out.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    auto e = f.make(thread, k, payload);
    out.push_back(test::envelope_factory::wire(e));
    if (ids != nullptr)
      ids->push_back(e.id);
  }
  return out;
}

nats_envelope_sink_actor counting_sink(caf::actor_system& sys, counter& c) {
  return sys.spawn([&c](nats_envelope_sink_actor::pointer)
                     -> nats_envelope_sink_actor::behavior_type {
    return {[&c](nats_envelope&) { c.bump(); }};
  });
}

void subscribe(caf::scoped_actor& self, const nats_bridge_actor& b,
               const std::string& pattern, nats_envelope_sink_actor sink) {
  self
    ->request(b, caf::infinite, nats_subscribe_atom::value, pattern,
              std::move(sink))
    .receive([](std::uint64_t) {},
             [](caf::error& err) { die("subscribe: " + to_string(err)); });
}

envelope_handler_actor counting_handler(caf::actor_system& sys, counter& c) {
  return sys.spawn([&c](envelope_handler_actor::pointer)
                     -> envelope_handler_actor::behavior_type {
    return {[&c](bus_envelope&) { c.bump(); }};
  });
}

/// Ed25519 verifications per second of a 1 KiB message (libsodium, this
/// thread, for about `budget`).
double verify_rate(std::chrono::milliseconds budget) {
  if (::sodium_init() < 0)
    die("sodium_init failed");
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  bytes msg(message_size, 0x6d);
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, msg.data(), msg.size(), sk);
  std::uint64_t n = 0;
  auto start = clock_type::now();
  auto deadline = start + budget;
  while (clock_type::now() < deadline) {
    for (int i = 0; i < 100; ++i)
      if (crypto_sign_verify_detached(sig, msg.data(), msg.size(), pk) != 0)
        die("crypto_sign_verify_detached rejected a good signature");
    n += 100;
  }
  std::chrono::duration<double> secs = clock_type::now() - start;
  return static_cast<double>(n) / secs.count();
}

/// A bus in nats-only mode over its own bridge.
struct nats_only_bus {
  nats_bridge_actor bridge;
  bus_actor bus;

  nats_only_bus(caf::actor_system& sys, const test::nats_server& srv) {
    auto c = test::bridge_fixture::config_for(srv, false);
    c.client.send_asap = send_asap;
    bridge = must(spawn_nats_bridge(sys, c), "spawn bridge");
    bus_config bc;
    bc.nats = std::make_shared<nats_bridge_locator>();
    bc.nats->set(bridge);
    bc.primary = bus_transport::nats;
    bc.gate = std::make_shared<ingress_gate>();
    bus = must(spawn_bus(sys, std::move(bc)), "spawn bus");
  }

  void stop(caf::scoped_actor& self) {
    self->send_exit(bus, caf::exit_reason::user_shutdown);
    self->wait_for(bus);
    self->send_exit(bridge, caf::exit_reason::user_shutdown);
    self->wait_for(bridge);
  }
};

void print(const std::vector<row>& rows, const std::vector<int>& base) {
  std::printf("%-34s %11s %9s %7s %9s %9s %7s\n", "path", "msgs/s", "MiB/s",
              "ratio", "p50 us", "p99 us", "ratio");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& r = rows[i];
    auto& b = rows[static_cast<std::size_t>(base[i])];
    std::printf("%-34s %11.0f %9.1f %7.2f %9.1f %9.1f %7.2f\n", r.name.c_str(),
                r.msgs_per_s, r.msgs_per_s * message_size / (1 << 20),
                r.msgs_per_s / b.msgs_per_s, r.p50_us, r.p99_us,
                r.p50_us / b.p50_us);
  }
}

} // namespace

int main(int argc, char** argv) {
  std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20000;
  std::uint64_t m = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000;
  int kills = 3;
  bool failover = true;
  bool mode2 = true;
  int rate = 500;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "asap")
      send_asap = true;
    else if (a == "nofailover")
      failover = false;
    else if (a == "nomode2")
      mode2 = false;
    else if (a.rfind("kills=", 0) == 0)
      kills = std::max(1, std::atoi(a.c_str() + 6));
    else if (a.rfind("rate=", 0) == 0)
      rate = std::clamp(std::atoi(a.c_str() + 5), 1, 5000);
    else
      die("unknown argument " + a);
  }
  log::global().set_level(log::level::error);
  test::nats_server srv{true};
  test::bridge_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  test::envelope_factory envs;
  std::vector<row> rows;
  bytes payload(message_size, 0x5a);

  // -- raw core
  // -----------------------------------------------------------------
  {
    auto pub = connect(srv.url());
    auto sub_conn = connect(srv.url());
    counter got;
    auto sub = must(sub_conn->subscribe("raw.tp",
                                        [&](nats::message) { got.bump(); }),
                    "subscribe");
    auto& sc = *sub_conn;
    auto echo = must(sub_conn->subscribe("raw.echo",
                                         [&sc](nats::message msg) {
                                           (void)sc.publish(msg.reply(),
                                                            msg.data());
                                         }),
                     "subscribe");
    must(sub_conn->flush(5s), "flush");
    row r{"raw nats.c core"};
    r.msgs_per_s = throughput(n, got, [&](std::uint64_t) {
      must(pub->publish("raw.tp", payload), "publish");
    });
    std::tie(r.p50_us, r.p99_us) = latency(m, [&](std::uint64_t) {
      must(pub->request("raw.echo", payload, 5s), "request");
    });
    rows.push_back(r);
  }

  // -- bridge core, unsigned and signed
  // -------------------------------------------
  for (bool sign : {false, true}) {
    auto c = test::bridge_fixture::config_for(srv, false);
    c.client.send_asap = send_asap;
    if (!sign)
      c.ingress = nats_ingress_check::none;
    auto b = must(spawn_nats_bridge(sys, c), "spawn bridge");
    counter got;
    auto sink = counting_sink(sys, got);
    subscribe(self, b, "thread.bench.claim", sink);
    subscribe(self, b, "thread.bench.propose", sink);
    // Requests go out on .need; a nats.c responder answers on .propose with
    // a fresh envelope (signed path) or the same bytes (unsigned path).
    std::vector<bytes> ids;
    // Throughput: CLAIM envelopes on .claim; latency: NEED on .need (the
    // bridge checks that the subject's verb is the envelope's kind).
    auto requests = sign ? signed_wires(envs, n, "bench", envelope::kind::claim,
                                        &ids)
                         : std::vector<bytes>{};
    if (sign) {
      auto needs = signed_wires(envs, m, "bench", envelope::kind::need, &ids);
      requests.insert(requests.end(), needs.begin(), needs.end());
    }
    auto answers = sign
                     ? signed_wires(envs, m, "bench", envelope::kind::propose)
                     : std::vector<bytes>{};
    std::atomic<std::size_t> next_answer{0};
    auto echo_conn = connect(srv.url());
    auto& ec = *echo_conn;
    auto echo = must(echo_conn
                       ->subscribe("thread.bench.need",
                                   [&](nats::message msg) {
                                     auto i = next_answer.fetch_add(1);
                                     (void)ec.publish("thread.bench.propose",
                                                      sign
                                                        ? bytes_view{answers[i]}
                                                        : msg.data());
                                   }),
                     "subscribe");
    must(echo_conn->flush(5s), "flush");
    auto wire_of = [&](std::uint64_t i) {
      return sign ? requests[i] : payload;
    };
    auto id_of = [&](std::uint64_t i) {
      return sign ? ids[i] : to_bytes(std::to_string(i));
    };
    row r{sign ? "bridge core, signed (gate verify)"
               : "bridge core, unsigned (forward)"};
    r.msgs_per_s = throughput(n, got, [&](std::uint64_t i) {
      caf::anon_send(b, nats_publish_atom::value, wire_of(i),
                     std::string{"thread.bench.claim"}, id_of(i));
    });
    std::tie(r.p50_us, r.p99_us) = latency(m, [&](std::uint64_t i) {
      auto target = got.n.load() + 1;
      caf::anon_send(b, nats_publish_atom::value, wire_of(n + i),
                     std::string{"thread.bench.need"}, id_of(n + i));
      if (!got.wait_for(target))
        die("latency: no answer");
    });
    rows.push_back(r);
    self->send_exit(b, caf::exit_reason::user_shutdown);
    self->wait_for(b);
  }

  // -- raw jetstream
  // ------------------------------------------------------------
  {
    counter acked;
    nats::callbacks cbs;
    cbs.on_publish_ack = [&](std::uint64_t, result<nats::publish_ack> a) {
      if (!a)
        die("jetstream ack: " + a.error().describe());
      acked.bump();
    };
    auto conn = connect(srv.url(), std::move(cbs));
    nats::stream_settings ss;
    ss.name = "BENCH_RAW";
    ss.subjects = {"rawjs.>"};
    must(conn->ensure_stream(ss), "ensure stream");
    nats::consumer_settings cs;
    cs.stream = ss.name;
    cs.durable = "bench-raw";
    counter got;
    auto sub = must(conn->js_subscribe("rawjs.>", cs,
                                       [&](nats::message msg) {
                                         (void)msg.ack();
                                         got.bump();
                                       }),
                    "js subscribe");
    row r{"raw nats.c jetstream"};
    r.msgs_per_s = throughput(n, got, [&](std::uint64_t i) {
      must(conn->js_publish_async("rawjs.tp", payload, std::to_string(i), i,
                                  5000ms),
           "js publish");
    });
    std::tie(r.p50_us, r.p99_us) = latency(m, [&](std::uint64_t i) {
      auto target = got.n.load() + 1;
      must(conn->js_publish("rawjs.lat", payload, "l" + std::to_string(i),
                            5000ms),
           "js publish");
      if (!got.wait_for(target))
        die("latency: no delivery");
    });
    rows.push_back(r);
  }

  // -- bridge jetstream, signed
  // -------------------------------------------------
  {
    auto c = test::bridge_fixture::config_for(srv, true);
    c.client.send_asap = send_asap;
    auto b = must(spawn_nats_bridge(sys, c), "spawn bridge");
    counter got;
    subscribe(self, b, "thread.benchjs.*", counting_sink(sys, got));
    std::vector<bytes> ids;
    auto wires = signed_wires(envs, n + m, "benchjs", envelope::kind::need,
                              &ids);
    row r{"bridge jetstream, signed"};
    r.msgs_per_s = throughput(n, got, [&](std::uint64_t i) {
      caf::anon_send(b, nats_publish_atom::value, wires[i],
                     std::string{"thread.benchjs.need"}, ids[i]);
    });
    std::tie(r.p50_us, r.p99_us) = latency(m, [&](std::uint64_t i) {
      auto target = got.n.load() + 1;
      self
        ->request(b, caf::infinite, nats_publish_atom::value, wires[n + i],
                  std::string{"thread.benchjs.need"}, ids[n + i])
        .receive([](nats_publish_receipt&) {},
                 [](caf::error& err) { die("publish: " + to_string(err)); });
      if (!got.wait_for(target))
        die("latency: no delivery");
    });
    rows.push_back(r);
    self->send_exit(b, caf::exit_reason::user_shutdown);
    self->wait_for(b);
  }

  // -- bus signed (nats-only): bus A -> NATS -> bus B
  // ---------------------------------
  {
    nats_only_bus a{sys, srv};
    nats_only_bus b{sys, srv};
    counter got;
    auto handler = counting_handler(sys, got);
    for (const char* subject :
         {"thread.busbench.claim", "thread.busbench.propose"})
      self
        ->request(b.bus, caf::infinite, bus_subscribe_atom::value,
                  std::string{subject}, handler)
        .receive([](std::uint64_t) {},
                 [](caf::error& err) {
                   die("bus subscribe: " + to_string(err));
                 });
    // Envelopes are signed up front (the agent's cost, not the bus's).
    auto make = [&](std::uint64_t count, envelope::kind k) {
      auto probe = envs.make("busbench", k, "");
      auto overhead = test::envelope_factory::wire(probe).size() + 2;
      std::string pl(message_size - overhead, 'p');
      std::vector<envelope::envelope> out;
      out.reserve(count);
      for (std::uint64_t i = 0; i < count; ++i)
        out.push_back(envs.make("busbench", k, pl));
      return out;
    };
    auto publish = [&](const envelope::envelope& e, const char* subject) {
      caf::anon_send(a.bus, bus_publish_atom::value, e, std::string{subject});
    };
    // The bus joins NATS subjects asynchronously: probe until one arrives.
    {
      auto probes = make(200, envelope::kind::claim);
      bool arrived = false;
      for (auto& e : probes) {
        publish(e, "thread.busbench.claim");
        std::this_thread::sleep_for(50ms);
        if (got.n.load() > 0) {
          arrived = true;
          break;
        }
      }
      if (!arrived)
        die("bus: no probe envelope arrived at bus B");
      std::this_thread::sleep_for(200ms);
    }
    auto claims = make(n, envelope::kind::claim);
    auto needs = make(m, envelope::kind::need);
    auto answers = signed_wires(envs, m, "busbench", envelope::kind::propose);
    std::atomic<std::size_t> next_answer{0};
    auto echo_conn = connect(srv.url());
    auto& ec = *echo_conn;
    auto echo = must(echo_conn
                       ->subscribe("thread.busbench.need",
                                   [&](nats::message) {
                                     auto i = next_answer.fetch_add(1);
                                     (void)ec.publish("thread.busbench.propose",
                                                      answers[i]);
                                   }),
                     "subscribe");
    must(echo_conn->flush(5s), "flush");
    row r{"bus signed (nats-only, A -> B)"};
    r.msgs_per_s = throughput(n, got, [&](std::uint64_t i) {
      publish(claims[i], "thread.busbench.claim");
    });
    std::tie(r.p50_us, r.p99_us) = latency(m, [&](std::uint64_t i) {
      auto target = got.n.load() + 1;
      publish(needs[i], "thread.busbench.need");
      if (!got.wait_for(target))
        die("latency: no answer");
    });
    rows.push_back(r);
    a.stop(self);
    b.stop(self);
  }

  // -- the gate alone, for reference
  // ----------------------------------------------
  double gate_rate = 0;
  {
    auto wires = signed_wires(envs, n, "gate", envelope::kind::need);
    envelope::gate_enforcer gate;
    auto start = clock_type::now();
    for (auto& w : wires) {
      auto env = envelope::decode(w);
      if (!env || !gate.ingress_validate(*env, test::unix_now_ns()).allowed)
        die("gate: a valid envelope was rejected");
    }
    std::chrono::duration<double> secs = clock_type::now() - start;
    gate_rate = static_cast<double>(n) / secs.count();
  }
  // What the bus does to each envelope it publishes, before any transport:
  // preflight check, then the ingress check that records it (replay
  // memory), then encode (actors/bus/src/bus.cpp publish).
  double bus_publish_rate = 0;
  {
    std::vector<envelope::envelope> es;
    es.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i)
      es.push_back(envs.make("buspath", envelope::kind::need,
                             std::string(message_size - 200, 'p')));
    envelope::gate_enforcer preflight;
    envelope::gate_enforcer gate;
    auto start = clock_type::now();
    for (auto& e : es) {
      auto now = test::unix_now_ns();
      if (!preflight.preflight_validate(e, now).allowed
          || !gate.ingress_validate(e, now).allowed || !envelope::encode(e))
        die("bus path: a valid envelope was rejected");
    }
    std::chrono::duration<double> secs = clock_type::now() - start;
    bus_publish_rate = static_cast<double>(n) / secs.count();
  }

  std::printf("bench_nats: %llu messages of %zu bytes per throughput row, "
              "%llu round trips per latency column, window %llu, %u CPUs%s\n",
              static_cast<unsigned long long>(n), message_size,
              static_cast<unsigned long long>(m),
              static_cast<unsigned long long>(window),
              std::thread::hardware_concurrency(),
              send_asap ? ", send_asap" : "");
  // -- the Ed25519 verify anchor
  // ---------------------------------------------------
  double verify = verify_rate(2000ms);

  print(rows, {0, 0, 0, 3, 3, 0});
  std::printf("reference: envelope decode + gate ingress check alone, one "
              "thread, no NATS: %.0f envelopes/s\n",
              gate_rate);
  std::printf("reference: the bus's publish checks alone (preflight + "
              "recording ingress check + encode), one thread: %.0f "
              "envelopes/s\n",
              bus_publish_rate);
  std::printf("anchor: Ed25519 verify (libsodium, 1 core), 1 KiB: %.0f "
              "verifications/s\n",
              verify);
  auto signed_ratio = [&](std::size_t i, std::size_t raw) {
    auto anchor = std::min(rows[raw].msgs_per_s, verify);
    std::printf("  %-34s %.0f msgs/s / min(%s %.0f, verify %.0f) = %.2f\n",
                rows[i].name.c_str(), rows[i].msgs_per_s,
                rows[raw].name.c_str(), rows[raw].msgs_per_s, verify,
                rows[i].msgs_per_s / anchor);
    return rows[i].msgs_per_s / anchor;
  };
  std::printf("signed rows against min(raw nats.c, verify rate):\n");
  double r_bridge_signed = signed_ratio(2, 0);
  double r_js_signed = signed_ratio(4, 3);
  double r_bus_signed = signed_ratio(5, 0);
  double r_unsigned = rows[1].msgs_per_s / rows[0].msgs_per_s;
  std::fflush(stdout);

  // -- failover (process level)
  // ---------------------------------------------------
  bench::failover_result fo;
  double fo_median = -1;
  double fo2_median = -1;
  if (failover) {
    const char* bin = std::getenv("CANSWARM_BINARY");
    fo = bench::measure_failover(bin ? bin : CANSWARM_BINARY_FALLBACK, kills,
                                 rate, mode2);
    if (!fo.anchor_samples_ms.empty()) {
      auto s = fo.anchor_samples_ms;
      std::sort(s.begin(), s.end());
      std::printf("\nanchor: nats.c connect + subscribe + flush, fresh "
                  "connection, %zu samples: median %.2f ms (min %.2f, max "
                  "%.2f)\n",
                  s.size(), fo.anchor_ms, s.front(), s.back());
    }
    // Prints the runs of one mode; returns the median failover time.
    auto table = [&](const std::vector<bench::failover_run>& runs,
                     const std::string& error) {
      if (!error.empty())
        std::printf("  FAILED TO RUN: %s\n", error.c_str());
      std::printf("  %-4s %11s %10s %9s %10s %9s %9s %5s %7s %9s %6s %9s "
                  "%8s\n",
                  "kill", "failover ms", "detect ms", "any ms", "max gap ms",
                  "published", "delivered", "dups", "retries", "failovers",
                  "resent", "recovered", "/ anchor");
      std::vector<double> times;
      for (std::size_t i = 0; i < runs.size(); ++i) {
        auto& r = runs[i];
        std::printf("  %-4zu %11.1f %10.1f %9.1f %10.1f %9zu %9zu %5zu %7zu "
                    "%9lld %6lld %9s %8.2f\n",
                    i + 1, r.failover_ms, r.detect_ms, r.first_any_ms,
                    r.max_gap_ms, r.published, r.delivered, r.duplicates,
                    r.retries, r.failovers, r.resent,
                    r.recovered ? "yes" : "no",
                    fo.anchor_ms > 0 ? r.failover_ms / fo.anchor_ms : 0.0);
        if (r.failover_ms >= 0)
          times.push_back(r.failover_ms);
      }
      if (times.empty())
        return -1.0;
      std::sort(times.begin(), times.end());
      return times[times.size() / 2];
    };
    std::printf("failover, mode 3 (NATS primary, P2P fallback): nodes A, B "
                "(B bootstraps from A), agent at %d envelopes/s through A's "
                "control API, subscriber at B; nats-server kill -9, "
                "restarted between kills:\n",
                fo.rate);
    fo_median = table(fo.runs, fo.error);
    if (mode2) {
      std::printf("failover, mode 2 (P2P primary, NATS fallback): the line "
                  "A - R - B, relay R killed -9 (fresh nodes per kill), same "
                  "agent and subscriber:\n");
      fo2_median = table(fo.p2p_runs, fo.p2p_error);
    }
  }

  // -- the issue #7 targets
  // -------------------------------------------------------
  std::printf("\nissue #7 targets (throughput ratios; failover: median "
              "time / anchor):\n");
  std::printf("%-58s %8s %8s %7s\n", "target", "ratio", "target", "result");
  auto verdict = [](const char* what, double ratio, double bound, bool at_most,
                    bool ok_extra = true) {
    bool pass = ok_extra && ratio >= 0
                && (at_most ? ratio <= bound : ratio >= bound);
    std::printf("%-58s %8.2f %2s %5.2f %7s\n", what, ratio,
                at_most ? "<=" : ">=", bound, pass ? "PASS" : "MISS");
  };
  verdict("bridge unsigned / raw nats.c core", r_unsigned, 0.8, false);
  verdict("bridge signed / min(raw core, Ed25519 verify)", r_bridge_signed, 0.7,
          false);
  verdict("bus signed (nats-only) / min(raw core, Ed25519 verify)",
          r_bus_signed, 0.7, false);
  verdict("bridge jetstream signed / min(raw js, Ed25519 verify)", r_js_signed,
          0.7, false);
  if (failover) {
    auto once = [](const std::vector<bench::failover_run>& runs,
                   const std::string& error) {
      bool ok = error.empty() && !runs.empty();
      for (auto& r : runs)
        ok = ok && r.exactly_once();
      return ok;
    };
    auto ratio = [&](double median) {
      return median >= 0 && fo.anchor_ms > 0 ? median / fo.anchor_ms : -1;
    };
    verdict("mode 3 failover (median) / nats connect+subscribe+flush",
            ratio(fo_median), 2.0, true);
    std::printf("%-58s %8s %8s %7s\n",
                "mode 3: every envelope delivered exactly once", "", "",
                once(fo.runs, fo.error) ? "PASS" : "MISS");
    if (mode2) {
      verdict("mode 2 failover (median) / nats connect+subscribe+flush",
              ratio(fo2_median), 2.0, true);
      std::printf("%-58s %8s %8s %7s\n",
                  "mode 2: every envelope delivered exactly once", "", "",
                  once(fo.p2p_runs, fo.p2p_error) ? "PASS" : "MISS");
    }
    std::printf("failover medians: mode 3 %.1f ms, mode 2 %.1f ms; anchor "
                "%.2f ms\n",
                fo_median, fo2_median, fo.anchor_ms);
  }
  return 0;
}
