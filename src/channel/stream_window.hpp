#pragma once
// Private: which kind of MPI window holds a stream's slots (one per stream, over the
// whole job, allocated once).
#include <cstddef>

#include "sluice/mpi/window.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::channel::detail {

// Collective over runtime.world(); every process takes the same decision.
mpi::Window allocate_stream_window(const Runtime& runtime, std::size_t bytes);

}  // namespace sluice::channel::detail
