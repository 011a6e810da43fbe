// nats.c wrapper: JetStream (streams, publishes with Nats-Msg-Id, durable
// push consumers with manual ack).
//
// Asynchronous publishes: nats.c hands the acknowledgement (or an error, or
// a timeout after jsPubOptions.MaxWait) to one handler per JetStream
// context, with the message that was published. The connection keeps a
// table message -> caller's tag, filled before the publish and emptied by
// the handler, so the caller's callback gets its tag back.

#include <vector>

#include <fmt/format.h>

#include "canswarm/nats/subject.hpp"
#include "client_impl.hpp"

namespace canswarm::nats {

using namespace detail;

namespace {

using hub_registry = registry<connection_hub>;

/// JetStream API request timeout (stream and consumer management).
constexpr int64_t api_wait_ms = 5000;

/// Attempts to bind a durable that still looks bound to an earlier
/// subscription (the server updates interest asynchronously): 20 x 50 ms.
constexpr int max_bind_retries = 20;
constexpr int64_t bind_retry_wait_ms = 50;

/// Returns whether the last js_Subscribe failed because the consumer is
/// still bound to another subscription.
bool still_bound(natsStatus s) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  return s == NATS_ERR && text != nullptr
         && std::string_view{text}.find("already bound") != std::string::npos;
}

void on_publish_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae,
                    void* closure) {
  auto hub = hub_registry::instance().find(closure);
  std::optional<std::uint64_t> tag;
  if (hub) {
    std::lock_guard<std::mutex> guard{hub->mtx};
    if (auto it = hub->pending.find(msg); it != hub->pending.end()) {
      tag = it->second;
      hub->pending.erase(it);
    }
  }
  natsMsg_Destroy(msg); // the ack handler owns the published message
  if (!tag || !hub->cbs.on_publish_ack)
    return;
  if (pa != nullptr) {
    publish_ack ack;
    ack.stream = pa->Stream != nullptr ? pa->Stream : "";
    ack.sequence = pa->Sequence;
    ack.duplicate = pa->Duplicate;
    hub->cbs.on_publish_ack(*tag, std::move(ack));
    return;
  }
  auto err = pae != nullptr
               ? to_js_error(pae->Err, "nats jetstream publish", pae->ErrCode,
                             pae->ErrText != nullptr ? pae->ErrText : "")
               : make_error(errc::io, "nats jetstream publish: no ack");
  hub->cbs.on_publish_ack(*tag, std::move(err));
}

stream_info to_info(const jsStreamInfo& si) {
  stream_info out;
  if (si.Config != nullptr) {
    out.name = si.Config->Name != nullptr ? si.Config->Name : "";
    out.duplicate_window = std::chrono::nanoseconds{si.Config->Duplicates};
  }
  out.messages = si.State.Msgs;
  out.bytes = si.State.Bytes;
  out.first_seq = si.State.FirstSeq;
  out.last_seq = si.State.LastSeq;
  out.consumers = si.State.Consumers;
  return out;
}

} // namespace

result<void> stream_settings::validate() const {
  if (auto ok = check_name("jetstream stream name", name); !ok)
    return ok;
  if (subjects.empty() || subjects.size() > max_stream_subjects)
    return make_error(errc::invalid_argument,
                      fmt::format("jetstream stream subjects: expected 1..{}",
                                  max_stream_subjects));
  for (auto& s : subjects)
    if (auto ok = check_pattern(s); !ok)
      return make_error(errc::invalid_argument,
                        "jetstream stream subject: " + ok.error().message);
  if (duplicate_window.count() <= 0)
    return make_error(errc::invalid_argument,
                      "jetstream duplicate window must be > 0");
  return {};
}

namespace detail {

result<jsCtx*> jetstream_of(connection_state& st) {
  std::lock_guard<std::mutex> guard{st.js_mtx};
  if (st.js != nullptr)
    return st.js;
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = api_wait_ms;
  o.PublishAsync.AckHandler = on_publish_ack;
  o.PublishAsync.AckHandlerClosure = st.token;
  o.PublishAsync.MaxPending = static_cast<int64_t>(max_pending_acks);
  if (auto s = natsConnection_JetStream(&st.js, st.nc, &o); s != NATS_OK)
    return to_error(s, "nats jetstream context");
  return st.js;
}

} // namespace detail

result<stream_info> connection::ensure_stream(const stream_settings& set) {
  if (auto ok = set.validate(); !ok)
    return ok.error();
  auto js = jetstream_of(*state_);
  if (!js)
    return js.error();
  std::vector<const char*> subjects;
  for (auto& s : set.subjects)
    subjects.push_back(s.c_str());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = set.name.c_str();
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Storage = set.storage == storage_kind::file ? js_FileStorage
                                                  : js_MemoryStorage;
  cfg.Duplicates = set.duplicate_window.count();
  cfg.MaxMsgs = set.max_msgs;
  cfg.MaxBytes = set.max_bytes;
  cfg.MaxAge = set.max_age.count();
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  auto s = js_AddStream(&si, *js, &cfg, nullptr, &jerr);
  if (s != NATS_OK && jerr == JSStreamNameExistErr)
    s = js_UpdateStream(&si, *js, &cfg, nullptr, &jerr);
  if (s != NATS_OK)
    return to_js_error(s, fmt::format("nats ensure stream {}", set.name), jerr);
  auto info = to_info(*si);
  jsStreamInfo_Destroy(si);
  return info;
}

