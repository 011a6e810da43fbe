// NATS bridge: publishing (core and JetStream), acks, deadlines, the
// in-flight bound.

#include <fmt/format.h>

#include "bridge_impl.hpp"
#include "canswarm/envelope/codec.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/nats/subject.hpp"

namespace canswarm::detail {

namespace {

caf::error fail(nb_self self, error err) {
  auto& st = self->state;
  ++st.health.publish_errors;
  st.health.last_error = err.message;
  log::debug(nats_log, "{}", err.message);
  return nats::to_caf_error(err);
}

/// Checks the request before anything is sent.
result<void> check_publish(nb_self self, const bytes& wire,
                           const std::string& subject, const bytes& id) {
  auto& st = self->state;
  if (wire.empty() || wire.size() > envelope::max_wire_size)
    return make_error(errc::too_large,
                      fmt::format("nats publish: envelope of {} bytes, "
                                  "expected 1..{}",
                                  wire.size(), envelope::max_wire_size));
  if (id.empty() || id.size() > max_nats_msg_id_size)
    return make_error(errc::invalid_argument,
                      fmt::format("nats publish: envelope id of {} bytes, "
                                  "expected 1..{}",
                                  id.size(), max_nats_msg_id_size));
  if (auto ok = nats::check_subject(subject); !ok)
    return make_error(errc::invalid_argument,
                      "nats publish: " + ok.error().message);
  if (st.cfg.jetstream) {
    bool covered = false;
    for (auto& s : st.cfg.stream.subjects)
      covered = covered || nats::covers(s, subject);
    if (!covered)
      return make_error(errc::invalid_argument,
                        fmt::format("nats publish: subject {} is outside "
                                    "stream {}",
                                    subject, st.cfg.stream.name));
  }
  if (st.health.state == nats::link_state::closed || !st.conn
      || st.conn->state() == nats::link_state::closed)
    return make_error(errc::io, "nats publish: not connected (connection "
                                "closed)");
  if (st.cfg.jetstream && !st.stream_ready)
    return make_error(errc::io,
                      fmt::format("nats publish: not connected (jetstream "
                                  "stream {} not ready)",
                                  st.cfg.stream.name));
  auto in_flight = st.in_flight.size() + st.buffered;
  if (in_flight >= st.cfg.max_in_flight) {
    ++st.health.refused;
    return make_error(errc::refused,
                      fmt::format("nats publish refused: {} envelopes in "
                                  "flight (max_in_flight {})",
                                  in_flight, st.cfg.max_in_flight));
  }
  return {};
}

} // namespace

caf::result<nats_publish_receipt>
nb_publish(nb_self self, bytes& wire, std::string& subject, const bytes& id) {
  auto& st = self->state;
  if (auto ok = check_publish(self, wire, subject, id); !ok) {
    if (ok.error().code == errc::refused) {
      st.health.last_error = ok.error().message;
      log::warning(nats_log, "{}", ok.error().message);
      return nats::to_caf_error(ok.error());
    }
    return fail(self, ok.error());
  }
  auto msg_id = to_hex(id);
  if (!st.cfg.jetstream) {
    // Read before publishing: a publish that lands in the reconnect buffer
    // counts as in flight until the reconnect.
    bool offline = st.conn->state() != nats::link_state::connected;
    auto ok = st.conn->publish(subject, wire,
                               {{std::string{nats::msg_id_header}, msg_id}});
    if (!ok)
      return fail(self, ok.error());
    ++st.health.published;
    if (offline)
      ++st.buffered;
    return nats_publish_receipt{0, false, offline};
  }
  auto seq = st.next_seq++;
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
    st.cfg.publish_timeout);
  auto ok = st.conn->js_publish_async(subject, wire, msg_id, seq, timeout);
  if (!ok)
    return fail(self, ok.error());
  auto rp = self->make_response_promise<nats_publish_receipt>();
  st.in_flight.emplace(seq, nats_pending_publish{rp, subject});
  self->delayed_send(self, st.cfg.publish_timeout + nats_ack_grace,
                     nats_pub_timeout_atom::value, seq);
  return rp;
}

void nb_on_ack(nb_self self, nats_ack_result& x) {
  auto& st = self->state;
  auto it = st.in_flight.find(x.seq);
  if (it == st.in_flight.end())
    return; // already failed by its deadline
  auto rp = std::move(it->second.rp);
  auto subject = std::move(it->second.subject);
  st.in_flight.erase(it);
  if (!x.ok) {
    rp.deliver(
      fail(self, make_error(static_cast<errc>(x.code), std::move(x.text))));
    return;
  }
  ++st.health.published;
  if (x.duplicate)
    log::debug(nats_log, "jetstream kept the earlier copy of a publish on {}",
               subject);
  rp.deliver(nats_publish_receipt{x.stream_seq, x.duplicate, false});
}

void nb_on_publish_timeout(nb_self self, std::uint64_t seq) {
  auto& st = self->state;
  auto it = st.in_flight.find(seq);
  if (it == st.in_flight.end())
    return;
  auto rp = std::move(it->second.rp);
  auto subject = std::move(it->second.subject);
  st.in_flight.erase(it);
  rp.deliver(fail(self, make_error(errc::timeout,
                                   fmt::format("nats jetstream publish on {}: "
                                               "no ack within the publish "
                                               "timeout",
                                               subject))));
}

void nb_fail_in_flight(nb_self self, const std::string& why) {
  auto& st = self->state;
  auto doomed = std::move(st.in_flight);
  st.in_flight.clear();
  for (auto& [seq, p] : doomed)
    p.rp.deliver(
      fail(self, make_error(errc::io, fmt::format("{}: {}", why, p.subject))));
}

} // namespace canswarm::detail
