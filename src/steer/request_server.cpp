#include "request_server.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <span>
#include <utility>

#include "../core/backoff.hpp"
#include "protocol.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/receive.hpp"

namespace sluice::steer::detail {

RequestServer::RequestServer(const Runtime& runtime, const ParamTable& params,
                             const ExposureTable& streams, std::vector<int> services)
    : m_runtime(&runtime),
      m_params(&params),
      m_streams(&streams),
      m_services(std::move(services)) {}

void RequestServer::answer(int to, std::uint64_t id, Code code, std::int64_t iteration, bool paused,
                           std::string_view text) {
  ReplyHeader header;
  header.id = id;
  header.code = code;
  header.iteration = iteration;
  header.paused = paused ? 1 : 0;
  const auto message = encode_reply(header, text);
  // Small, and the service process always has a receive pending: the send is eager.
  check_mpi(MPI_Send(message.data(), static_cast<int>(message.size()), MPI_BYTE, to, reply_tag,
                     m_runtime->world().get()),
            "MPI_Send", "answering a steering request");
}

int RequestServer::receive(std::vector<std::byte>& message) {
  const auto from = mpi::receive_if_any(m_runtime->world(), MPI_ANY_SOURCE, request_tag, message,
                                        "receiving a steering request");
  return from ? from->source : -1;
}

bool RequestServer::collect(std::string& batch, bool wait_for_change, std::int64_t iteration,
                            bool paused, std::string_view waiting) {
  // What was accepted earlier (while the simulation waited on a reader) is still to be
  // answered at the next confirm().
  bool stop = false;
  sluice::detail::Backoff backoff(std::chrono::milliseconds(1));
  std::vector<std::byte> message;
  // Injections make batches large; what does not fit waits for the next iteration
  // (and the broadcast count stays within an int).
  constexpr std::size_t max_batch_bytes = std::size_t{512} << 20;
  while (batch.size() < max_batch_bytes) {
    const int from = receive(message);
    if (from < 0) {
      if (!wait_for_change || !batch.empty()) {
        return stop;
      }
      backoff.wait();
      continue;
    }
    if (m_runtime->role_of(from) != Role::service) {
      log::warn("ignored a steering request from world rank ", from,
                ", which is not a service process");
      continue;
    }
    RequestHeader request;
    std::string_view name;
    std::string_view body;
    if (!decode_request(message, request, name, body)) {
      answer(from, 0, Code::bad_request, iteration, paused, "malformed steering request");
      continue;
    }
    Verdict verdict;
    switch (request.kind) {
      case RequestKind::status:
        answer(from, request.id, Code::ok, iteration, paused,
               encode_status(m_params->entries(), m_streams->streams(), waiting));
        continue;
      case RequestKind::set:
        verdict = m_params->check_set(name, value_from_bits(request.type, request.payload));
        break;
      case RequestKind::control_stream: {
        StreamControl control;
        verdict = decode_control(body, control)
                      ? m_streams->check_control(name, control)
                      : Verdict{Code::bad_request, "malformed stream control"};
        break;
      }
      case RequestKind::inject: {
        std::string dtype;
        Box region;
        std::string_view data;
        verdict = decode_injection(body, dtype, region, data)
                      ? m_streams->check_injection(name, dtype, region, data.size())
                      : Verdict{Code::bad_request, "malformed injection"};
        break;
      }
      case RequestKind::stop:
        stop = true;
        break;
      case RequestKind::pause:
      case RequestKind::resume:
        break;
      default:
        verdict = {Code::bad_request, "unknown steering request kind " +
                                          std::to_string(static_cast<std::uint32_t>(request.kind))};
    }
    if (!verdict.ok()) {
      answer(from, request.id, verdict.code, iteration, paused, verdict.message);
      continue;
    }
    batch.append(reinterpret_cast<const char*>(message.data()), message.size());
    if (waiting.empty()) {
      m_accepted.push_back({from, request.id});
    } else {
      // The simulation waits on a reader, for as long as the reader lease allows: the
      // change is answered now rather than when the wait ends (a client would time
      // out). Every rank applies it when it ends the iteration it is publishing,
      // `iteration` + 1, so it holds from the one after. (A simulation that waits on a
      // reader is not paused: only a pause leaves it paused then.)
      answer(from, request.id, Code::ok, iteration + 2, request.kind == RequestKind::pause, {});
    }
  }
  return stop;
}

void RequestServer::confirm(std::int64_t from_iteration, bool paused) {
  for (const auto& [to, id] : m_accepted) {
    answer(to, id, Code::ok, from_iteration, paused, {});
  }
  m_accepted.clear();
}

void RequestServer::close(std::int64_t iteration, bool paused) {
  // Every service process learns that the simulation finished and answers with a
  // goodbye, after which it sends nothing. Until then, whatever arrives is received
  // (a service may be in the middle of sending a large injection, which would never
  // complete otherwise) and answered "finished".
  for (int service : m_services) {
    answer(service, 0, Code::finished, iteration, paused, "the simulation has finished");
  }
  std::vector<int> waiting = m_services;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  sluice::detail::Backoff backoff(std::chrono::milliseconds(1));
  std::vector<std::byte> message;
  while (!waiting.empty()) {
    // A service process that is gone says nothing any more.
    std::erase_if(waiting, [this](int service) { return m_runtime->is_gone(service); });
    if (waiting.empty()) {
      break;
    }
    const int from = receive(message);
    if (from < 0) {
      if (std::chrono::steady_clock::now() > give_up) {
        log::warn("closing steering: ", waiting.size(),
                  " service process(es) did not say goodbye within 10 s (no steering Link?)");
        return;
      }
      backoff.wait();
      continue;
    }
    RequestHeader request;
    std::string_view name;
    std::string_view body;
    if (!decode_request(message, request, name, body)) {
      continue;
    }
    if (request.kind == RequestKind::goodbye) {
      std::erase(waiting, from);
    } else {
      answer(from, request.id, Code::finished, iteration, paused, "the simulation has finished");
    }
  }
}

}  // namespace sluice::steer::detail
