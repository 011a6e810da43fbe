// Rendering of the inspector's actor tree (inspect.hpp).

#include "canswarm/control/inspect.hpp"

#include <fmt/format.h>

#include "canswarm/identity/peer_id.hpp"
#include "canswarm/json.hpp"

namespace canswarm::control {

namespace {

void append_json(std::string& out, const inspect_node& n) {
  out += fmt::format("{{\"name\":{},\"role\":{},\"state\":{},\"restarts\":{},"
                     "\"actor_id\":{},\"summary\":{},\"mailbox\":{},"
                     "\"children\":[",
                     json_string(n.name), json_string(n.role),
                     json_string(n.state), n.restarts, n.actor_id,
                     json_string(n.summary),
                     n.mailbox < 0 ? std::string{"null"}
                                   : std::to_string(n.mailbox));
  for (std::size_t i = 0; i < n.children.size(); ++i) {
    if (i > 0)
      out += ',';
    append_json(out, n.children[i]);
  }
  out += "]}";
}

void append_text(std::string& out, const inspect_node& n,
                 const std::string& prefix, bool last, bool top) {
  std::string line = n.name;
  if (!n.role.empty())
    line += " (" + n.role + ")";
  line += " " + n.state;
  line += fmt::format(", {} restart{}", n.restarts, n.restarts == 1 ? "" : "s");
  if (n.actor_id != 0)
    line += fmt::format(", #{}", n.actor_id);
  if (n.mailbox >= 0)
    line += fmt::format(", mailbox {}", n.mailbox);
  if (!n.summary.empty())
    line += ": " + n.summary;
  out += top ? line : prefix + (last ? "`-- " : "|-- ") + line;
  out += '\n';
  auto inner = top ? std::string{} : prefix + (last ? "    " : "|   ");
  for (std::size_t i = 0; i < n.children.size(); ++i)
    append_text(out, n.children[i], inner, i + 1 == n.children.size(), false);
}

} // namespace

std::string inspect_json(const inspect_node& root) {
  std::string out;
  append_json(out, root);
  return out;
}

std::string inspect_text(const inspect_node& root) {
  std::string out;
  append_text(out, root, {}, true, true);
  return out;
}

bool parse_kill_target(const std::string& text, kill_target& out,
                       std::string& error) {
  constexpr std::string_view topic_prefix = "topic:";
  constexpr std::string_view peer_prefix = "peer:";
  if (text.rfind(peer_prefix, 0) == 0) {
    out.what = kill_target::kind::peer;
    out.name = text.substr(peer_prefix.size());
    if (out.name.empty()) {
      error = "kill target \"peer:\" names no peer";
      return false;
    }
    if (auto id = peer_id::parse(out.name); !id) {
      error = fmt::format("kill target {}: not a peer id ({})",
                          json_string(text), id.error().message);
      return false;
    }
    return true;
  }
  if (text.rfind(topic_prefix, 0) == 0) {
    out.what = kill_target::kind::topic;
    out.name = text.substr(topic_prefix.size());
    if (out.name.empty()) {
      error = "kill target \"topic:\" names no topic";
      return false;
    }
    return true;
  }
  if (text.empty() || text.size() > 64) {
    error = "kill target: expected a component name (1..64 characters), "
            "topic:<topic> or peer:<peer id>";
    return false;
  }
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
          || c == '-')) {
      error = fmt::format("kill target {}: expected a component name "
                          "(a-z, 0-9, '_', '-'), topic:<topic> or "
                          "peer:<peer id>",
                          json_string(text));
      return false;
    }
  out.what = kill_target::kind::root_child;
  out.name = text;
  return true;
}

} // namespace canswarm::control
