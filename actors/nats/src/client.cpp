// nats.c wrapper: options, connect, connection-state callbacks and core
// NATS (publish, subscribe, flush, request). JetStream is in jetstream.cpp,
// message and subscription handles in message.cpp.

#include <array>

#include <fmt/format.h>

#include "canswarm/nats/subject.hpp"
#include "client_impl.hpp"

namespace canswarm::nats {

using namespace detail;

namespace {

using hub_registry = registry<connection_hub>;

// -- nats.c options ----------------------------------------------------------

struct options_guard {
  natsOptions* opts = nullptr;
  ~options_guard() {
    natsOptions_Destroy(opts);
  }
};

/// Reports a state change unless it repeats the current state.
void report(connection_hub& hub, link_state s, natsConnection* nc) {
  if (hub.state.exchange(s) == s || !hub.cbs.on_state)
    return;
  std::string detail;
  const char* text = nullptr;
  if (nc != nullptr && natsConnection_GetLastError(nc, &text) != NATS_OK
      && text != nullptr)
    detail = text;
  hub.cbs.on_state(s, std::move(detail));
}

void on_connected(natsConnection* nc, void* closure) {
  if (auto hub = hub_registry::instance().find(closure))
    report(*hub, link_state::connected, nc);
}

void on_disconnected(natsConnection* nc, void* closure) {
  // A disconnect on close is followed by the closed callback.
  if (natsConnection_IsClosed(nc))
    return;
  if (auto hub = hub_registry::instance().find(closure))
    report(*hub, link_state::reconnecting, nc);
}

void on_closed(natsConnection* nc, void* closure) {
  if (auto hub = hub_registry::instance().find(closure))
    report(*hub, link_state::closed, nc);
}

result<void> apply(natsOptions* o, const client_options& opts, void* token) {
  std::vector<const char*> urls;
  for (auto& u : opts.urls)
    urls.push_back(u.c_str());
  bool tls = opts.tls.enabled;
  for (auto& u : opts.urls)
    tls = tls || u.starts_with("tls://");
  auto s = natsOptions_SetServers(o, urls.data(),
                                  static_cast<int>(urls.size()));
  if (s == NATS_OK)
    s = natsOptions_SetName(o, opts.name.c_str());
  if (s == NATS_OK)
    s = natsOptions_SetTimeout(o, opts.connect_timeout.count());
  if (s == NATS_OK)
    s = natsOptions_SetReconnectWait(o, opts.reconnect_wait.count());
  if (s == NATS_OK)
    s = natsOptions_SetMaxReconnect(o, opts.max_reconnect);
  if (s == NATS_OK)
    s = natsOptions_SetReconnectBufSize(o, static_cast<int>(
                                             opts.reconnect_buffer_bytes));
  if (s == NATS_OK)
    s = natsOptions_SetPingInterval(o, opts.ping_interval.count());
  if (s == NATS_OK)
    s = natsOptions_SetMaxPingsOut(o, opts.max_pings_out);
  if (s == NATS_OK)
    s = natsOptions_SetSendAsap(o, opts.send_asap);
  if (s == NATS_OK && opts.no_echo)
    s = natsOptions_SetNoEcho(o, true);
  if (s == NATS_OK)
    s = natsOptions_SetDisconnectedCB(o, on_disconnected, token);
  if (s == NATS_OK)
    s = natsOptions_SetReconnectedCB(o, on_connected, token);
  if (s == NATS_OK)
    s = natsOptions_SetClosedCB(o, on_closed, token);
  if (s == NATS_OK && opts.retry_on_failed_connect)
    s = natsOptions_SetRetryOnFailedConnect(o, true, on_connected, token);
  if (s == NATS_OK && !opts.credentials_file.empty())
    s = natsOptions_SetUserCredentialsFromFiles(o,
                                                opts.credentials_file.c_str(),
                                                nullptr);
  if (s == NATS_OK && !opts.token.empty())
    s = natsOptions_SetToken(o, opts.token.c_str());
  if (s == NATS_OK && tls)
    s = natsOptions_SetSecure(o, true);
  if (s == NATS_OK && !opts.tls.ca_file.empty())
    s = natsOptions_LoadCATrustedCertificates(o, opts.tls.ca_file.c_str());
  if (s == NATS_OK && !opts.tls.cert_file.empty())
    s = natsOptions_LoadCertificatesChain(o, opts.tls.cert_file.c_str(),
                                          opts.tls.key_file.c_str());
  if (s == NATS_OK && !opts.tls.expected_hostname.empty())
    s = natsOptions_SetExpectedHostname(o, opts.tls.expected_hostname.c_str());
  if (s != NATS_OK)
    return to_error(s, "nats options");
  return {};
}

} // namespace

// -- enums, validation
// ---------------------------------------------------------

const char* to_string(link_state s) {
  switch (s) {
    case link_state::connecting: return "connecting";
    case link_state::connected: return "connected";
    case link_state::reconnecting: return "reconnecting";
    case link_state::closed: return "closed";
  }
  return "unknown";
}

result<void> client_options::validate() const {
  auto bad = [](std::string what) {
    return make_error(errc::invalid_argument, std::move(what));
  };
  if (urls.empty() || urls.size() > max_urls)
    return bad(fmt::format("nats urls: expected 1..{} URLs, got {}", max_urls,
                           urls.size()));
  for (auto& u : urls) {
    auto scheme_end = u.find("://");
    auto scheme = u.substr(0, scheme_end);
    if (scheme_end == std::string::npos || (scheme != "nats" && scheme != "tls")
        || u.size() == scheme_end + 3)
      return bad(fmt::format("nats url \"{}\": expected nats://host:port or "
                             "tls://host:port",
                             u));
  }
  if (name.empty() || name.size() > 256)
    return bad("nats connection name: expected 1..256 characters");
  if (connect_timeout.count() <= 0 || reconnect_wait.count() <= 0
      || ping_interval.count() <= 0)
    return bad("nats timeouts (connect, reconnect wait, ping) must be > 0");
  if (max_reconnect < -1)
    return bad(fmt::format("nats max_reconnect {}: expected -1 (forever) or "
                           ">= 0",
                           max_reconnect));
  if (max_pings_out < 1)
    return bad("nats max_pings_out must be >= 1");
  if (reconnect_buffer_bytes == 0
      || reconnect_buffer_bytes > max_reconnect_buffer_bytes)
    return bad(fmt::format("nats reconnect buffer of {} bytes: expected "
                           "1..{}",
                           reconnect_buffer_bytes, max_reconnect_buffer_bytes));
  if (tls.cert_file.empty() != tls.key_file.empty())
    return bad("nats tls: cert_file and key_file go together");
  return {};
}

// -- connection
// ----------------------------------------------------------------

connection_state::~connection_state() {
  // Late callbacks find nothing from here on.
  hub_registry::instance().remove(token);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc); // closes
}

