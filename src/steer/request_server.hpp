#pragma once
// Private: simulation rank 0's side of the steering link.
//
// It receives the requests of the job's service processes (steer::Link), answers at
// once what needs no other rank (status, refused changes), and gathers the accepted
// changes into a batch that the Agent broadcasts and every simulation rank applies at
// the same iteration; after that, confirm() answers them with that iteration. At the
// end, close() tells every service process that the simulation finished and receives
// until each has said goodbye.
//
// Local (rank 0 only); not thread-safe: the simulation's thread calls it from
// Agent::end_iteration and Agent::close.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/runtime/runtime.hpp"
#include "sluice/steer/exposure_table.hpp"
#include "sluice/steer/param_table.hpp"
#include "sluice/steer/response.hpp"

namespace sluice::steer::detail {

class RequestServer {
 public:
  // `runtime` and both tables must outlive the server. `services`: world ranks of the
  // service processes.
  RequestServer(const Runtime& runtime, const ParamTable& params, const ExposureTable& streams,
                std::vector<int> services);
  RequestServer(const RequestServer&) = delete;
  RequestServer& operator=(const RequestServer&) = delete;

  // Receives what has arrived; appends the accepted changes to `batch` (at most about
  // 512 MiB: the rest waits for the next iteration). With `wait_for_change` (paused),
  // waits without spinning until there is one. `iteration` is the last one ended;
  // answers report `paused`.
  // `waiting`: what the simulation waits on, for status answers (see Agent::wait_on);
  // while it is not empty, accepted changes are answered at once, with the iteration
  // they will hold from. Returns whether a stop request was accepted.
  bool collect(std::string& batch, bool wait_for_change, std::int64_t iteration, bool paused,
               std::string_view waiting = {});

  // Answers the changes of the last batch: they hold from `from_iteration`.
  void confirm(std::int64_t from_iteration, bool paused);

  // Tells every service process that the simulation finished, and answers whatever
  // they still send "finished" until each says goodbye (at most 10 s).
  void close(std::int64_t iteration, bool paused);

 private:
  struct Accepted {
    int to;
    std::uint64_t id;
  };
  // One pending request into `message`; its sender's world rank, or -1 if none.
  int receive(std::vector<std::byte>& message);
  void answer(int to, std::uint64_t id, Code code, std::int64_t iteration, bool paused,
              std::string_view text);

  const Runtime* m_runtime;
  const ParamTable* m_params;
  const ExposureTable* m_streams;
  std::vector<int> m_services;
  std::vector<Accepted> m_accepted;  // in the batch being applied
};

}  // namespace sluice::steer::detail