result<stream_info> connection::get_stream(std::string_view name) {
  auto js = jetstream_of(*state_);
  if (!js)
    return js.error();
  std::string n{name};
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  auto s = js_GetStreamInfo(&si, *js, n.c_str(), nullptr, &jerr);
  if (s != NATS_OK)
    return to_js_error(s, fmt::format("nats stream info {}", name), jerr);
  auto info = to_info(*si);
  jsStreamInfo_Destroy(si);
  return info;
}

result<void> connection::delete_stream(std::string_view name) {
  auto js = jetstream_of(*state_);
  if (!js)
    return js.error();
  std::string n{name};
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (auto s = js_DeleteStream(*js, n.c_str(), nullptr, &jerr); s != NATS_OK)
    return to_js_error(s, fmt::format("nats delete stream {}", name), jerr);
  return {};
}

result<publish_ack> connection::js_publish(std::string_view subject,
                                           bytes_view data,
                                           std::string_view msg_id,
                                           std::chrono::milliseconds timeout) {
  if (auto ok = check_subject(subject); !ok)
    return ok.error();
  auto js = jetstream_of(*state_);
  if (!js)
    return js.error();
  auto m = make_msg(subject, data, {}, msg_id);
  if (!m)
    return m.error();
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = timeout.count();
  jsPubAck* pa = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  auto s = js_PublishMsg(&pa, *js, *m, &po, &jerr);
  natsMsg_Destroy(*m);
  if (s != NATS_OK)
    return to_js_error(s, fmt::format("nats jetstream publish on {}", subject),
                       jerr);
  publish_ack ack;
  ack.stream = pa->Stream != nullptr ? pa->Stream : "";
  ack.sequence = pa->Sequence;
  ack.duplicate = pa->Duplicate;
  jsPubAck_Destroy(pa);
  return ack;
}

result<void>
connection::js_publish_async(std::string_view subject, bytes_view data,
                             std::string_view msg_id, std::uint64_t tag,
                             std::chrono::milliseconds timeout) {
  if (auto ok = check_subject(subject); !ok)
    return ok.error();
  auto js = jetstream_of(*state_);
  if (!js)
    return js.error();
  auto m = make_msg(subject, data, {}, msg_id);
  if (!m)
    return m.error();
  natsMsg* msg = *m;
  auto& hub = *state_->hub;
  {
    std::lock_guard<std::mutex> guard{hub.mtx};
    if (hub.pending.size() >= max_pending_acks) {
      natsMsg_Destroy(msg);
      return make_error(errc::refused,
                        fmt::format("nats jetstream publish: {} acks "
                                    "outstanding (max_pending_acks)",
                                    hub.pending.size()));
    }
    hub.pending.emplace(msg, tag); // before: the ack may beat the return
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = timeout.count();
  auto s = js_PublishMsgAsync(*js, &msg, &po);
  if (s != NATS_OK) {
    // nats.c left the message to us: no ack will come.
    if (msg != nullptr) {
      std::lock_guard<std::mutex> guard{hub.mtx};
      hub.pending.erase(msg);
    }
    natsMsg_Destroy(msg);
    return to_error(s, fmt::format("nats jetstream publish on {}", subject));
  }
  return {};
}

std::size_t connection::pending_acks() const {
  std::lock_guard<std::mutex> guard{state_->hub->mtx};
  return state_->hub->pending.size();
}

result<subscription>
connection::js_subscribe(std::string_view pattern, const consumer_settings& cs,
                         message_handler handler, int pending_msgs,
                         int pending_bytes) {
  if (auto ok = check_pattern(pattern); !ok)
    return ok.error();
  if (cs.durable.empty()
      || cs.durable.find_first_of(".*> \t") != std::string::npos)
    return make_error(errc::invalid_argument,
                      fmt::format("jetstream durable name \"{}\" is empty or "
                                  "has '.', '*', '>' or white space",
                                  cs.durable));
  auto js = jetstream_of(*state_);
  if (!js)
    return js.error();
  auto hub = std::make_shared<subscription_hub>();
  hub->handler = std::move(handler);
  hub->handle = std::make_shared<subscription_handle>();
  auto st = std::make_shared<subscription_state>();
  st->subject = std::string{pattern};
  st->handle = hub->handle;
  st->token = registry<subscription_hub>::instance().add(hub);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = cs.stream.c_str();
  so.ManualAck = true;
  so.Config.Durable = cs.durable.c_str();
  so.Config.AckPolicy = js_AckExplicit;
  so.Config.DeliverPolicy = cs.deliver_new ? js_DeliverNew : js_DeliverAll;
  so.Config.AckWait = std::chrono::nanoseconds{cs.ack_wait}.count();
  so.Config.MaxAckPending = cs.max_ack_pending;
  so.Config.MaxDeliver = cs.max_deliver;
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  auto s = js_Subscribe(&sub, *js, st->subject.c_str(), on_message, st->token,
                        nullptr, &so, &jerr);
  // A durable just released (by us, or by a connection that just closed)
  // can still look bound for a moment: flush and retry.
  for (int i = 0; s != NATS_OK && i < max_bind_retries && still_bound(s); ++i) {
    (void)natsConnection_FlushTimeout(state_->nc, bind_retry_wait_ms);
    nats_Sleep(bind_retry_wait_ms);
    s = js_Subscribe(&sub, *js, st->subject.c_str(), on_message, st->token,
                     nullptr, &so, &jerr);
  }
  if (s != NATS_OK)
    return to_js_error(s,
                       fmt::format("nats jetstream subscribe to {}", pattern),
                       jerr);
  hub->handle->sub = sub;
  s = natsSubscription_SetPendingLimits(sub, pending_msgs, pending_bytes);
  if (s != NATS_OK)
    return to_error(s, "nats subscription pending limits");
  return subscription{std::move(st)};
}

} // namespace canswarm::nats
