// Agent tools: `canswarm publish`, `canswarm subscribe` and `canswarm
// peers`, blocking clients of a node's control API
// (canswarm/runtime/control_client.hpp).
//
// publish:   envelope::make -> sign (agent key) -> gate preflight ->
//            encode -> PUBSUB PUBLISH on p2p_topic(thread, kind).
// subscribe: one SUBSCRIBE connection per topic -> decode_and_validate
//            (gate ingress, local replay memory) -> topic check -> one
//            JSON line per envelope on stdout, flushed.
//
// Exit codes as in cli.hpp: 2 for usage errors and gate refusals, 1 for
// runtime failures (key file, control API, subscribe timeout).

#include "agent_tools.hpp"

#include <sodium.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <thread>

#include "canswarm/envelope/codec.hpp"
#include "canswarm/envelope/envelope.hpp"
#include "canswarm/envelope/gate.hpp"
#include "canswarm/envelope/kind.hpp"
#include "canswarm/envelope/topic.hpp"
#include "canswarm/identity/key_file.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/json.hpp"
#include "canswarm/runtime/control_client.hpp"

namespace canswarm::cli {

namespace {

/// Random bytes of a published envelope's nonce (128 bits: unique).
constexpr std::size_t nonce_size = 16;

/// Longest wait of one subscribe poll when no --timeout is given.
constexpr std::chrono::milliseconds idle_wait{60'000};

/// Largest --timeout: one day.
constexpr std::uint64_t max_timeout_seconds = 86'400;

/// A failed tool run: exit code and the line for stderr.
struct failure {
  int code;
  std::string message;
};

/// The value of a required option.
result<std::string> required(const options& opts, const std::string& name) {
  auto i = opts.tool_args.find(name);
  if (i == opts.tool_args.end())
    return make_error(errc::invalid_argument,
                      "missing required option " + name);
  return i->second;
}

/// An optional option.
std::optional<std::string> optional_arg(const options& opts,
                                        const std::string& name) {
  auto i = opts.tool_args.find(name);
  if (i == opts.tool_args.end())
    return std::nullopt;
  return i->second;
}

/// Parses a decimal number for `name` (at least `min`, at most `max`).
result<std::uint64_t> parse_number(const std::string& name,
                                   const std::string& text, std::uint64_t min,
                                   std::uint64_t max) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n < min
      || n > max)
    return make_error(errc::invalid_argument, name + " expects a number from "
                                                + std::to_string(min) + " to "
                                                + std::to_string(max)
                                                + ", got '" + text + "'");
  return n;
}

std::uint64_t unix_now_ns() {
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
}

bytes random_bytes(std::size_t n) {
  if (sodium_init() < 0)
    throw std::runtime_error("libsodium initialisation failed");
  bytes out(n);
  randombytes_buf(out.data(), out.size());
  return out;
}

std::string as_string(const bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

result<multiaddr> control_addr(const options& opts) {
  auto text = required(opts, "--control");
  if (!text)
    return text.error();
  auto addr = multiaddr::parse(*text);
  if (!addr)
    return make_error(errc::invalid_argument,
                      "--control: " + addr.error().message);
  return addr;
}

/// Reads the payload: --payload, else stdin (at most the envelope payload
/// bound, one byte more is refused).
result<bytes> read_payload(const options& opts, context& ctx) {
  if (auto p = optional_arg(opts, "--payload"))
    return bytes(p->begin(), p->end());
  if (ctx.in == nullptr)
    return make_error(errc::invalid_argument,
                      "no --payload and no standard input");
  bytes out;
  char buf[4096];
  while (*ctx.in) {
    ctx.in->read(buf, sizeof(buf));
    auto n = static_cast<std::size_t>(ctx.in->gcount());
    out.insert(out.end(), buf, buf + n);
    if (out.size() > envelope::max_payload_size)
      return make_error(errc::too_large,
                        "payload on stdin is over "
                          + std::to_string(envelope::max_payload_size)
                          + " bytes");
  }
  // A trailing newline from `echo` is not part of the JSON document.
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  return out;
}

/// Builds and signs the envelope; gate refusals and bad arguments exit 2.
result<envelope::envelope> build_envelope(const options& opts, context& ctx,
                                          failure& fail) {
  auto usage_error = [&](const error& e) {
    fail = {exit_usage, e.message};
    return e;
  };
  auto thread = required(opts, "--thread");
  if (!thread)
    return usage_error(thread.error());
  auto kind_text = required(opts, "--kind");
  if (!kind_text)
    return usage_error(kind_text.error());
  auto kind = envelope::parse_kind(*kind_text);
  if (!kind)
    return usage_error(kind.error());
  std::uint64_t lamport = 1;
  if (auto l = optional_arg(opts, "--lamport")) {
    auto n = parse_number("--lamport", *l, 0, UINT64_MAX);
    if (!n)
      return usage_error(n.error());
    lamport = *n;
  }
  auto key_path = required(opts, "--key");
  if (!key_path)
    return usage_error(key_path.error());
  auto payload = read_payload(opts, ctx);
  if (!payload)
    return usage_error(payload.error());
  auto key = identity::load_key_file(*key_path);
  if (!key) {
    fail = {exit_failure, key.error().message};
    return key.error();
  }
  auto env = envelope::make(*kind, *thread, std::move(*payload), lamport,
                            unix_now_ns(), {}, random_bytes(nonce_size),
                            random_bytes(envelope::id_size));
  if (auto ok = envelope::sign(env, *key); !ok) {
    fail = {exit_failure, ok.error().message};
    return ok.error();
  }
  return env;
}

int report(context& ctx, const char* cmd, const failure& f) {
  ctx.err << "canswarm " << cmd << ": " << f.message << '\n' << std::flush;
  return f.code;
}

/// The JSON line of a received envelope.
std::string envelope_line(const envelope::envelope& e) {
  return "{\"id\":\"" + to_hex(e.id)
         + "\",\"thread\":" + json_string(e.thread_id) + ",\"kind\":\""
         + envelope::to_string(e.kind) + "\",\"lamport\":"
         + std::to_string(e.lamport) + ",\"ts_ns\":" + std::to_string(e.ts_ns)
         + ",\"sender\":\"" + to_hex(e.sender)
         + "\",\"payload\":" + json_string(as_string(e.payload)) + "}";
}

} // namespace

int run_publish(const options& opts, context& ctx) {
  failure fail{exit_failure, ""};
  auto control = control_addr(opts);
  if (!control)
    return report(ctx, "publish", {exit_usage, control.error().message});
  auto env = build_envelope(opts, ctx, fail);
  if (!env)
    return report(ctx, "publish", fail);
  auto topic = envelope::p2p_topic(env->thread_id, env->kind);
  if (!topic)
    return report(ctx, "publish", {exit_usage, topic.error().message});
  auto forge = optional_arg(opts, "--forge");
  if (forge) {
    // A test tool for operators and the demo: the node publishes what it
    // is given, so the receivers' ingress gate must refuse it.
    if (*forge == "signature" && !env->signature.empty())
      env->signature[0] ^= 0x01;
    else if (*forge == "payload")
      env->payload.push_back(static_cast<std::uint8_t>(' '));
    else
      return report(ctx, "publish",
                    {exit_usage, "--forge: expected 'signature' or 'payload', "
                                 "got '"
                                   + *forge + "'"});
    ctx.err << "canswarm publish: forging the " << *forge
            << " of a signed envelope (no preflight): receivers must reject "
               "it\n"
            << std::flush;
  } else {
    envelope::gate_enforcer gate;
    auto verdict = gate.preflight_validate(*env, unix_now_ns());
    if (!verdict.allowed)
      return report(ctx, "publish",
                    {exit_usage, std::string{"refused by the policy gate ("}
                                   + envelope::to_string(verdict.code)
                                   + "): " + verdict.reason});
  }
  auto wire = envelope::encode(*env);
  if (!wire)
    return report(ctx, "publish", {exit_usage, wire.error().message});
  auto client = runtime::control_client::connect(*control);
  if (!client)
    return report(ctx, "publish", {exit_failure, client.error().message});
  if (auto ok = client->publish(*topic, *wire, forge.has_value()); !ok)
    return report(ctx, "publish",
                  {exit_failure, "PUBLISH: " + ok.error().message});
  ctx.out << "{\"id\":\"" << to_hex(env->id)
          << "\",\"thread\":" << json_string(env->thread_id) << ",\"kind\":\""
          << envelope::to_string(env->kind)
          << "\",\"topic\":" << json_string(*topic) << "}\n"
          << std::flush;
  return exit_ok;
}

int run_subscribe(const options& opts, context& ctx) {
  auto control = control_addr(opts);
  if (!control)
    return report(ctx, "subscribe", {exit_usage, control.error().message});
  auto thread = required(opts, "--thread");
  if (!thread)
    return report(ctx, "subscribe", {exit_usage, thread.error().message});
  std::vector<envelope::kind> kinds(envelope::all_kinds.begin(),
                                    envelope::all_kinds.end());
  if (auto k = optional_arg(opts, "--kind")) {
    auto kind = envelope::parse_kind(*k);
    if (!kind)
      return report(ctx, "subscribe", {exit_usage, kind.error().message});
    kinds = {*kind};
  }
  std::optional<std::uint64_t> count;
  if (auto c = optional_arg(opts, "--count")) {
    auto n = parse_number("--count", *c, 1, UINT64_MAX);
    if (!n)
      return report(ctx, "subscribe", {exit_usage, n.error().message});
    count = *n;
  }
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (auto t = optional_arg(opts, "--timeout")) {
    auto n = parse_number("--timeout", *t, 1, max_timeout_seconds);
    if (!n)
      return report(ctx, "subscribe", {exit_usage, n.error().message});
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds{*n};
  }
  std::vector<runtime::subscription> subs;
  for (auto k : kinds) {
    auto topic = envelope::p2p_topic(*thread, k);
    if (!topic)
      return report(ctx, "subscribe", {exit_usage, topic.error().message});
    auto client = runtime::control_client::connect(*control);
    if (!client)
      return report(ctx, "subscribe", {exit_failure, client.error().message});
    auto sub = client->subscribe(*topic);
    if (!sub)
      return report(ctx, "subscribe",
                    {exit_failure,
                     "SUBSCRIBE " + *topic + ": " + sub.error().message});
    subs.push_back(std::move(*sub));
  }
  // On stderr, so stdout stays one JSON line per envelope.
  ctx.err << "canswarm subscribe: subscribed to " << subs.size()
          << (subs.size() == 1 ? " topic" : " topics") << " of thread "
          << json_string(*thread) << '\n'
          << std::flush;
  envelope::gate_enforcer gate;
  std::uint64_t printed = 0;
  while (!count || printed < *count) {
    auto wait = idle_wait;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        *deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        break;
      wait = std::min(wait, left);
    }
    auto next = runtime::next_message(subs, wait);
    if (!next)
      return report(ctx, "subscribe", {exit_failure, next.error().message});
    if (!*next)
      continue;
    auto& topic = subs[(*next)->index].topic();
    auto& msg = (*next)->message;
    if (!msg.data) {
      ctx.err << "canswarm subscribe: message without data on " << topic
              << '\n';
      continue;
    }
    auto in = gate.decode_and_validate(*msg.data, unix_now_ns());
    if (!in.verdict.allowed) {
      ctx.err << "canswarm subscribe: rejected envelope on " << topic << " ("
              << envelope::to_string(in.verdict.code)
              << "): " << in.verdict.reason << '\n'
              << std::flush;
      continue;
    }
    auto& env = *in.env;
    if (auto own = envelope::p2p_topic(env.thread_id, env.kind);
        !own || *own != topic) {
      ctx.err << "canswarm subscribe: rejected envelope " << to_hex(env.id)
              << " on " << topic << ": it belongs on "
              << (own ? *own : own.error().message) << '\n'
              << std::flush;
      continue;
    }
    ctx.out << envelope_line(env) << '\n' << std::flush;
    ++printed;
  }
  if (count && printed < *count)
    return report(ctx, "subscribe",
                  {exit_failure, "timed out after " + std::to_string(printed)
                                   + " of " + std::to_string(*count)
                                   + " envelopes"});
  return exit_ok;
}

