#include "sim.hpp"

#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "canswarm/gossipsub/signing.hpp"
#include "canswarm/varint/varint.hpp"

namespace gossipsub_sim {

namespace {

constexpr std::size_t timer_marker = std::numeric_limits<std::size_t>::max();

canswarm::identity::private_key key_for(std::size_t index) {
  bytes seed(32, 0x5a);
  for (std::size_t i = 0; i < 4; ++i)
    seed[i] = static_cast<std::uint8_t>(index >> (8 * i));
  return *canswarm::identity::private_key::ed25519_from_seed(seed);
}

std::string ip_for(std::size_t index) {
  return fmt::format("10.{}.{}.{}", (index >> 16) & 0xff, (index >> 8) & 0xff,
                     index & 0xff);
}

gs::message_id id_of(const gs::router& r, const gs::message& m) {
  return r.cfg().id_fn ? r.cfg().id_fn(m) : gs::default_message_id(m);
}

} // namespace

simulator::simulator(std::uint64_t seed) : rng_(seed) {}

canswarm::identity::private_key simulator::key_of(std::size_t i) {
  return key_for(i);
}

std::size_t simulator::add_node(const gs::config& cfg) {
  auto index = nodes_.size();
  auto key = key_for(index);
  auto id = peer_id::from_public_key(key.public_key());
  auto r = gs::router::make(cfg, std::move(key), rng_.next(), 0, now_);
  if (!r)
    throw std::invalid_argument(r.error().describe());
  nodes_.push_back(std::make_unique<node>(std::move(*r)));
  nodes_.back()->id = id;
  index_.emplace(id, index);
  timers_.push_back(time_point::max());
  settle(index);
  return index;
}

void simulator::connect(std::size_t dialer, std::size_t listener,
                        link_config lc, gs::protocol dialer_speaks,
                        gs::protocol listener_speaks) {
  auto& forward = links_[key(dialer, listener)];
  forward.cfg = lc;
  forward.reader = gs::frame_reader{router(listener).cfg().max_transmit_size};
  auto& backward = links_[key(listener, dialer)];
  backward.cfg = lc;
  backward.reader = gs::frame_reader{router(dialer).cfg().max_transmit_size};
  auto ok = router(dialer).add_peer(at(listener).id, dialer_speaks, true,
                                    ip_for(listener), now_);
  auto ok2 = router(listener).add_peer(at(dialer).id, listener_speaks, false,
                                       ip_for(dialer), now_);
  if (!ok || !ok2)
    throw std::invalid_argument("connect: peer already added");
  settle(dialer);
  settle(listener);
}

bool simulator::connected(std::size_t a, std::size_t b) const {
  return links_.contains(key(a, b));
}

link_config& simulator::link(std::size_t from, std::size_t to) {
  return links_.at(key(from, to)).cfg;
}

std::size_t simulator::index_of(const peer_id& id) const {
  return index_.at(id);
}

void simulator::subscribe(std::size_t i, const std::string& topic) {
  act(i, [&](gs::router& r) { (void)r.subscribe(topic, now_); });
}

canswarm::result<gs::publish_result>
simulator::publish(std::size_t i, const std::string& topic, bytes data) {
  auto res = router(i).publish(topic, std::move(data), now_);
  settle(i);
  return res;
}

void simulator::send_raw(std::size_t from, std::size_t to, bytes body) {
  bytes frame;
  gs::append_frame(body, frame);
  transmit(from, to, std::move(frame));
}

void simulator::act(std::size_t i, const std::function<void(gs::router&)>& f) {
  f(router(i));
  settle(i);
}

void simulator::settle(std::size_t i) {
  auto& n = at(i);
  while (auto e = n.router.poll_event()) {
    if (auto* m = std::get_if<gs::message_event>(&*e))
      ++n.delivered[m->id];
    if (on_event)
      on_event(i, *e);
  }
  while (auto t = n.router.poll_transmit())
    transmit(i, index_of(t->peer), std::move(t->frame));
  schedule_timer(i);
}

void simulator::schedule_timer(std::size_t i) {
  auto t = router(i).poll_timeout();
  if (t == timers_[i])
    return;
  timers_[i] = t;
  queue_.push(item{t, seq_++, timer_marker, i, {}});
}

void simulator::transmit(std::size_t from, std::size_t to, bytes frame) {
  auto l = links_.find(key(from, to));
  if (l == links_.end())
    return;
  auto& link = l->second;
  ++stats_.frames_sent;
  stats_.bytes_sent += frame.size();
  auto parsed = canswarm::varint::read_frame(frame, frame.size());
  // Remember what the receiver of the reverse direction asked for.
  if (auto back = links_.find(key(to, from));
      back != links_.end() && back->second.cfg.drop_unrequested_messages
      && parsed.st == canswarm::varint::status::ok) {
    auto r = gs::decode_rpc(parsed.body, frame.size());
    if (r && r->control)
      for (const auto& iw : r->control->iwant)
        back->second.requested.insert(iw.ids.begin(), iw.ids.end());
  }
  if (link.cfg.loss > 0 && rng_.uniform() < link.cfg.loss) {
    ++stats_.frames_lost;
    return;
  }
  if (link.cfg.drop_unrequested_messages
      && parsed.st == canswarm::varint::status::ok) {
    auto r = gs::decode_rpc(parsed.body, frame.size());
    if (r && !r->publish.empty()) {
      auto before = r->publish.size();
      std::erase_if(r->publish, [&](const gs::message& m) {
        return link.requested.erase(id_of(router(to), m)) == 0;
      });
      stats_.messages_stripped += before - r->publish.size();
      frame.clear();
      gs::append_frame(gs::encode_rpc(*r), frame);
      parsed = canswarm::varint::read_frame(frame, frame.size());
    }
  }
  if (on_frame && parsed.st == canswarm::varint::status::ok)
    on_frame(from, to, parsed.body);
  queue_.push(
    item{now_ + link.cfg.latency, seq_++, from, to, std::move(frame)});
}

void simulator::deliver(item& it) {
  auto l = links_.find(key(it.from, it.to));
  if (l == links_.end())
    return;
  auto& link = l->second;
  auto& r = router(it.to);
  const auto& from = at(it.from).id;
  if (auto ok = link.reader.push(it.frame); !ok) {
    r.report_invalid_frame(from, ok.error(), now_);
    link.reader = gs::frame_reader{r.cfg().max_transmit_size};
    settle(it.to);
    return;
  }
  while (true) {
    auto body = link.reader.next();
    if (!body) {
      r.report_invalid_frame(from, body.error(), now_);
      link.reader = gs::frame_reader{r.cfg().max_transmit_size};
      break;
    }
    if (!*body)
      break;
    (void)r.handle_rpc(from, **body, now_);
  }
  settle(it.to);
}

void simulator::run_until(time_point t) {
  while (!queue_.empty() && queue_.top().at <= t) {
    auto it = std::move(const_cast<item&>(queue_.top()));
    queue_.pop();
    now_ = it.at;
    if (it.from != timer_marker) {
      deliver(it);
      continue;
    }
    auto i = it.to;
    if (timers_[i] != it.at)
      continue; // superseded
    timers_[i] = time_point::max();
    auto beats = router(i).stats().heartbeats;
    router(i).handle_timeout(now_);
    if (after_heartbeat && router(i).stats().heartbeats != beats)
      after_heartbeat(i);
    settle(i);
  }
  now_ = t;
}

} // namespace gossipsub_sim
