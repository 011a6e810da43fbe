// Frees what is left in a broker's mailbox when the broker terminates.
//
// Every CAF 0.17 scheduled actor closes and drains its mailbox in
// scheduled_actor::cleanup; abstract_broker::cleanup skips that step (it
// calls local_actor::cleanup directly). A broker's mailbox therefore stays
// open after the broker quits: messages that arrive later, and messages
// that were still queued, are kept until the broker object is destroyed.
// When one of them holds a strong reference back to the broker (its own
// delayed tick, or a message from a peer broker whose mailbox in turn holds
// this one), the broker is never destroyed: a reference cycle through
// mailboxes that leaked control connections and peer connections with
// their scribes and buffers (LeakSanitizer in actors_control).
//
// `drain_mailbox_on_exit(self)`, called once when a broker starts, attaches
// a cleanup step that does what scheduled_actor::cleanup does: close the
// mailbox (later messages are dropped, requests among them answered with
// an error) and drop what is queued.
#pragma once

namespace caf {
class scheduled_actor;
} // namespace caf

namespace canswarm {

void drain_mailbox_on_exit(caf::scheduled_actor* self);

} // namespace canswarm
