// bench_nats: NATS throughput and latency, raw nats.c against the same
// traffic through the NATS bridge actor. Not a test (not run by ctest);
// starts its own nats-server on a free loopback port.
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
// Throughput keeps at most `window` messages between publish and delivery
// (the bridge's bounds are not the bottleneck). Latency: core rows are a
// request/reply round trip through an echo responder (raw: nats.c request;
// bridge: publish on .need, a nats.c responder republishes on .propose, the
// bridge delivers it); JetStream rows are publish -> delivery at our own
// consumer. Ratios are against the raw row of the same mode.
//
// Usage: bench_nats [messages=20000] [round_trips=1000] [asap]
// With "asap" every connection writes each publish at once
// (client_options::send_asap) instead of nats.c's default of collecting
// publishes for up to 1 ms, which dominates the latency columns.

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

#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include "bridge_fixture.hpp"
#include "canswarm/envelope/gate.hpp"
#include "canswarm/nats/client.hpp"

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
  send_asap = argc > 3 && std::string{argv[3]} == "asap";
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
    auto requests = sign ? signed_wires(envs, n + m, "bench",
                                        envelope::kind::need, &ids)
                         : std::vector<bytes>{};
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

  std::printf("bench_nats: %llu messages of %zu bytes per throughput row, "
              "%llu round trips per latency column, window %llu, %u CPUs%s\n",
              static_cast<unsigned long long>(n), message_size,
              static_cast<unsigned long long>(m),
              static_cast<unsigned long long>(window),
              std::thread::hardware_concurrency(),
              send_asap ? ", send_asap" : "");
  print(rows, {0, 0, 0, 3, 3});
  std::printf("reference: envelope decode + gate ingress check alone, one "
              "thread, no NATS: %.0f envelopes/s\n",
              gate_rate);
  return 0;
}
