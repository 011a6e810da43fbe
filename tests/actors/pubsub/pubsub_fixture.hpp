#pragma once

// A doctest fixture for the pub/sub actor tests: n nodes (swarm + pub/sub
// actor + one collecting subscriber each) in one actor system, with blocking
// helpers for the pub/sub requests.

#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "canswarm/actors/errors.hpp"
#include "canswarm/pubsub/pubsub.hpp"
#include "swarm_fixture.hpp"

namespace canswarm::test::pubsub {

using namespace std::chrono_literals;

using count_atom = caf::atom_constant<caf::atom("count")>;
using topic_count_atom = caf::atom_constant<caf::atom("tcount")>;
using last_atom = caf::atom_constant<caf::atom("last")>;

struct collector_state {
  static inline const char* name = "test_collector";
  std::map<std::string, int> seen; ///< data text -> times received.
  std::map<std::string, std::set<std::string>> by_topic; ///< topic -> data.
  std::map<std::string, pubsub_message> last; ///< data text -> message.
};

/// Collects pubsub messages; (count_atom) -> (distinct, total, duplicates);
/// (topic_count_atom, topic) -> distinct data on the topic; (last_atom,
/// data) -> the last message with that data (or an error).
inline caf::behavior collector(caf::stateful_actor<collector_state>* self) {
  return {
    [self](pubsub_message& m) {
      auto text = std::string(m.data.begin(), m.data.end());
      self->state.seen[text]++;
      self->state.by_topic[m.topic].insert(text);
      self->state.last[text] = std::move(m);
    },
    [self](count_atom) {
      int total = 0;
      int dups = 0;
      for (auto& [k, n] : self->state.seen) {
        total += n;
        dups += n - 1;
      }
      return caf::make_message(static_cast<int>(self->state.seen.size()), total,
                               dups);
    },
    [self](topic_count_atom, const std::string& topic) {
      return static_cast<int>(self->state.by_topic[topic].size());
    },
    [self](last_atom, const std::string& text) -> caf::result<pubsub_message> {
      auto i = self->state.last.find(text);
      if (i == self->state.last.end())
        return caf::sec::invalid_argument;
      return i->second;
    },
  };
}

struct pubsub_fixture : swarm_fixture {
  std::vector<test_node> nodes;
  std::vector<pubsub_actor> ps;
  std::vector<caf::actor> collectors;

  /// `configure` adjusts node i's pub/sub configuration before spawning.
  explicit pubsub_fixture(
    std::size_t n,
    const std::function<void(std::size_t, pubsub_config&)>& configure = {}) {
    for (std::size_t i = 0; i < n; ++i) {
      nodes.push_back(start_node(sys, self));
      pubsub_config pc;
      pc.key = nodes.back().key;
      pc.swarm = nodes.back().swarm;
      pc.router.heartbeat_interval = 100ms;
      pc.router.heartbeat_initial_delay = 50ms;
      if (configure)
        configure(i, pc);
      auto a = spawn_pubsub(sys, pc);
      REQUIRE(a);
      ps.push_back(*a);
      collectors.push_back(sys.spawn(collector));
    }
  }

  ~pubsub_fixture() {
    for (auto& c : collectors)
      self->send_exit(c, caf::exit_reason::user_shutdown);
    for (auto& a : ps)
      self->send_exit(a, caf::exit_reason::user_shutdown);
    for (auto& n : nodes)
      stop_node(self, n);
  }

