// CANSWARM_INSPECT (canswarm extension, inspect.hpp): the control connection
// asks the root supervisor for its children, each running child for its
// status, the pub/sub service for its topic actors and the swarm for its
// connections (with the peers' restart counts), and answers the tree as
// JSON or text. With a kill target it first kills that actor (loopback /
// unix control API only).

#include <memory>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include "canswarm/control/inspect.hpp"
#include "canswarm/control/requests.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/p2pd/codec.hpp"
#include "control_impl.hpp"

namespace canswarm::control::detail {

namespace {

/// Timeout of each query of the inspector (all local).
constexpr auto inspect_timeout = std::chrono::seconds{5};

/// Shortens a peer id for summaries (the full id is the node's name).
std::string short_id(const peer_id& p) {
  auto s = p.to_string();
  return s.size() > 12 ? "..." + s.substr(s.size() - 8) : s;
}

std::string peer_list(const std::vector<peer_id>& peers) {
  std::string out;
  for (std::size_t i = 0; i < peers.size(); ++i)
    out += (i == 0 ? "" : " ") + short_id(peers[i]);
  return out;
}

/// The tree under construction; answered when the last query is back.
struct collection {
  connection_ptr self;
  bool text = false;
  inspect_node root;
  std::size_t pending = 0;
  std::string killed; ///< What was killed first (for the log line).

