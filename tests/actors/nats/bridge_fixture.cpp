#include "bridge_fixture.hpp"

#include <stdexcept>

#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>

namespace canswarm::test {

// -- envelopes ----------------------------------------------------------------

envelope_factory::envelope_factory()
    : key_(identity::private_key::generate_ed25519()),
      rng_(std::random_device{}()) {}

bytes envelope_factory::random_bytes(std::size_t n) {
  bytes out(n);
  for (auto& b : out)
    b = static_cast<std::uint8_t>(rng_());
  return out;
}

envelope::envelope envelope_factory::make(const std::string& thread,
                                          envelope::kind k, std::string payload,
                                          bool sign) {
  auto e = envelope::make(k, thread, to_bytes(payload), lamport_++,
                          unix_now_ns(), {}, random_bytes(16),
                          random_bytes(envelope::id_size));
  if (auto ok = envelope::sign(e, key_); !ok)
    throw std::runtime_error(ok.error().describe());
  if (!sign)
    e.signature.clear();
  return e;
}

bytes envelope_factory::wire(const envelope::envelope& e) {
  auto w = envelope::encode(e);
  if (!w)
    throw std::runtime_error(w.error().describe());
  return std::move(*w);
}

std::string envelope_factory::subject(const envelope::envelope& e) {
  auto s = envelope::nats_subject(e.thread_id, e.kind);
  if (!s)
    throw std::runtime_error(s.error().describe());
  return std::move(*s);
}

std::uint64_t unix_now_ns() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
    duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count());
}

// -- log capture --------------------------------------------------------------

log_capture::log_capture() {
  log::global().set_sink([this](std::string_view line) {
    std::lock_guard<std::mutex> guard{mtx_};
    lines_.emplace_back(line);
  });
}

log_capture::~log_capture() {
  log::global().set_sink({});
}

bool log_capture::contains(const std::vector<std::string>& needles) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& line : lines_) {
    bool all = true;
    for (auto& n : needles)
      all = all && line.find(n) != std::string::npos;
    if (all)
      return true;
  }
  return false;
}

// -- fixture ------------------------------------------------------------------

bridge_fixture::~bridge_fixture() {
  for (auto& b : bridges) {
    self->send_exit(b, caf::exit_reason::user_shutdown);
    self->wait_for(b);
  }
}

nats_bridge_config bridge_fixture::config_for(const nats_server& srv,
                                              bool jetstream) {
  nats_bridge_config c;
  c.client.urls = {srv.url()};
  c.client.name = "canswarm-bridge-test";
  c.client.reconnect_wait = std::chrono::milliseconds{100};
  c.client.connect_timeout = std::chrono::milliseconds{1000};
  c.jetstream = jetstream;
  c.durable_prefix = "bridge-test";
  return c;
}

nats_bridge_actor bridge_fixture::start(nats_bridge_config c) {
  auto b = spawn_nats_bridge(sys, std::move(c));
  if (!b)
    throw std::runtime_error(b.error().describe());
  bridges.push_back(*b);
  self->send(*b, nats_events_atom::value,
             caf::actor_cast<nats_event_sink_actor>(events));
  auto first = next_event();
  if (!first || first->state != nats::link_state::connected)
    throw std::runtime_error("bridge did not report connected");
  return *b;
}

result<nats_publish_receipt>
bridge_fixture::publish(const nats_bridge_actor& b,
                        const envelope::envelope& e) {
  return publish(b, envelope_factory::wire(e), envelope_factory::subject(e),
                 e.id);
}

result<nats_publish_receipt>
bridge_fixture::publish(const nats_bridge_actor& b, bytes wire,
                        std::string subject, bytes id) {
  std::optional<result<nats_publish_receipt>> out;
  self
    ->request(b, caf::infinite, nats_publish_atom::value, std::move(wire),
              std::move(subject), std::move(id))
    .receive([&](nats_publish_receipt& r) { out.emplace(r); },
             [&](caf::error& err) { out.emplace(unwrap(err)); });
  return std::move(*out);
}

result<std::uint64_t> bridge_fixture::subscribe(const nats_bridge_actor& b,
                                                std::string pattern) {
  std::optional<result<std::uint64_t>> out;
  self
    ->request(b, caf::infinite, nats_subscribe_atom::value, std::move(pattern),
              caf::actor_cast<nats_envelope_sink_actor>(sink))
    .receive([&](std::uint64_t id) { out.emplace(id); },
             [&](caf::error& err) { out.emplace(unwrap(err)); });
  return std::move(*out);
}

nats_health bridge_fixture::health(const nats_bridge_actor& b) {
  nats_health out;
  self->request(b, caf::infinite, nats_health_atom::value)
    .receive([&](nats_health& h) { out = std::move(h); },
             [&](caf::error& err) {
               throw std::runtime_error(unwrap(err).describe());
             });
  return out;
}

std::optional<nats_envelope>
bridge_fixture::next_envelope(std::chrono::milliseconds timeout) {
  std::optional<nats_envelope> out;
  sink->receive([&](nats_envelope& e) { out = std::move(e); },
                caf::after(timeout) >> [] {});
  return out;
}

std::optional<nats_connection_event>
bridge_fixture::next_event(std::chrono::milliseconds timeout) {
  std::optional<nats_connection_event> out;
  events->receive([&](nats_connection_event& e) { out = std::move(e); },
                  caf::after(timeout) >> [] {});
  return out;
}

error bridge_fixture::unwrap(const caf::error& err) {
  return nats::from_caf_error(sys, err);
}

} // namespace canswarm::test