connection::connection(std::shared_ptr<connection_state> state)
    : state_(std::move(state)) {}

connection::~connection() = default;

result<std::unique_ptr<connection>>
connection::connect(const client_options& opts, callbacks cbs) {
  if (auto ok = opts.validate(); !ok)
    return ok.error();
  auto st = std::make_shared<connection_state>();
  st->hub = std::make_shared<connection_hub>();
  st->hub->cbs = std::move(cbs);
  st->token = hub_registry::instance().add(st->hub);
  options_guard guard;
  if (auto s = natsOptions_Create(&guard.opts); s != NATS_OK)
    return to_error(s, "nats options");
  if (auto ok = apply(guard.opts, opts, st->token); !ok)
    return ok.error();
  auto s = natsConnection_Connect(&st->nc, guard.opts);
  if (s == NATS_NOT_YET_CONNECTED) {
    st->hub->nc = st->nc;
    return std::make_unique<connection>(std::move(st));
  }
  if (s != NATS_OK)
    return to_error(s, fmt::format("nats connect to {}",
                                   fmt::join(opts.urls, ",")));
  st->hub->nc = st->nc;
  // Unless a callback already reported a change.
  auto expected = link_state::connecting;
  st->hub->state.compare_exchange_strong(expected, link_state::connected);
  return std::make_unique<connection>(std::move(st));
}

