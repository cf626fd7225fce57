#include "sluice/steer/link.hpp"

#include <mpi.h>

#include <algorithm>

#include "protocol.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/receive.hpp"

namespace sluice::steer {

namespace {

Response failure(Code code, std::int64_t iteration, std::string message) {
  Response response;
  response.code = code;
  response.iteration = iteration;
  response.message = std::move(message);
  return response;
}

}  // namespace

struct Link::Pending {
  bool done = false;
  Response response;
  std::condition_variable ready;
};

Link::Link(const Runtime& runtime)
    : m_runtime(&runtime), m_sends(runtime.world(), "sending a steering request") {
  if (runtime.role() != Role::service) {
    throw RoleError("creating a sluice::steer::Link",
                    "this process plays the role '" + std::string(role_name(runtime.role())) + "'",
                    "the steering server runs on a service process");
  }
  const auto simulation = runtime.ranks_of(Role::simulation);
  if (simulation.empty()) {
    throw RoleError("creating a sluice::steer::Link", "the job has no simulation to steer");
  }
  m_simulation_root = simulation.front();
}

Link::~Link() = default;

bool Link::finished() const {
  const std::lock_guard lock(m_mutex);
  return m_finished;
}

Response Link::status(std::chrono::milliseconds timeout) {
  return call(static_cast<int>(detail::RequestKind::status), {}, Value{}, {}, timeout);
}
Response Link::set(std::string_view name, const Value& value, std::chrono::milliseconds timeout) {
  return call(static_cast<int>(detail::RequestKind::set), name, value, {}, timeout);
}
Response Link::control_stream(std::string_view stream, const StreamControl& control,
                              std::chrono::milliseconds timeout) {
  return call(static_cast<int>(detail::RequestKind::control_stream), stream, Value{},
              detail::encode_control(control), timeout);
}
Response Link::inject(std::string_view stream, std::string_view dtype, const Box& region,
                      std::span<const std::byte> data, std::chrono::milliseconds timeout) {
  if (data.size() > max_injection_bytes) {
    return failure(Code::bad_request, -1,
                   "an injection carries at most " + std::to_string(max_injection_bytes >> 20) +
                       " MiB; this one " + std::to_string(data.size()) + " bytes");
  }
  return call(static_cast<int>(detail::RequestKind::inject), stream, Value{},
              detail::encode_injection(dtype, region, data), timeout);
}
Response Link::pause(std::chrono::milliseconds timeout) {
  return call(static_cast<int>(detail::RequestKind::pause), {}, Value{}, {}, timeout);
}
Response Link::resume(std::chrono::milliseconds timeout) {
  return call(static_cast<int>(detail::RequestKind::resume), {}, Value{}, {}, timeout);
}
Response Link::stop(std::chrono::milliseconds timeout) {
  return call(static_cast<int>(detail::RequestKind::stop), {}, Value{}, {}, timeout);
}

Response Link::call(int kind, std::string_view name, const Value& value, std::string_view body,
                    std::chrono::milliseconds timeout) {
  auto pending = std::make_shared<Pending>();
  std::unique_lock lock(m_mutex);
  if (m_finished) {
    return failure(Code::finished, m_last_iteration, "the simulation has finished");
  }
  detail::RequestHeader header;
  header.kind = static_cast<detail::RequestKind>(kind);
  header.id = m_next_id++;
  header.type = type_of(value);
  header.payload = detail::value_bits(value);
  m_outgoing.emplace_back(header.id, detail::encode_request(header, name, body));
  m_waiting.emplace(header.id, pending);
  m_work.notify_one();
  if (!pending->ready.wait_for(lock, timeout, [&] { return pending->done; })) {
    m_waiting.erase(header.id);  // a late answer is dropped
    const auto queued = std::find_if(m_outgoing.begin(), m_outgoing.end(),
                                     [&](const auto& entry) { return entry.first == header.id; });
    const bool withdrawn = queued != m_outgoing.end();
    if (withdrawn) {
      m_outgoing.erase(queued);
    }
    return failure(Code::timeout, m_last_iteration,
                   "the simulation did not answer within " + std::to_string(timeout.count()) +
                       " ms (changes apply at iteration boundaries; is it in a long "
                       "iteration?); " +
                       (withdrawn ? "the request was withdrawn: nothing changes"
                                  : "the request was sent: it may still be applied, check "
                                    "the status before repeating it"));
  }
  return std::move(pending->response);
}

bool Link::pump(std::chrono::milliseconds wait) {
  std::deque<std::pair<std::uint64_t, std::vector<std::byte>>> outgoing;
  {
    std::unique_lock lock(m_mutex);
    if (m_finished) {
      return false;
    }
    // While answers are awaited, look for them often (they come at the simulation's
    // iteration boundaries) but still sleep: a spinning service process would take a
    // core from the simulation.
    const auto nap = m_waiting.empty()
                         ? std::chrono::microseconds(wait)
                         : std::min(std::chrono::microseconds(wait), std::chrono::microseconds(20));
    m_work.wait_for(lock, nap, [&] { return !m_outgoing.empty(); });
    outgoing.swap(m_outgoing);
  }
  // Nonblocking sends, so that a large injection never holds the pump while the
  // simulation is mid-iteration.
  for (auto& [id, message] : outgoing) {
    m_sends.send(m_simulation_root, detail::request_tag, std::move(message));
  }
  m_sends.test();
  std::vector<std::byte> message;
  for (;;) {
    // Two probes: a single one misses most answers that have already arrived until
    // the next nap (see receive_if_any).
    if (!mpi::receive_if_any(m_runtime->world(), m_simulation_root, detail::reply_tag, message,
                             "receiving a steering answer", /*probes=*/2)) {
      return true;
    }
    detail::ReplyHeader header;
    std::string_view text;
    if (!detail::decode_reply(message, header, text)) {
      continue;  // never from a simulation rank 0 of the same build
    }
    const std::lock_guard lock(m_mutex);
    m_last_iteration = header.iteration;
    if (header.id == 0 && header.code == Code::finished) {
      // Simulation rank 0 receives until every service process says goodbye, which
      // MPI orders after everything this process sent it: the sends in flight complete.
      detail::RequestHeader goodbye;
      goodbye.kind = detail::RequestKind::goodbye;
      m_sends.send(m_simulation_root, detail::request_tag, detail::encode_request(goodbye, {}));
      m_sends.drain();
      // Everything still waiting ends now.
      m_finished = true;
      for (auto& [id, pending] : m_waiting) {
        pending->response =
            failure(Code::finished, header.iteration, "the simulation has finished");
        pending->done = true;
        pending->ready.notify_all();
      }
      m_waiting.clear();
      return false;
    }
    const auto found = m_waiting.find(header.id);
    if (found == m_waiting.end()) {
      continue;  // its caller timed out
    }
    Response& response = found->second->response;
    response.code = header.code;
    response.iteration = header.iteration;
    response.paused = header.paused != 0;
    if (header.code == Code::ok) {
      if (!text.empty() &&
          !detail::decode_status(text, response.params, response.streams, &response.waiting)) {
        response.code = Code::bad_request;
        response.message = "the simulation's parameter table is malformed";
      }
    } else {
      response.message = std::string(text);
    }
    found->second->done = true;
    found->second->ready.notify_all();
    m_waiting.erase(found);
  }
}

}  // namespace sluice::steer
