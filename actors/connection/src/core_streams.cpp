// Connection core, phase open: the yamux streams and the protocols on them
// (multistream-select per stream, identify, identify/push, ping, and the
// hand-over of application streams to the caller).

#include <algorithm>

#include <fmt/format.h>

#include "canswarm/connection/core.hpp"
#include "canswarm/identify/message.hpp"

namespace canswarm::connection {

core::slot* core::find(stream_id id) {
  auto i = slots_.find(id);
  return i == slots_.end() ? nullptr : &i->second;
}

void core::drain_muxer() {
  while (phase_ == phase::open) {
    auto ev = muxer_->poll_event();
    if (!ev)
      return;
    if (auto* x = std::get_if<yamux::stream_opened>(&*ev)) {
      on_stream_opened(x->id);
    } else if (auto* x = std::get_if<yamux::stream_data>(&*ev)) {
      on_stream_data(x->id, std::move(x->data));
    } else if (auto* x = std::get_if<yamux::stream_remote_closed>(&*ev)) {
      on_remote_closed(x->id);
    } else if (auto* x = std::get_if<yamux::stream_reset>(&*ev)) {
      on_stream_reset(x->id, "reset by the remote");
    } else if (auto* x = std::get_if<yamux::stream_writable>(&*ev)) {
      on_writable(x->id);
    } else if (auto* x = std::get_if<yamux::go_away_received>(&*ev)) {
      emit(note{fmt::format("remote sent GO_AWAY (code {})", x->code)});
    } else if (auto* x = std::get_if<yamux::session_error>(&*ev)) {
      fail(
        make_error(x->err.code, fmt::format("{}: {}", to_string(muxer_->kind()),
                                            x->err.message)));
    }
    // ping_rtt: yamux's own keep-alive RTT, used by its window tuning only.
  }
}

// -- yamux events -------------------------------------------------------------

void core::on_stream_opened(stream_id id) {
  slot s;
  s.kind = slot_kind::negotiating_in;
  s.neg = negotiator::listen(supported_protocols());
  s.deadline = now_ + internal_timeout;
  auto& ref = slots_.insert_or_assign(id, std::move(s)).first->second;
  if (ref.neg->state() == multistream::state::failed) {
    emit(
      note{"cannot offer our protocols: " + ref.neg->base().failure().message});
    reset_slot(id);
    return;
  }
  send_on(id, ref, ref.neg->base().take_output());
}

void core::on_stream_data(stream_id id, bytes data) {
  auto* s = find(id);
  if (s == nullptr) {
    muxer_->consume(id, data.size(), now_);
    return;
  }
  if (s->kind == slot_kind::app) {
    emit(stream_data{id, std::move(data)});
    return;
  }
  if (s->kind != slot_kind::negotiating_in
      && s->kind != slot_kind::negotiating_out) {
    muxer_->consume(id, data.size(), now_);
    on_internal_data(id, *s, data);
    return;
  }
  s->neg->handle_input(data);
  send_on(id, *s, s->neg->base().take_output());
  if (s->neg->state() == multistream::state::negotiating) {
    muxer_->consume(id, data.size(), now_);
    return;
  }
  if (s->neg->state() == multistream::state::failed) {
    muxer_->consume(id, data.size(), now_);
    fail_slot(id, *s,
              make_error(s->neg->base().failure().code,
                         "stream negotiation: "
                           + s->neg->base().failure().message));
    return;
  }
  auto rest = s->neg->base().take_remaining();
  // Bytes after the agreement belong to the protocol: an application
  // stream credits them when its consumer acknowledges them.
  muxer_->consume(id, data.size() - std::min(rest.size(), data.size()), now_);
  if (s->kind == slot_kind::negotiating_in)
    on_negotiated_in(id, *s, std::move(rest));
  else
    on_negotiated_out(id, *s, std::move(rest));
}

void core::on_negotiated_in(stream_id id, slot& s, bytes rest) {
  auto protocol = s.neg->base().protocol();
  s.neg.reset();
  s.deadline = no_deadline;
  s.fin_not_before = now_ + early_fin_delay;
  if (protocol == identify::protocol_id) {
    s.kind = slot_kind::identify_serve;
    s.deadline = now_ + internal_timeout;
    muxer_->consume(id, rest.size(), now_);
    auto answer = identify_answer();
    if (answer.empty()) {
      reset_slot(id);
      return;
    }
    send_on(id, s, answer);
    close_slot(id, s);
    return;
  }
  if (protocol == identify::push_protocol_id || protocol == ping::protocol_id) {
    if (protocol == ping::protocol_id) {
      s.kind = slot_kind::ping_serve;
      s.responder.emplace(now_);
    } else {
      s.kind = slot_kind::identify_push;
      s.id_reader.emplace();
      s.deadline = now_ + internal_timeout;
    }
    muxer_->consume(id, rest.size(), now_);
    on_internal_data(id, s, rest);
    return;
  }
  s.kind = slot_kind::app;
  emit(stream_accepted{id, protocol});
  if (!rest.empty())
    emit(stream_data{id, std::move(rest)});
}

void core::on_negotiated_out(stream_id id, slot& s, bytes rest) {
  auto protocol = s.neg->base().protocol();
  s.neg.reset();
  switch (s.why) {
    case purpose::identify:
      // The deadline stays: it covers the whole exchange.
      s.kind = slot_kind::identify_pull;
      s.id_reader.emplace();
      close_slot(id, s);
      break;
    case purpose::ping: {
      s.deadline = no_deadline;
      s.kind = slot_kind::ping_out;
      s.pinger.emplace();
      auto out = s.pinger->start(s.ping_payload, now_);
      if (!out) {
        fail_slot(id, s, out.error());
        return;
      }
      send_on(id, s, *out);
      break;
    }
    case purpose::app:
      s.deadline = no_deadline;
      s.kind = slot_kind::app;
      emit(stream_ready{s.request, id, protocol});
      if (!rest.empty())
        emit(stream_data{id, std::move(rest)});
      return;
  }
  muxer_->consume(id, rest.size(), now_);
  if (auto* p = find(id))
    on_internal_data(id, *p, rest);
}

void core::on_internal_data(stream_id id, slot& s, bytes_view data) {
  if (data.empty())
    return;
  switch (s.kind) {
    case slot_kind::identify_pull:
    case slot_kind::identify_push:
      if (auto ok = s.id_reader->handle_input(data); !ok)
        fail_slot(id, s, ok.error());
      return;
    case slot_kind::ping_serve:
      send_on(id, s, s.responder->handle_input(data, now_));
      return;
    case slot_kind::ping_out: {
      auto rtt = s.pinger->handle_input(data, now_);
      if (!rtt) {
        fail_slot(id, s, rtt.error());
      } else if (*rtt) {
        emit(ping_done{s.request, **rtt, {}});
        s.pinger.reset();
        s.kind = slot_kind::draining;
        s.deadline = now_ + internal_timeout;
        close_slot(id, s);
      }
      return;
    }
    default:
      // identify_serve, draining: the remote has nothing more to say; extra
      // bytes are dropped (already credited).
      return;
  }
}

void core::on_remote_closed(stream_id id) {
  auto* s = find(id);
  if (s == nullptr)
    return;
  s->remote_closed = true;
  switch (s->kind) {
    case slot_kind::app: emit(stream_remote_closed{id}); break;
    case slot_kind::identify_pull:
    case slot_kind::identify_push:
      finish_identify(id, *s);
      if ((s = find(id)) != nullptr)
        close_slot(id, *s);
      break;
    case slot_kind::negotiating_in:
    case slot_kind::negotiating_out:
    case slot_kind::ping_out:
      fail_slot(id, *s,
                make_error(errc::protocol,
                           "the remote closed the stream before the "
                           "exchange finished"));
      return;
    default: close_slot(id, *s); break;
  }
  maybe_remove(id);
}

void core::on_stream_reset(stream_id id, std::string reason) {
  auto* s = find(id);
  if (s == nullptr)
    return;
  report_failure(id, *s, make_error(errc::protocol, std::move(reason)));
  slots_.erase(id);
}

void core::on_writable(stream_id id) {
  auto* s = find(id);
  if (s == nullptr)
    return;
  if (s->kind == slot_kind::app)
    emit(stream_writable{id});
  else
    send_on(id, *s, {});
}

// -- helpers ------------------------------------------------------------------

void core::finish_identify(stream_id id, slot& s) {
  bool push = s.kind == slot_kind::identify_push;
  auto m = s.id_reader->finish();
  s.id_reader.reset();
  s.kind = slot_kind::draining;
  s.deadline = now_ + internal_timeout;
  if (!m) {
    emit(identify_failed{m.error()});
    return;
  }
  if (m->public_key) {
    auto key = identity::public_key::from_protobuf(*m->public_key);
    if (!key) {
      emit(
        identify_failed{make_error(key.error().code, "identify publicKey: "
                                                       + key.error().message)});
      return;
    }
    if (!remote_->matches(*key)) {
      emit(identify_failed{
        make_error(errc::crypto,
                   fmt::format("identify publicKey belongs to {}, not to the "
                               "connection's peer {}",
                               peer_id::from_public_key(*key).to_string(),
                               remote_->to_string()))});
      return;
    }
  }
  emit(identified{std::move(*m), push});
}

void core::report_failure(stream_id id, slot& s, const error& reason) {
  switch (s.kind) {
    case slot_kind::negotiating_out:
      if (s.why == purpose::app)
        emit(stream_failed{s.request, reason});
      else if (s.why == purpose::ping)
        emit(ping_done{s.request, std::nullopt, reason});
      else
        emit(identify_failed{reason});
      return;
    case slot_kind::ping_out:
      emit(ping_done{s.request, std::nullopt, reason});
      return;
    case slot_kind::identify_pull:
    case slot_kind::identify_push: emit(identify_failed{reason}); return;
    case slot_kind::app: emit(stream_reset{id, reason.message}); return;
    case slot_kind::negotiating_in:
      emit(
        note{fmt::format("inbound stream {}: {}", id.value, reason.message)});
      return;
    default: return;
  }
}

void core::fail_slot(stream_id id, slot& s, error reason) {
  report_failure(id, s, reason);
  reset_slot(id);
}

void core::slot_timeout(stream_id id, slot& s) {
  if (s.local_closed && !s.fin_sent && now_ >= s.fin_not_before) {
    try_fin(id, s);
    maybe_remove(id);
    if (find(id) == nullptr || now_ < s.deadline)
      return;
  }
  if (s.pinger) {
    if (auto ok = s.pinger->handle_timeout(now_); !ok)
      fail_slot(id, s, ok.error());
    return;
  }
  if (s.responder && s.responder->idle(now_)) {
    emit(note{fmt::format("ping stream {} idle, resetting it", id.value)});
    reset_slot(id);
    return;
  }
  if (now_ >= s.deadline)
    fail_slot(id, s,
              make_error(errc::timeout, s.kind == slot_kind::negotiating_out
                                          ? "protocol negotiation timed out"
                                          : "stream exchange timed out"));
}

result<stream_id> core::open_internal(purpose why,
                                      std::vector<std::string> protocols,
                                      request_id req, time_point deadline) {
  auto id = muxer_->open_stream();
  if (!id)
    return id.error();
  slot s;
  s.kind = slot_kind::negotiating_out;
  s.why = why;
  s.request = req;
  s.deadline = why == purpose::app ? deadline : now_ + internal_timeout;
  s.neg = negotiator::dial(std::move(protocols));
  if (s.neg->state() == multistream::state::failed) {
    auto err = s.neg->base().failure();
    muxer_->reset(*id);
    return err;
  }
  auto& ref = slots_.insert_or_assign(*id, std::move(s)).first->second;
  send_on(*id, ref, ref.neg->base().take_output());
  return *id;
}

void core::send_on(stream_id id, slot& s, bytes_view data) {
  if (s.pending_out.empty() && !data.empty()) {
    auto n = muxer_->write(id, data, now_);
    if (!n)
      return; // The stream is gone; its reset event follows.
    data = data.subspan(*n);
  }
  append(s.pending_out, data);
  if (!s.pending_out.empty() && data.empty()) {
    auto n = muxer_->write(id, s.pending_out, now_);
    if (!n)
      return;
    s.pending_out.erase(s.pending_out.begin(),
                        s.pending_out.begin()
                          + static_cast<std::ptrdiff_t>(*n));
  }
  if (s.pending_out.size() > max_internal_pending) {
    fail_slot(id, s,
              make_error(errc::too_large,
                         fmt::format("{} bytes queued on an internal stream, "
                                     "limit {} (max_internal_pending)",
                                     s.pending_out.size(),
                                     max_internal_pending)));
    return;
  }
  try_fin(id, s);
}

void core::close_slot(stream_id id, slot& s) {
  if (s.local_closed)
    return;
  s.local_closed = true;
  try_fin(id, s);
}

void core::try_fin(stream_id id, slot& s) {
  if (!s.local_closed || s.fin_sent || !s.pending_out.empty()
      || now_ < s.fin_not_before)
    return;
  if (auto info = muxer_->stream_info(id); info && info->send_buffered > 0) {
    // Not with the last DATA frame (see "FIN placement" in core.hpp).
    if (std::find(fin_waiting_.begin(), fin_waiting_.end(), id)
        == fin_waiting_.end())
      fin_waiting_.push_back(id);
    return;
  }
  s.fin_sent = true;
  muxer_->close(id);
}

void core::retry_fins() {
  auto ids = std::move(fin_waiting_);
  fin_waiting_.clear();
  for (auto id : ids)
    if (auto* s = find(id)) {
      try_fin(id, *s);
      maybe_remove(id);
    }
}

void core::reset_slot(stream_id id) {
  muxer_->reset(id);
  slots_.erase(id);
}

void core::maybe_remove(stream_id id) {
  auto* s = find(id);
  if (s && s->fin_sent && s->remote_closed)
    slots_.erase(id);
}

} // namespace canswarm::connection