  void done() {
    if (--pending > 0)
      return;
    auto resp = p2pd::ok_response();
    resp.canswarm_inspect = text ? inspect_text(root) : inspect_json(root);
    finish_request(self, resp);
  }
};

using collection_ptr = std::shared_ptr<collection>;

/// Adds the topic actors under the pub/sub child.
void add_topics(const collection_ptr& c, std::size_t index) {
  auto ps = c->self->state.ctx.pubsub ? c->self->state.ctx.pubsub->get()
                                      : pubsub_actor{};
  if (!ps)
    return;
  ++c->pending;
  c->self->request(ps, inspect_timeout, pubsub_topic_actors_atom::value)
    .then(
      [c, index](std::vector<pubsub_topic_info>& topics) {
        auto& node = c->root.children[index];
        for (auto& t : topics)
          node.children.push_back(
            inspect_node{"topic:" + t.topic,
                         "topic-mesh",
                         t.actor ? "running" : "stopped",
                         t.restarts,
                         t.actor_id,
                         fmt::
                           format("{} subscribers, mesh {} [{}], fanout {}, {} "
                                  "validations pending{}",
                                  t.subscribers, t.mesh_peers.size(),
                                  peer_list(t.mesh_peers),
                                  t.fanout_peers.size(), t.pending_validations,
                                  t.validated ? ", validated" : ""),
                         {}});
        c->done();
      },
      [c](caf::error&) { c->done(); });
}

/// The one-line summary of a peer connection entry.
std::string peer_summary(const peer_connection_info& e) {
  auto text = e.conn.value != 0
                ? fmt::format("connection #{} {} {}", e.conn.value,
                              connection::to_string(e.dir),
                              e.remote_addr.to_string())
                : fmt::format("no connection, {} {}",
                              e.state == "restarting" ? "redialling"
                                                      : "gave up redialling",
                              e.remote_addr.to_string());
  if (e.deaths > 0)
    text += fmt::format(", {} connection death{} (last: {})", e.deaths,
                        e.deaths == 1 ? "" : "s", e.last_death);
  return text;
}

/// Adds the peer connections under the swarm child.
void add_peers(const collection_ptr& c, std::size_t index) {
  auto& swarm = c->self->state.ctx.swarm;
  if (!swarm)
    return;
  ++c->pending;
  c->self->request(swarm, inspect_timeout, peer_conns_atom::value)
    .then(
      [c, index](std::vector<peer_connection_info>& conns) {
        auto& node = c->root.children[index];
        for (auto& e : conns)
          node.children.push_back(inspect_node{"peer:" + e.peer.to_string(),
                                               "peer-connection",
                                               e.state,
                                               e.restarts,
                                               e.actor_id,
                                               peer_summary(e),
                                               {}});
        c->done();
      },
      [c](caf::error&) { c->done(); });
}

/// Reads every child's status (and the actors below pubsub and swarm).
void collect_children(const collection_ptr& c, const supervisor_actor& root,
                      std::vector<child_info>& children) {
  auto self = c->self;
  c->root.children.clear();
  for (auto& ch : children)
    c->root.children.push_back(inspect_node{ch.name,
                                            ch.role,
                                            to_string(ch.state),
                                            ch.restart_count,
                                            ch.actor_id,
                                            {},
                                            {}});
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (children[i].actor_id == 0)
      continue;
    ++c->pending;
    self->request(root, inspect_timeout, children_atom::value, children[i].name)
      .then(
        [c, i](component_actor& child) {
          c->self->request(child, inspect_timeout, status_atom::value)
            .then(
              [c, i](component_status& s) {
                c->root.children[i].summary = s.summary;
                c->root.children[i].mailbox = static_cast<std::int64_t>(
                  s.mailbox);
                c->done();
              },
              [c, i](caf::error& err) {
                c->root.children[i].summary = "no status: "
                                              + c->self->system().render(err);
                c->done();
              });
        },
        [c](caf::error&) { c->done(); });
    if (children[i].name == "pubsub")
      add_topics(c, i);
    else if (children[i].name == "swarm")
      add_peers(c, i);
  }
}

/// Reads the whole tree and answers.
void collect(const collection_ptr& c, const supervisor_actor& root) {
  auto self = c->self;
  c->pending = 2; // root status + children list
  self->request(root, inspect_timeout, status_atom::value)
    .then(
      [c](component_status& s) {
        c->root.summary = s.summary;
        c->root.mailbox = static_cast<std::int64_t>(s.mailbox);
        c->done();
      },
      [c](caf::error&) { c->done(); });
  self->request(root, inspect_timeout, children_atom::value)
    .then(
      [c, root](std::vector<child_info>& children) {
        ++c->pending;
        collect_children(c, root, children);
        c->done();
        c->done();
      },
      [c](caf::error& err) {
        c->root.summary = "no children: " + c->self->system().render(err);
        c->done();
      });
}

/// Kills the connection actor(s) of a peer (the swarm redials a peer it
/// dialled), then reads the tree.
void kill_peer_then_collect(const collection_ptr& c,
                            const supervisor_actor& root,
                            const kill_target& target) {
  auto self = c->self;
  auto& swarm = self->state.ctx.swarm;
  auto peer = peer_id::parse(target.name); // Checked by parse_kill_target.
  if (!swarm || !peer) {
    finish_request(self, p2pd::error_response(
                           !swarm ? "CANSWARM_INSPECT: the swarm is not running"
                                  : "CANSWARM_INSPECT: not a peer id"));
    return;
  }
  self->request(swarm, inspect_timeout, kill_peer_atom::value, *peer)
    .then(
      [c, root, name = target.name,
       number = self->state.ctx.number](std::vector<conn_id>& killed) {
        log::warning(component,
                     "control connection #{}: inspector killed {} connection "
                     "actor(s) of peer {} (fault injection)",
                     number, killed.size(), name);
        collect(c, root);
      },
      [c](caf::error& err) {
        auto why = from_caf_error(c->self->system(), err);
        finish_request(c->self, p2pd::error_response("CANSWARM_INSPECT: "
                                                     + why.message));
      });
}

/// Kills `target` (then reads the tree), or answers why it cannot.
void kill_then_collect(const collection_ptr& c, const supervisor_actor& root,
                       const kill_target& target) {
  auto self = c->self;
  auto number = self->state.ctx.number;
  if (target.what == kill_target::kind::peer) {
    kill_peer_then_collect(c, root, target);
    return;
  }
  if (target.what == kill_target::kind::root_child) {
    self->request(root, inspect_timeout, children_atom::value, target.name)
      .then(
        [c, root, name = target.name, number](component_actor& child) {
          log::warning(component,
                       "control connection #{}: inspector kills {} (fault "
                       "injection)",
                       number, name);
          caf::anon_send_exit(child, caf::exit_reason::kill);
          collect(c, root);
        },
        [c, name = target.name](caf::error&) {
          finish_request(c->self, p2pd::error_response(
                                    fmt::format("CANSWARM_INSPECT: no running "
                                                "component \"{}\"",
                                                name)));
        });
    return;
  }
  auto ps = self->state.ctx.pubsub ? self->state.ctx.pubsub->get()
                                   : pubsub_actor{};
  if (!ps) {
    finish_request(self, p2pd::error_response(
                           "CANSWARM_INSPECT: pub/sub is not running"));
    return;
  }
  self->request(ps, inspect_timeout, pubsub_topic_actors_atom::value)
    .then(
      [c, root, topic = target.name,
       number](std::vector<pubsub_topic_info>& topics) {
        for (auto& t : topics)
          if (t.topic == topic && t.actor) {
            log::warning(component,
                         "control connection #{}: inspector kills the topic "
                         "actor of {} (fault injection)",
                         number, topic);
            caf::anon_send_exit(t.actor, caf::exit_reason::kill);
            collect(c, root);
            return;
          }
        finish_request(c->self,
                       p2pd::error_response(
                         fmt::
                           format("CANSWARM_INSPECT: no topic actor for \"{}\"",
                                  topic)));
      },
      [c](caf::error& err) {
        finish_request(c->self,
                       p2pd::error_response("CANSWARM_INSPECT: "
                                            + c->self->system().render(err)));
      });
}

} // namespace

void on_canswarm_inspect(connection_ptr self,
                         const std::optional<p2pd::inspect_request>& req) {
  auto& ctx = self->state.ctx;
  auto root = ctx.root ? ctx.root->get() : supervisor_actor{};
  if (!root) {
    send_response(self, p2pd::error_response(
                          "CANSWARM_INSPECT: no supervisor tree to inspect"));
    return;
  }
  auto c = std::make_shared<collection>();
  c->self = self;
  c->text = req && req->text;
  c->root = inspect_node{"root", "supervisor", "running", 0, root.id(), {}, {}};
  if (req && !req->kill.empty()) {
    if (!ctx.local_only) {
      send_response(self, p2pd::error_response(
                            "CANSWARM_INSPECT: kill is only allowed on a "
                            "control API bound to loopback or a unix socket"));
      return;
    }
    kill_target target;
    std::string error;
    if (!parse_kill_target(req->kill, target, error)) {
      send_response(self, p2pd::error_response("CANSWARM_INSPECT: " + error));
      return;
    }
    go_busy(self);
    kill_then_collect(c, root, target);
    return;
  }
  go_busy(self);
  collect(c, root);
}

} // namespace canswarm::control::detail