  std::uint64_t subscribe(std::size_t i, const std::string& topic) {
    std::uint64_t out = 0;
    self
      ->request(ps[i], 5s, pubsub_subscribe_atom::value, topic,
                caf::actor_cast<pubsub_subscriber_actor>(collectors[i]))
      .receive([&](std::uint64_t n) { out = n; },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  std::uint64_t unsubscribe(std::size_t i, const std::string& topic) {
    std::uint64_t out = 0;
    self
      ->request(ps[i], 5s, pubsub_unsubscribe_atom::value, topic,
                caf::actor_cast<pubsub_subscriber_actor>(collectors[i]))
      .receive([&](std::uint64_t n) { out = n; },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  result<std::uint64_t> publish(std::size_t i, const std::string& topic,
                                const std::string& text) {
    result<std::uint64_t> out = make_error(errc::io, "no answer");
    self
      ->request(ps[i], 5s, pubsub_publish_atom::value, topic,
                bytes(text.begin(), text.end()))
      .receive([&](std::uint64_t n) { out = n; },
               [&](caf::error& err) {
                 out = unwrap_error(sys, err, pubsub_error_category);
               });
    return out;
  }

  std::vector<peer_id> topic_peers(std::size_t i, const std::string& topic) {
    std::vector<peer_id> out;
    self->request(ps[i], 5s, pubsub_peers_atom::value, topic)
      .receive([&](std::vector<peer_id>& xs) { out = std::move(xs); },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  std::vector<std::string> topics(std::size_t i) {
    std::vector<std::string> out;
    self->request(ps[i], 5s, pubsub_topics_atom::value)
      .receive([&](std::vector<std::string>& xs) { out = std::move(xs); },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  /// Node i's topic actors.
  std::vector<pubsub_topic_info> topic_actors(std::size_t i) {
    std::vector<pubsub_topic_info> out;
    self->request(ps[i], 5s, pubsub_topic_actors_atom::value)
      .receive([&](std::vector<pubsub_topic_info>& xs) { out = std::move(xs); },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  /// Node i's topic actor of `topic` (a default info if there is none).
  pubsub_topic_info topic_actor(std::size_t i, const std::string& topic) {
    for (auto& x : topic_actors(i))
      if (x.topic == topic)
        return x;
    return {};
  }

  /// Node i's streams with `peer` (a default info if it has none).
  pubsub_stream_info streams(std::size_t i, const peer_id& peer) {
    pubsub_stream_info out;
    self->request(ps[i], 5s, pubsub_streams_atom::value)
      .receive(
        [&](std::vector<pubsub_stream_info>& xs) {
          for (auto& x : xs)
            if (x.peer == peer)
              out = std::move(x);
        },
        [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  pubsub_report report(std::size_t i) {
    pubsub_report out;
    self->request(ps[i], 5s, pubsub_report_atom::value)
      .receive([&](pubsub_report& x) { out = std::move(x); },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  /// (distinct, total, duplicates) received by node i's collector.
  std::tuple<int, int, int> counts(std::size_t i) {
    std::tuple<int, int, int> out;
    self->request(collectors[i], 5s, count_atom::value)
      .receive(
        [&](int d, int t, int dup) {
          out = {d, t, dup};
        },
        [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  /// Distinct messages of `topic` received by node i's collector.
  int topic_count(std::size_t i, const std::string& topic) {
    int out = -1;
    self->request(collectors[i], 5s, topic_count_atom::value, topic)
      .receive([&](int n) { out = n; },
               [&](caf::error& err) { FAIL(sys.render(err)); });
    return out;
  }

  /// The message with `text` received by node i's collector, if any.
  std::optional<pubsub_message> received(std::size_t i,
                                         const std::string& text) {
    std::optional<pubsub_message> out;
    self->request(collectors[i], 5s, last_atom::value, text)
      .receive([&](pubsub_message& m) { out = std::move(m); },
               [&](caf::error&) {});
    return out;
  }

  /// Waits up to 5 s for `pred`; returns its last value.
  template<class Pred>
  bool eventually(Pred pred) {
    for (int round = 0; round < 200; ++round) {
      if (pred())
        return true;
      std::this_thread::sleep_for(25ms);
    }
    return pred();
  }

  /// Waits until every node knows `want` peers on `topic`.
  void wait_topic_peers(const std::string& topic, std::size_t want) {
    for (int round = 0; round < 100; ++round) {
      bool all = true;
      for (std::size_t i = 0; i < ps.size(); ++i)
        all = all && topic_peers(i, topic).size() >= want;
      if (all)
        return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL("topic peers did not appear");
  }

  /// Waits until node i's collector saw `distinct` different messages.
  void wait_distinct(std::size_t i, int distinct) {
    for (int round = 0; round < 200; ++round) {
      if (std::get<0>(counts(i)) >= distinct)
        return;
      std::this_thread::sleep_for(25ms);
    }
  }
};

} // namespace canswarm::test::pubsub
