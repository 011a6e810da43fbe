// Connection core, phases security -> handshake -> muxer -> open, and the
// transport side (input, output, timers). Stream handling is in
// core_streams.cpp.

#include "canswarm/connection/core.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

#include "canswarm/identify/message.hpp"
#include "canswarm/multistream/codec.hpp"

namespace canswarm::connection {

const char* to_string(direction d) {
  return d == direction::inbound ? "inbound" : "outbound";
}

const char* to_string(phase p) {
  switch (p) {
    case phase::security: return "security";
    case phase::handshake: return "handshake";
    case phase::muxer: return "muxer";
    case phase::open: return "open";
    case phase::closed: return "closed";
  }
  return "?";
}

namespace {

/// Empty or repeated entries in a preference list are configuration errors.
template<class Kind>
result<void>
check_preferences(const std::vector<Kind>& list, std::string_view what) {
  if (list.empty())
    return make_error(errc::invalid_argument,
                      fmt::format("connection core without a {}", what));
  for (auto i = list.begin(); i != list.end(); ++i)
    if (std::find(std::next(i), list.end(), *i) != list.end())
      return make_error(errc::invalid_argument,
                        fmt::format("{} {} listed twice", what, to_string(*i)));
  return {};
}

/// The multistream ids of a preference list, in order.
template<class Kind>
std::vector<std::string> protocol_ids(const std::vector<Kind>& list) {
  std::vector<std::string> ids;
  for (auto k : list)
    ids.emplace_back(protocol_id(k));
  return ids;
}

/// The entry of `list` whose protocol id is `id`.
template<class Kind>
std::optional<Kind>
find_kind(const std::vector<Kind>& list, std::string_view id) {
  for (auto k : list)
    if (protocol_id(k) == id)
      return k;
  return std::nullopt;
}

} // namespace

result<void> core_config::validate() const {
  if (!key)
    return make_error(errc::invalid_argument, "connection core without a key");
  if (auto ok = check_preferences(security, "security protocol"); !ok)
    return ok;
  if (auto ok = check_preferences(muxers, "stream muxer"); !ok)
    return ok;
  for (const auto& p : app_protocols)
    if (auto ok = multistream::check_protocol(p); !ok)
      return ok.error();
  if (auto ok = yamux.validate(); !ok)
    return ok;
  return mplex.validate();
}

core::core(core_config cfg) : cfg_(std::move(cfg)) {
  if (auto ok = cfg_.validate(); !ok)
    throw std::invalid_argument(ok.error().describe());
  // Application streams are credited only when their consumer says so.
  cfg_.yamux.auto_consume = false;
  cfg_.mplex.auto_consume = false;
}

void core::start(time_point now) {
  now_ = now;
  auto security = protocol_ids(cfg_.security);
  neg_ = cfg_.dir == direction::outbound
           ? negotiator::dial(std::move(security))
           : negotiator::listen(std::move(security));
  append(wire_out_, neg_->base().take_output());
  if (neg_->state() == multistream::state::failed)
    fail(neg_->base().failure());
}

// -- phases -------------------------------------------------------------------

void core::handle_input(bytes_view data, time_point now) {
  now_ = now;
  switch (phase_) {
    case phase::security: on_security_input(data); break;
    case phase::handshake: on_handshake_input(data); break;
    case phase::muxer:
    case phase::open: decrypt_input(data); break;
    case phase::closed: break;
  }
}

void core::decrypt_input(bytes_view data) {
  plain_in_.clear();
  auto ok = channel_->decrypt(data, plain_in_);
  channel_->take_control_output(wire_out_);
  // Plaintext of frames before a bad one is still valid input.
  if (!plain_in_.empty())
    on_plaintext(plain_in_);
  if (!ok && phase_ != phase::closed)
    fail(ok.error());
}

void core::on_security_input(bytes_view data) {
  neg_->handle_input(data);
  append(wire_out_, neg_->base().take_output());
  switch (neg_->state()) {
    case multistream::state::negotiating: return;
    case multistream::state::failed:
      fail(
        make_error(neg_->base().failure().code,
                   "security negotiation: " + neg_->base().failure().message));
      return;
    case multistream::state::done: break;
  }
  security_ = find_kind(cfg_.security, neg_->base().protocol());
  auto rest = neg_->base().take_remaining();
  neg_.reset();
  if (!security_) {
    fail(make_error(errc::protocol, "security negotiation agreed on a "
                                    "protocol we did not offer"));
    return;
  }
  security_params params;
  params.initiator = cfg_.dir == direction::outbound;
  params.key = cfg_.key;
  params.static_secret = cfg_.static_secret;
  params.ephemeral_secret = cfg_.ephemeral_secret;
  params.expected_peer = cfg_.expected_peer;
  params.wall_clock = cfg_.wall_clock;
  try {
    handshake_.emplace(*security_, params);
  } catch (const std::exception& e) {
    fail(
      make_error(errc::crypto, fmt::format("{} handshake: {}",
                                           to_string(*security_), e.what())));
    return;
  }
  handshake_->start();
  phase_ = phase::handshake;
  append(wire_out_, handshake_->take_output());
  if (!rest.empty())
    on_handshake_input(rest);
}

void core::on_handshake_input(bytes_view data) {
  handshake_->handle_input(data);
  append(wire_out_, handshake_->take_output());
  switch (handshake_->state()) {
    case security_handshake::status::in_progress: return;
    case security_handshake::status::failed:
      fail(*handshake_->failure());
      return;
    case security_handshake::status::done: break;
  }
  auto channel = handshake_->finish();
  if (!channel) {
    fail(channel.error());
    return;
  }
  remote_ = handshake_->remote_peer();
  remote_key_ = handshake_->remote_public_key();
  auto rest = handshake_->take_remaining();
  channel_.emplace(std::move(*channel));
  handshake_.reset();
  enter_muxer_phase();
  if (!rest.empty() && phase_ == phase::muxer)
    handle_input(rest, now_);
}

void core::enter_muxer_phase() {
  phase_ = phase::muxer;
  auto muxers = protocol_ids(cfg_.muxers);
  neg_ = cfg_.dir == direction::outbound
           ? negotiator::dial(std::move(muxers))
           : negotiator::listen(std::move(muxers));
  send_plain(neg_->base().take_output());
}

void core::on_plaintext(bytes_view data) {
  if (phase_ == phase::open) {
    muxer_->handle_input(data, now_);
    drain_muxer();
    return;
  }
  neg_->handle_input(data);
  send_plain(neg_->base().take_output());
  switch (neg_->state()) {
    case multistream::state::negotiating: return;
    case multistream::state::failed:
      fail(make_error(neg_->base().failure().code,
                      "muxer negotiation: " + neg_->base().failure().message));
      return;
    case multistream::state::done: break;
  }
  auto chosen = find_kind(cfg_.muxers, neg_->base().protocol());
  auto rest = neg_->base().take_remaining();
  neg_.reset();
  if (!chosen) {
    fail(make_error(errc::protocol, "muxer negotiation agreed on a protocol "
                                    "we did not offer"));
    return;
  }
  enter_open_phase(*chosen, std::move(rest));
}

void core::enter_open_phase(muxer_kind kind, bytes remaining) {
  phase_ = phase::open;
  muxer_.emplace(kind, cfg_.dir == direction::outbound, cfg_.yamux, cfg_.mplex);
  emit(established{*remote_, *remote_key_, *security_, kind});
  auto id = open_internal(purpose::identify,
                          {std::string{identify::protocol_id}}, request_id{},
                          no_deadline);
  if (!id)
    emit(identify_failed{id.error()});
  if (!remaining.empty()) {
    muxer_->handle_input(remaining, now_);
  }
  drain_muxer();
}

void core::send_plain(bytes_view data) {
  if (!data.empty())
    channel_->encrypt(data, wire_out_);
}

void core::fail(error err) {
  if (phase_ == phase::closed)
    return;
  phase_ = phase::closed;
  slots_.clear();
  fin_waiting_.clear();
  emit(closed{std::move(err)});
}

void core::emit(core_event ev) {
  if (closed_emitted_)
    return;
  if (std::holds_alternative<closed>(ev))
    closed_emitted_ = true;
  events_.push_back(std::move(ev));
}

void core::handle_eof(std::string reason) {
  if (phase_ == phase::closed)
    return;
  if (phase_ != phase::open)
    reason = fmt::format("{} during {} phase", reason, to_string(phase_));
  fail(make_error(errc::io, std::move(reason)));
}

void core::close(error reason) {
  if (phase_ == phase::closed)
    return;
  if (phase_ == phase::open) {
    muxer_->go_away();
    // Keep the GO_AWAY frame: poll_transmit drains wire_out_ after closing.
    plain_out_.clear();
    muxer_->poll_transmit(plain_out_);
    send_plain(plain_out_);
  }
  fail(std::move(reason));
}

// -- output and timers --------------------------------------------------------

void core::poll_transmit(bytes& out, std::size_t max_bytes) {
  auto start = out.size();
  if (!wire_out_.empty()) {
    if (out.empty())
      out.swap(wire_out_);
    else
      append(out, wire_out_);
    wire_out_.clear();
  }
  if (phase_ != phase::open)
    return;
  auto used = out.size() - start;
  if (used >= max_bytes)
    return;
  if (!muxer_->wants_transmit()) {
    if (!fin_waiting_.empty())
      retry_fins();
    return;
  }
  plain_out_.clear();
  muxer_->poll_transmit(plain_out_, max_bytes - used);
  if (!plain_out_.empty())
    channel_->encrypt(plain_out_, out);
  if (!fin_waiting_.empty())
    retry_fins();
  // Writing may have failed the session (e.g. write timeout).
  drain_muxer();
}

bool core::wants_transmit() const {
  return !wire_out_.empty()
         || (phase_ == phase::open && muxer_->wants_transmit());
}

std::optional<core_event> core::poll_event() {
  if (events_.empty())
    return std::nullopt;
  auto ev = std::move(events_.front());
  events_.pop_front();
  return ev;
}

time_point core::poll_timeout() const {
  switch (phase_) {
    case phase::closed: return no_deadline;
    case phase::security:
    case phase::handshake:
    case phase::muxer: return cfg_.handshake_deadline;
    case phase::open: break;
  }
  auto t = muxer_->poll_timeout();
  for (const auto& [id, s] : slots_) {
    t = std::min(t, s.deadline);
    if (s.pinger)
      t = std::min(t, s.pinger->poll_timeout());
    if (s.responder)
      t = std::min(t, s.responder->poll_timeout());
    if (s.local_closed && !s.fin_sent)
      t = std::min(t, s.fin_not_before);
  }
  return t;
}

void core::handle_timeout(time_point now) {
  now_ = now;
  if (phase_ == phase::closed)
    return;
  if (phase_ != phase::open) {
    if (now >= cfg_.handshake_deadline)
      fail(make_error(errc::timeout,
                      fmt::format("connection upgrade did not finish in time "
                                  "(stuck in {} phase)",
                                  to_string(phase_))));
    return;
  }
  std::vector<stream_id> due;
  for (auto& [id, s] : slots_) {
    bool ping_due = s.pinger && now >= s.pinger->poll_timeout();
    bool idle = s.responder && s.responder->idle(now);
    bool fin_due = s.local_closed && !s.fin_sent && now >= s.fin_not_before;
    if (now >= s.deadline || ping_due || idle || fin_due)
      due.push_back(id);
  }
  for (auto id : due)
    if (auto* s = find(id))
      slot_timeout(id, *s);
  muxer_->handle_timeout(now);
  drain_muxer();
}

// -- inspection ---------------------------------------------------------------

std::vector<std::string> core::supported_protocols() const {
  std::vector<std::string> result{std::string{identify::protocol_id},
                                  std::string{identify::push_protocol_id},
                                  std::string{ping::protocol_id}};
  for (const auto& p : cfg_.app_protocols)
    if (std::find(result.begin(), result.end(), p) == result.end())
      result.push_back(p);
  return result;
}

std::optional<muxer_stats> core::muxer_stats() const {
  if (!muxer_)
    return std::nullopt;
  return muxer_->stats();
}

std::optional<muxer_stream_stats> core::stream_stats(stream_id id) const {
  if (!muxer_)
    return std::nullopt;
  return muxer_->stream_info(id);
}

void core::set_app_protocols(std::vector<std::string> protocols) {
  cfg_.app_protocols = std::move(protocols);
}

void core::set_listen_addrs(std::vector<bytes> addrs) {
  cfg_.identify.listen_addrs = std::move(addrs);
}

} // namespace canswarm::connection
