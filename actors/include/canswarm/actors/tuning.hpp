#pragma once

// Process-level runtime settings every canswarm process (the node, its
// benchmarks) applies before it starts the actor system. Measured with the
// connection benchmark (tests/bench/connection_bench.cpp) on 2-core VMs:
//
// - CAF's work-stealing scheduler polls for work every 50 us in its
//   "moderate" phase after a short aggressive spin; on a VM those wake-ups
//   took 35-43 % of all samples of an otherwise idle node and cut stream
//   throughput about 3x. Idle workers now go from a short spin straight to
//   the relaxed phase (blocking wait).
// - glibc returns every freed block above 128 KiB to the kernel, so stream
//   buffers between 64 KiB and 1 MiB were mmapped and faulted in afresh on
//   every batch (about half the receiver's time). Large blocks are now kept
//   in the heap (mmap threshold 32 MiB, trim threshold 256 MiB).

#include <caf/actor_system_config.hpp>

namespace canswarm {

/// Spin attempts of an idle CAF worker before it blocks.
inline constexpr std::size_t scheduler_spin_attempts = 10;

/// Blocks at or above this size are mmapped by malloc.
inline constexpr int malloc_mmap_threshold = 32 * 1024 * 1024;

/// Free heap memory above this is returned to the kernel.
inline constexpr int malloc_trim_threshold = 256 * 1024 * 1024;

/// Applies the scheduler settings to `cfg` and the malloc settings to the
/// process (idempotent).
void apply_runtime_tuning(caf::actor_system_config& cfg);

} // namespace canswarm
