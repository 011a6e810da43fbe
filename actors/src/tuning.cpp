#include "canswarm/actors/tuning.hpp"

#include <malloc.h>

namespace canswarm {

void apply_runtime_tuning(caf::actor_system_config& cfg) {
  cfg.set("work-stealing.aggressive-poll-attempts", scheduler_spin_attempts);
  cfg.set("work-stealing.moderate-poll-attempts", std::size_t{0});
  mallopt(M_MMAP_THRESHOLD, malloc_mmap_threshold);
  mallopt(M_TRIM_THRESHOLD, malloc_trim_threshold);
}

} // namespace canswarm