link_state connection::state() const {
  // nats.c's own status is ahead of the callbacks (which are queued).
  switch (natsConnection_Status(state_->nc)) {
    case NATS_CONN_STATUS_CONNECTED:
    case NATS_CONN_STATUS_DRAINING_SUBS:
    case NATS_CONN_STATUS_DRAINING_PUBS: return link_state::connected;
    case NATS_CONN_STATUS_CLOSED: return link_state::closed;
    default:
      return state_->hub->state.load() == link_state::connecting
               ? link_state::connecting
               : link_state::reconnecting;
  }
}

std::string connection::connected_url() const {
  std::array<char, 512> buf{};
  if (natsConnection_GetConnectedUrl(state_->nc, buf.data(), buf.size())
      != NATS_OK)
    return {};
  return buf.data();
}

std::string connection::last_error() const {
  const char* text = nullptr;
  if (natsConnection_GetLastError(state_->nc, &text) == NATS_OK
      || text == nullptr)
    return {};
  return text;
}

connection_stats connection::stats() const {
  connection_stats out;
  natsStatistics* st = nullptr;
  if (natsStatistics_Create(&st) != NATS_OK)
    return out;
  if (natsConnection_GetStats(state_->nc, st) == NATS_OK)
    natsStatistics_GetCounts(st, &out.in_msgs, &out.in_bytes, &out.out_msgs,
                             &out.out_bytes, &out.reconnects);
  natsStatistics_Destroy(st);
  return out;
}

result<void> connection::publish(std::string_view subject, bytes_view data,
                                 const headers& hdrs) {
  if (auto ok = check_subject(subject); !ok)
    return ok.error();
  std::string subj{subject};
  natsStatus s;
  if (hdrs.empty()) {
    s = natsConnection_Publish(state_->nc, subj.c_str(), data.data(),
                               static_cast<int>(data.size()));
  } else {
    auto m = make_msg(subject, data, hdrs);
    if (!m)
      return m.error();
    s = natsConnection_PublishMsg(state_->nc, *m);
    natsMsg_Destroy(*m);
  }
  if (s != NATS_OK)
    return to_error(s, fmt::format("nats publish on {}", subject));
  return {};
}

result<void> connection::publish_request(std::string_view subject,
                                         std::string_view reply,
                                         bytes_view data) {
  if (auto ok = check_subject(subject); !ok)
    return ok.error();
  if (auto ok = check_subject(reply); !ok)
    return ok.error();
  std::string subj{subject};
  std::string rep{reply};
  auto s = natsConnection_PublishRequest(state_->nc, subj.c_str(), rep.c_str(),
                                         data.data(),
                                         static_cast<int>(data.size()));
  if (s != NATS_OK)
    return to_error(s, fmt::format("nats publish on {}", subject));
  return {};
}

result<void> connection::flush(std::chrono::milliseconds timeout) {
  auto s = natsConnection_FlushTimeout(state_->nc, timeout.count());
  if (s != NATS_OK)
    return to_error(s, "nats flush");
  return {};
}

result<message> connection::request(std::string_view subject, bytes_view data,
                                    std::chrono::milliseconds timeout) {
  if (auto ok = check_subject(subject); !ok)
    return ok.error();
  std::string subj{subject};
  natsMsg* reply = nullptr;
  auto s = natsConnection_Request(&reply, state_->nc, subj.c_str(), data.data(),
                                  static_cast<int>(data.size()),
                                  timeout.count());
  if (s != NATS_OK)
    return to_error(s, fmt::format("nats request on {}", subject));
  auto ms = std::make_shared<message_state>();
  ms->msg = reply;
  return message{std::move(ms)};
}

