#pragma once

// Where a thread's envelopes travel:
//
//   gossipsub topic   /swarm/thread/{thread}/{verb}
//   NATS subject      thread.{thread}.{verb}
//
// {verb} is by convention the lowercase kind name (`verb(kind)`: need,
// propose, update_plan, ...); any 1..`max_verb_size` characters from
// [a-z0-9_-] are accepted, so a verb never needs escaping.
//
// {thread} is the thread id escaped so that it is one NATS token and one
// path segment: every byte outside printable ASCII (0x21-0x7e) and the five
// bytes '.', '*', '>', '/', '%' become %XX with uppercase hex; everything
// else stays as is. Space, tabs, control bytes and each byte of a non-ASCII
// UTF-8 character are therefore escaped. Unescaping accepts only this exact
// form (no lowercase hex, no escape of a byte that needs none), so each
// thread id has exactly one topic and one subject and both parse back.
//
// Every verb of a thread: P2P topics starting with `p2p_thread_prefix`
// (a gossipsub router matches prefixes itself; gossipsub has no wildcard),
// NATS subject `nats_thread_wildcard` (thread.{thread}.*).

#include <cstddef>
#include <string>
#include <string_view>

#include "canswarm/envelope/envelope.hpp"
#include "canswarm/envelope/kind.hpp"
#include "canswarm/error.hpp"

namespace canswarm::envelope {

/// Start of every thread topic.
inline constexpr std::string_view p2p_topic_root = "/swarm/thread/";

/// Start of every thread subject.
inline constexpr std::string_view nats_subject_root = "thread.";

/// Longest verb: the longest kind name is 11 characters; room for more.
inline constexpr std::size_t max_verb_size = 32;

/// A thread id and verb, as parsed from a topic or subject.
struct thread_topic {
  std::string thread_id;
  std::string verb;

  friend bool operator==(const thread_topic&, const thread_topic&) = default;
};

/// Escapes a thread id into one topic segment / NATS token (see above).
std::string escape_thread_id(std::string_view thread_id);

/// Reverses `escape_thread_id`. errc::malformed naming the offset for a
/// truncated or non-canonical escape or a byte that must be escaped;
/// errc::invalid_argument if the result is empty, over
/// `max_thread_id_size` or not UTF-8.
result<std::string> unescape_thread_id(std::string_view token);

/// Returns /swarm/thread/{escaped thread_id}/{verb}. errc::invalid_argument
/// for an empty, oversize or non-UTF-8 thread id or an invalid verb.
result<std::string> p2p_topic(std::string_view thread_id,
                              std::string_view verb);

/// Returns the topic of kind `k` (verb `verb(k)`).
result<std::string> p2p_topic(std::string_view thread_id, kind k);

/// Returns thread.{escaped thread_id}.{verb}; errors as `p2p_topic`.
result<std::string> nats_subject(std::string_view thread_id,
                                 std::string_view verb);

/// Returns the subject of kind `k` (verb `verb(k)`).
result<std::string> nats_subject(std::string_view thread_id, kind k);

/// Parses a thread topic back into its thread id and verb. errc::malformed
/// for another root, a missing segment or verb, or a bad escape.
result<thread_topic> parse_p2p_topic(std::string_view topic);

/// Parses a thread subject back into its thread id and verb. errc::malformed
/// unless it is exactly three tokens "thread", {thread}, {verb}.
result<thread_topic> parse_nats_subject(std::string_view subject);

/// Returns /swarm/thread/{escaped thread_id}/: exactly the topics of this
/// thread start with it.
result<std::string> p2p_thread_prefix(std::string_view thread_id);

/// Returns thread.{escaped thread_id}.*: the NATS wildcard for every verb
/// of this thread.
result<std::string> nats_thread_wildcard(std::string_view thread_id);

} // namespace canswarm::envelope
