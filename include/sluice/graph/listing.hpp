#pragma once
/// @file
/// The graphs running on the scheduler ring, for tools that did not submit them (the
/// steering server's status).
///
/// @code
/// for (const auto& g : sluice::graph::graphs_on_ring(runtime, std::chrono::seconds(1))) {
///   std::printf("%s: %llu iterations\n", g.name.c_str(), (unsigned long long)g.iterations);
/// }
/// @endcode

#include <chrono>
#include <vector>

#include "sluice/graph/status.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::graph {

/// The status of every graph whose root runs on a scheduler of the job, as their roots
/// know it, sorted by name. Asks each scheduler process (one message each) and waits
/// up to `timeout` for their answers; schedulers that did not answer in time are left
/// out. Empty in a job without schedulers. Local; thread-safe (calls are serialised).
/// This process must not be a graph client (it would take the client's messages).
[[nodiscard]] std::vector<GraphStatus> graphs_on_ring(const Runtime& runtime,
                                                      std::chrono::milliseconds timeout);

}  // namespace sluice::graph