int run_peers(const options& opts, context& ctx) {
  auto control = control_addr(opts);
  if (!control)
    return report(ctx, "peers", {exit_usage, control.error().message});
  auto client = runtime::control_client::connect(*control);
  if (!client)
    return report(ctx, "peers", {exit_failure, client.error().message});
  auto peers = client->list_peers();
  if (!peers)
    return report(ctx, "peers",
                  {exit_failure, "LIST_PEERS: " + peers.error().message});
  for (auto& p : *peers) {
    auto id = peer_id::from_bytes(p.id);
    ctx.out << (id ? id->to_string() : "<bad id " + to_hex(p.id) + ">");
    for (auto& a : p.addrs) {
      auto addr = multiaddr::from_bytes(a);
      ctx.out << ' ' << (addr ? addr->to_string() : "<bad addr>");
    }
    ctx.out << '\n';
  }
  ctx.out << std::flush;
  return exit_ok;
}

namespace {

/// An inspector error for the user: the node's answers already name the
/// request (CANSWARM_INSPECT: ...), client-side errors get the prefix.
std::string inspect_error(const std::string& message) {
  const std::string prefix = "CANSWARM_INSPECT: ";
  return message.rfind(prefix, 0) == 0 ? message : prefix + message;
}

} // namespace

int run_inspect(const options& opts, context& ctx) {
  auto control = control_addr(opts);
  if (!control)
    return report(ctx, "inspect", {exit_usage, control.error().message});
  bool json = optional_arg(opts, "--json").has_value();
  auto kill = optional_arg(opts, "--kill").value_or(std::string{});
  double watch = 0;
  if (auto w = optional_arg(opts, "--watch")) {
    char* end = nullptr;
    watch = std::strtod(w->c_str(), &end);
    if (end == w->c_str() || *end != '\0' || !(watch >= 0.1) || watch > 3600)
      return report(ctx, "inspect",
                    {exit_usage, "--watch: expected seconds between 0.1 and "
                                 "3600, got '"
                                   + *w + "'"});
  }
  for (;;) {
    auto client = runtime::control_client::connect(*control);
    if (!client)
      return report(ctx, "inspect", {exit_failure, client.error().message});
    if (!kill.empty()) {
      auto killed = client->inspect(!json, kill);
      if (!killed)
        return report(ctx, "inspect",
                      {exit_failure, inspect_error(killed.error().message)});
      ctx.err << "canswarm inspect: killed " << kill
              << "; the tree once its supervisor restarted it:\n"
              << std::flush;
      kill.clear();
      // Let the supervisor see the exit and restart the actor.
      std::this_thread::sleep_for(std::chrono::milliseconds{500});
      continue;
    }
    auto doc = client->inspect(!json, {});
    if (!doc)
      return report(ctx, "inspect",
                    {exit_failure, inspect_error(doc.error().message)});
    ctx.out << *doc << (json ? "\n" : "") << std::flush;
    if (watch == 0)
      return exit_ok;
    std::this_thread::sleep_for(std::chrono::duration<double>(watch));
    ctx.out << '\n';
  }
}

int run_stats(const options& opts, context& ctx) {
  auto control = control_addr(opts);
  if (!control)
    return report(ctx, "stats", {exit_usage, control.error().message});
  auto client = runtime::control_client::connect(*control);
  if (!client)
    return report(ctx, "stats", {exit_failure, client.error().message});
  auto doc = client->stats();
  if (!doc)
    return report(ctx, "stats",
                  {exit_failure, "CANSWARM_STATS: " + doc.error().message});
  ctx.out << *doc << '\n' << std::flush;
  return exit_ok;
}

} // namespace canswarm::cli