result<subscription>
connection::subscribe(std::string_view pattern, message_handler handler,
                      int pending_msgs, int pending_bytes) {
  if (auto ok = check_pattern(pattern); !ok)
    return ok.error();
  auto hub = std::make_shared<subscription_hub>();
  hub->handler = std::move(handler);
  hub->handle = std::make_shared<subscription_handle>();
  auto st = std::make_shared<subscription_state>();
  st->subject = std::string{pattern};
  st->handle = hub->handle;
  st->token = registry<subscription_hub>::instance().add(hub);
  natsSubscription* sub = nullptr;
  auto s = natsConnection_Subscribe(&sub, state_->nc, st->subject.c_str(),
                                    on_message, st->token);
  if (s != NATS_OK)
    return to_error(s, fmt::format("nats subscribe to {}", pattern));
  hub->handle->sub = sub;
  s = natsSubscription_SetPendingLimits(sub, pending_msgs, pending_bytes);
  if (s != NATS_OK)
    return to_error(s, "nats subscription pending limits");
  return subscription{std::move(st)};
}

// -- helpers
// -------------------------------------------------------------------

namespace detail {

void on_message(natsConnection*, natsSubscription*, natsMsg* msg,
                void* closure) {
  auto hub = registry<subscription_hub>::instance().find(closure);
  auto ms = std::make_shared<message_state>();
  ms->msg = msg; // freed with the last handle
  if (!hub || !hub->handler)
    return;
  ms->keep = hub->handle;
  hub->handler(message{std::move(ms)});
}

result<natsMsg*> make_msg(std::string_view subject, bytes_view data,
                          const headers& hdrs, std::string_view msg_id) {
  std::string subj{subject};
  natsMsg* m = nullptr;
  auto s = natsMsg_Create(&m, subj.c_str(), nullptr,
                          reinterpret_cast<const char*>(data.data()),
                          static_cast<int>(data.size()));
  for (auto& [key, value] : hdrs)
    if (s == NATS_OK)
      s = natsMsgHeader_Add(m, key.c_str(), value.c_str());
  if (s == NATS_OK && !msg_id.empty()) {
    std::string id{msg_id};
    s = natsMsgHeader_Set(m, std::string{msg_id_header}.c_str(), id.c_str());
  }
  if (s != NATS_OK) {
    natsMsg_Destroy(m);
    return to_error(s, "nats message");
  }
  return m;
}

errc classify(natsStatus s) {
  switch (s) {
    case NATS_TIMEOUT: return errc::timeout;
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
    case NATS_INVALID_TIMEOUT:
    case NATS_INVALID_QUEUE_NAME:
    case NATS_ADDRESS_MISSING: return errc::invalid_argument;
    case NATS_MAX_PAYLOAD: return errc::too_large;
    case NATS_INSUFFICIENT_BUFFER:
    case NATS_SLOW_CONSUMER:
    case NATS_NOT_PERMITTED:
    case NATS_CONNECTION_AUTH_FAILED: return errc::refused;
    case NATS_NOT_FOUND:
    case NATS_NO_RESPONDERS: return errc::not_found;
    case NATS_PROTOCOL_ERROR: return errc::protocol;
    case NATS_NO_SERVER_SUPPORT: return errc::unsupported;
    case NATS_SSL_ERROR: return errc::crypto;
    default: return errc::io;
  }
}

error to_error(natsStatus s, std::string_view what) {
  std::string status = natsStatus_GetText(s);
  std::string text = fmt::format("{}: {}", what, status);
  natsStatus last = NATS_OK;
  const char* raw = nats_GetLastError(&last);
  if (raw != nullptr && last == s) {
    // nats.c prefixes its detail with "(file.c:line): ".
    std::string_view detail{raw};
    if (detail.starts_with('('))
      if (auto end = detail.find("): "); end != std::string_view::npos)
        detail.remove_prefix(end + 3);
    if (!detail.empty() && detail != status)
      text += fmt::format(" ({})", detail);
  }
  return make_error(classify(s), std::move(text));
}

error to_js_error(natsStatus s, std::string_view what, jsErrCode code,
                  std::string_view text) {
  if (code == 0 && text.empty())
    return to_error(s, what);
  auto msg = text.empty() ? std::string{natsStatus_GetText(s)}
                          : std::string{text};
  auto ec = code == JSStreamNotFoundErr || code == JSConsumerNotFoundErr
              ? errc::not_found
              : classify(s);
  return make_error(ec, fmt::format("{}: {} (jetstream error {})", what, msg,
                                    static_cast<int>(code)));
}

} // namespace detail

} // namespace canswarm::nats
