#include "canswarm/actors/broker_mailbox.hpp"

#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduled_actor.hpp>

// This file is compiled without UBSan's vptr check (actors/CMakeLists.txt):
// CAF's intrusive queues return their sentinel node cast to the element
// type (task_queue::back() on an empty queue), which the check reports.
// libcaf itself, where scheduled_actor::cleanup runs the same code, is not
// instrumented.

namespace canswarm {

void drain_mailbox_on_exit(caf::scheduled_actor* self) {
  // The attached functor runs in the broker's own cleanup, on the thread
  // that runs the broker, which is the only one allowed to read its queue.
  self->attach_functor([self](const caf::error& reason) {
    auto& mailbox = self->mailbox();
    if (mailbox.closed())
      return;
    mailbox.close();
    self->get_normal_queue().flush_cache();
    self->get_urgent_queue().flush_cache();
    caf::detail::sync_request_bouncer bounce{
      reason ? reason : caf::make_error(caf::exit_reason::normal)};
    while (mailbox.queue().new_round(1000, bounce).consumed_items) {
      // Each round drops up to 1000 queued messages.
    }
  });
}

} // namespace canswarm
