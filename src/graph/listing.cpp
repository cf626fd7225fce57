#include "sluice/graph/listing.hpp"

#include <algorithm>
#include <mutex>
#include <thread>

#include "sluice/core/log.hpp"
#include "sluice/mpi/receive.hpp"
#include "sluice/mpi/send_queue.hpp"
#include "wire.hpp"

namespace sluice::graph {

std::vector<GraphStatus> graphs_on_ring(const Runtime& runtime, std::chrono::milliseconds timeout) {
  static std::mutex serialised;  // replies of one call must not reach another
  static std::uint64_t requests = 0;
  const std::lock_guard lock(serialised);
  const auto schedulers = runtime.ranks_of(Role::scheduler);
  std::vector<GraphStatus> statuses;
  if (schedulers.empty()) {
    return statuses;
  }
  const std::uint64_t request = ++requests;
  mpi::SendQueue outbox(runtime.world(), "asking the schedulers for their graphs");
  const std::string message = detail::encode_simple(detail::MessageKind::list_request, request);
  for (int scheduler : schedulers) {
    detail::send(outbox, scheduler, message);
  }
  std::size_t answers = 0;
  std::vector<std::byte> reply;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (answers < schedulers.size() && std::chrono::steady_clock::now() < deadline) {
    const auto from = mpi::receive_if_any(runtime.world(), MPI_ANY_SOURCE, detail::graph_tag, reply,
                                          "receiving the schedulers' graphs");
    if (!from) {
      outbox.test();
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      continue;
    }
    const std::string_view bytes(reinterpret_cast<const char*>(reply.data()), reply.size());
    detail::MessageKind kind{};
    std::uint64_t key = 0;
    if (!detail::read_header(bytes, kind, key) || kind != detail::MessageKind::list_reply ||
        key != request) {
      continue;  // a late answer to an earlier call
    }
    try {
      for (auto& s : detail::decode_listing(bytes)) {
        statuses.push_back(std::move(s));
      }
    } catch (const Error& e) {
      log::warn("a scheduler's list of graphs was refused: ", e.what());
    }
    ++answers;
  }
  // Sends to a scheduler that did not take them in time are not waited for.
  outbox.test();
  if (outbox.pending() > 0) {
    log::warn(outbox.pending(), " scheduler(s) did not take the request for their graphs");
  }
  std::sort(statuses.begin(), statuses.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return statuses;
}

}  // namespace sluice::graph
