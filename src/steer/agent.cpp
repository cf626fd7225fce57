#include "sluice/steer/agent.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "../core/backoff.hpp"
#include "../core/box_copy.hpp"
#include "protocol.hpp"
#include "sluice/core/hash.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/receive.hpp"

namespace sluice::steer {

namespace {

// Waits for a nonblocking collective without spinning a core in MPI: a paused
// simulation's ranks may wait here for minutes, next to analytics that need the CPU.
void wait_politely(MPI_Request& request) {
  sluice::detail::Backoff backoff(std::chrono::milliseconds(2));
  for (int done = 0;;) {
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test",
              "waiting for the steering broadcast");
    if (done != 0) {
      return;
    }
    backoff.wait();
  }
}

std::string describe_range(const ParamEntry& entry) {
  return "[" + (entry.min ? to_string(*entry.min) : std::string("-inf")) + ", " +
         (entry.max ? to_string(*entry.max) : std::string("inf")) + "]";
}

bool below(const Value& value, const Value& bound) {
  return std::visit(
      [&](auto v) {
        using T = decltype(v);
        if constexpr (std::is_same_v<T, bool>) {
          return false;
        } else {
          return v < std::get<T>(bound);
        }
      },
      value);
}

// Empty if `value` may be the parameter's value, otherwise why not, with its code.
std::pair<Code, std::string> check_value(const ParamEntry& entry, const Value& value) {
  if (type_of(value) != entry.type) {
    return {Code::wrong_type, "'" + entry.name + "' holds " +
                                  std::string(value_type_name(entry.type)) + ", not " +
                                  std::string(value_type_name(type_of(value)))};
  }
  if (const auto* f = std::get_if<double>(&value); f != nullptr && !std::isfinite(*f)) {
    return {Code::out_of_range,
            "'" + entry.name + "' must be a finite number, not " + to_string(value)};
  }
  if ((entry.min && below(value, *entry.min)) || (entry.max && below(*entry.max, value))) {
    return {Code::out_of_range, "'" + entry.name + "' must be in " + describe_range(entry) +
                                    ", not " + to_string(value)};
  }
  return {Code::ok, {}};
}

// The part of `region` (raw row-major `data`, resolved) inside this rank's block of
// `stream`, as an injection of that box; nullopt if they do not meet.
std::optional<Injection> own_part(const SteeredStream& stream, const Box& region,
                                  std::string_view data) {
  if (stream.block.rank() != stream.shape.size()) {
    return std::nullopt;  // a stream without a block here (not exposed by a Bridge)
  }
  Injection part;
  part.region = region.intersect(stream.block);
  if (part.region.empty()) {
    return std::nullopt;
  }
  const std::size_t element = dtype_size(stream.dtype);
  const std::size_t dims = region.rank();
  Extents in_region(dims);
  for (std::size_t d = 0; d < dims; ++d) {
    in_region[d] = part.region.start[d] - region.start[d];
  }
  part.data.resize(static_cast<std::size_t>(part.region.elements()) * element);
  sluice::detail::copy_box(part.data.data(), part.region.count, Extents(dims, 0),
                           reinterpret_cast<const std::byte*>(data.data()), region.count, in_region,
                           part.region.count, element);
  return part;
}

}  // namespace

Agent::Agent(const Runtime& runtime) : m_runtime(&runtime), m_root(runtime.comm().rank() == 0) {
  const auto services = runtime.ranks_of(Role::service);
  m_services.assign(services.begin(), services.end());
}

Agent::~Agent() = default;

ParamEntry& Agent::add_entry(ParamEntry entry) {
  const std::string asked = "registering parameter '" + entry.name + "'";
  if (m_started) {
    throw StateError(asked, "the simulation has started",
                     "register parameters before the first publish or end_iteration");
  }
  if (entry.name.empty() || entry.name.size() > 127) {
    throw InvalidArgument(asked, "a parameter name has 1 to 127 characters");
  }
  if (find(entry.name) != nullptr) {
    throw InvalidArgument(asked, "a parameter of that name is already registered");
  }
  if (entry.type == ValueType::flag && (entry.min || entry.max)) {
    throw InvalidArgument(asked, "a flag takes no bounds");
  }
  if ((entry.min && entry.type == ValueType::f64 && std::isnan(std::get<double>(*entry.min))) ||
      (entry.max && entry.type == ValueType::f64 && std::isnan(std::get<double>(*entry.max)))) {
    throw InvalidArgument(asked, "a bound is NaN");
  }
  if (entry.min && entry.max && below(*entry.max, *entry.min)) {
    throw InvalidArgument(
        asked, "min " + to_string(*entry.min) + " is above max " + to_string(*entry.max));
  }
  if (const auto [code, problem] = check_value(entry, entry.value); code != Code::ok) {
    throw InvalidArgument(asked, "the default: " + problem);
  }
  m_params.push_back(std::make_unique<ParamEntry>(std::move(entry)));
  return *m_params.back();
}

SteeredStream& Agent::add_stream(std::string_view name, Dtype dtype, Extents shape) {
  if (m_started) {
    throw StateError("registering stream '" + std::string(name) + "' for steering",
                     "the simulation has started", "expose streams before the first publish");
  }
  auto stream = std::make_unique<SteeredStream>();
  stream->name = std::string(name);
  stream->dtype = dtype;
  stream->shape = std::move(shape);
  stream->exposure.region = Box::all(stream->shape);
  m_streams.push_back(std::move(stream));
  return *m_streams.back();
}

SteeredStream* Agent::find_stream(std::string_view name) const {
  const auto found = std::find_if(m_streams.begin(), m_streams.end(),
                                  [&](const auto& stream) { return stream->name == name; });
  return found == m_streams.end() ? nullptr : found->get();
}

std::pair<Code, std::string> Agent::check_stream_request(bool inject, std::string_view name,
                                                         std::string_view body) const {
  const SteeredStream* stream = find_stream(name);
  if (stream == nullptr) {
    std::string known;
    for (const auto& s : m_streams) {
      known += (known.empty() ? "" : ", ") + s->name;
    }
    return {Code::unknown_name,
            "no stream '" + std::string(name) + "'; streams: " + (known.empty() ? "none" : known)};
  }
  if (!inject) {
    StreamControl control;
    if (!detail::decode_control(body, control)) {
      return {Code::bad_request, "malformed stream control"};
    }
    if (control.every && (*control.every < 1 || *control.every > max_every)) {
      return {Code::out_of_range, "'every' must be in [1, " + std::to_string(max_every) +
                                      "], not " + std::to_string(*control.every)};
    }
    if (control.region) {
      const Box region = control.region->resolved(stream->shape);
      if (auto problem = region.check_within(stream->shape); !problem.empty()) {
        return {Code::bad_region, "region " + control.region->describe() + " of stream '" +
                                      stream->name + "': " + problem};
      }
    }
    return {Code::ok, {}};
  }
  if (!stream->injectable) {
    return {Code::not_permitted, "the simulation does not take injections into stream '" +
                                     stream->name + "' (Channel::accept_injections)"};
  }
  std::string dtype;
  Box region;
  std::string_view data;
  if (!detail::decode_injection(body, dtype, region, data)) {
    return {Code::bad_request, "malformed injection"};
  }
  const std::string holds(dtype_name(stream->dtype));
  if (dtype != holds) {
    return {Code::wrong_type, "stream '" + stream->name + "' holds " + holds + ", not " + dtype};
  }
  region = region.resolved(stream->shape);
  if (auto problem = region.check_within(stream->shape); !problem.empty()) {
    return {Code::bad_region,
            "region " + region.describe() + " of stream '" + stream->name + "': " + problem};
  }
  const auto expected = static_cast<std::size_t>(region.elements()) * dtype_size(stream->dtype);
  if (data.size() != expected) {
    return {Code::bad_request, "region " + region.describe() + " of " + holds + " takes " +
                                   std::to_string(expected) + " bytes; " +
                                   std::to_string(data.size()) + " were sent"};
  }
  return {Code::ok, {}};
}

ParamEntry* Agent::find(std::string_view name) const {
  const auto found = std::find_if(m_params.begin(), m_params.end(),
                                  [&](const auto& entry) { return entry->name == name; });
  return found == m_params.end() ? nullptr : found->get();
}

void Agent::start() {
  if (m_started) {
    return;
  }
  m_started = true;
  // Every rank must hold the same table, or a change would mean different things on
  // different ranks: compare the encoded tables' sizes and hashes.
  const std::string table = detail::encode_status(m_params, m_streams);
  std::uint64_t mine[2] = {table.size(), stable_hash(table)};
  std::uint64_t lowest[2] = {0, 0};
  std::uint64_t highest[2] = {0, 0};
  check_mpi(MPI_Allreduce(mine, lowest, 2, MPI_UINT64_T, MPI_MIN, m_runtime->comm().get()),
            "MPI_Allreduce", "comparing the parameters of the simulation ranks");
  check_mpi(MPI_Allreduce(mine, highest, 2, MPI_UINT64_T, MPI_MAX, m_runtime->comm().get()),
            "MPI_Allreduce", "comparing the parameters of the simulation ranks");
  if (lowest[0] != highest[0] || lowest[1] != highest[1]) {
    throw InvalidArgument("starting the simulation's steering",
                          "the simulation ranks registered different parameters, or differ in "
                          "which streams accept injections",
                          "register the same parameters, with the same defaults and bounds, "
                          "in the same order on every rank, and accept injections on all or "
                          "none");
  }
}

void Agent::answer(int to, std::uint64_t id, int code, std::int64_t iteration,
                   std::string_view text) {
  detail::ReplyHeader header;
  header.id = id;
  header.code = static_cast<Code>(code);
  header.iteration = iteration;
  header.paused = m_paused ? 1 : 0;
  const auto message = detail::encode_reply(header, text);
  // Small, and the service process always has a receive pending: the send is eager.
  check_mpi(MPI_Send(message.data(), static_cast<int>(message.size()), MPI_BYTE, to,
                     detail::reply_tag, m_runtime->world().get()),
            "MPI_Send", "answering a steering request");
}

int Agent::receive_request(std::vector<std::byte>& message) {
  const auto from = mpi::receive_if_any(m_runtime->world(), MPI_ANY_SOURCE, detail::request_tag,
                                        message, "receiving a steering request");
  return from ? from->source : -1;
}

void Agent::collect(std::string& batch, std::vector<Answer>& answers, bool wait_for_change) {
  sluice::detail::Backoff backoff(std::chrono::milliseconds(1));
  std::vector<std::byte> message;
  // Injections make batches large; what does not fit waits for the next iteration
  // (and the broadcast count stays within an int).
  constexpr std::size_t max_batch_bytes = std::size_t{512} << 20;
  while (batch.size() < max_batch_bytes) {
    const int from = receive_request(message);
    if (from < 0) {
      if (!wait_for_change || !batch.empty()) {
        return;
      }
      backoff.wait();
      continue;
    }

    detail::RequestHeader request;
    std::string_view name;
    std::string_view body;
    if (m_runtime->role_of(from) != Role::service) {
      log::warn("ignored a steering request from world rank ", from,
                ", which is not a service process");
      continue;
    }
    if (!detail::decode_request(message, request, name, body)) {
      answer(from, 0, static_cast<int>(Code::bad_request), m_iteration,
             "malformed steering request");
      continue;
    }
    switch (request.kind) {
      case detail::RequestKind::status:
        answer(from, request.id, static_cast<int>(Code::ok), m_iteration,
               detail::encode_status(m_params, m_streams));
        break;
      case detail::RequestKind::set: {
        const ParamEntry* entry = find(name);
        const auto value = detail::value_from_bits(request.type, request.payload);
        if (entry == nullptr) {
          std::string known;
          for (const auto& p : m_params) {
            known += (known.empty() ? "" : ", ") + p->name;
          }
          answer(from, request.id, static_cast<int>(Code::unknown_name), m_iteration,
                 "no parameter '" + std::string(name) +
                     "'; parameters: " + (known.empty() ? "none" : known));
          break;
        }
        if (!value) {
          answer(from, request.id, static_cast<int>(Code::bad_request), m_iteration,
                 "the value's type is not one of f64, i64, bool");
          break;
        }
        if (const auto [code, problem] = check_value(*entry, *value); code != Code::ok) {
          answer(from, request.id, static_cast<int>(code), m_iteration, problem);
          break;
        }
        batch.append(reinterpret_cast<const char*>(message.data()), message.size());
        answers.push_back({from, request.id});
        break;
      }
      case detail::RequestKind::control_stream:
      case detail::RequestKind::inject:
        if (const auto [code, problem] =
                check_stream_request(request.kind == detail::RequestKind::inject, name, body);
            code != Code::ok) {
          answer(from, request.id, static_cast<int>(code), m_iteration, problem);
          break;
        }
        batch.append(reinterpret_cast<const char*>(message.data()), message.size());
        answers.push_back({from, request.id});
        break;
      case detail::RequestKind::pause:
      case detail::RequestKind::resume:
      case detail::RequestKind::stop:
        batch.append(reinterpret_cast<const char*>(message.data()), message.size());
        answers.push_back({from, request.id});
        break;
      default:
        answer(from, request.id, static_cast<int>(Code::bad_request), m_iteration,
               "unknown steering request kind " +
                   std::to_string(static_cast<std::uint32_t>(request.kind)));
    }
  }
}

void Agent::broadcast(std::string& batch) {
  const MPI_Comm comm = m_runtime->comm().get();
  std::uint64_t bytes = batch.size();
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibcast(&bytes, 1, MPI_UINT64_T, 0, comm, &request), "MPI_Ibcast",
            "broadcasting steering changes");
  wait_politely(request);
  if (bytes == 0) {
    return;
  }
  batch.resize(bytes);
  check_mpi(MPI_Ibcast(batch.data(), static_cast<int>(bytes), MPI_BYTE, 0, comm, &request),
            "MPI_Ibcast", "broadcasting steering changes");
  wait_politely(request);
}

void Agent::apply(std::string_view batch, std::int64_t from_iteration) {
  while (!batch.empty()) {
    // Rank 0 checked every message before it entered the batch.
    detail::RequestHeader change;
    std::memcpy(&change, batch.data(), sizeof(change));
    const std::string_view name = batch.substr(sizeof(change), change.name_bytes);
    const std::string_view body =
        batch.substr(sizeof(change) + change.name_bytes, change.body_bytes);
    batch.remove_prefix(sizeof(change) + change.name_bytes + change.body_bytes);
    switch (change.kind) {
      case detail::RequestKind::set: {
        // Checked by rank 0 against the same table: found and valid on every rank.
        ParamEntry* entry = find(name);
        entry->value = *detail::value_from_bits(change.type, change.payload);
        entry->since_iteration = from_iteration;
        if (m_root) {
          log::info("steering: ", entry->name, " = ", to_string(entry->value), " from iteration ",
                    from_iteration);
        }
        break;
      }
      case detail::RequestKind::control_stream: {
        SteeredStream& stream = *find_stream(name);
        StreamControl control;
        detail::decode_control(body, control);
        Exposure& e = stream.exposure;
        e.enabled = control.enabled.value_or(e.enabled);
        if (control.every) {
          e.every = *control.every;
          e.phase = from_iteration;
        }
        if (control.region) {
          e.region = control.region->resolved(stream.shape);
        }
        e.since_iteration = from_iteration;
        if (m_root) {
          log::info("steering: stream ", stream.name, (e.enabled ? " on" : " off"), ", every ",
                    e.every, ", region ", e.region.describe(), " from iteration ", from_iteration);
        }
        break;
      }
      case detail::RequestKind::inject: {
        SteeredStream& stream = *find_stream(name);
        std::string dtype;
        std::string_view data;
        Box region;
        detail::decode_injection(body, dtype, region, data);
        region = region.resolved(stream.shape);
        if (m_root) {
          log::info("steering: injecting ", region.describe(), " into ", stream.name,
                    " at iteration ", from_iteration);
        }
        // Keep only the part this rank owns: a large injection is not held whole by
        // every rank until the simulation applies it.
        if (auto mine = own_part(stream, region, data)) {
          mine->iteration = from_iteration;
          stream.injections.push_back(std::move(*mine));
        }
        break;
      }
      case detail::RequestKind::pause:
        m_paused = true;
        break;
      case detail::RequestKind::resume:
        m_paused = false;
        break;
      case detail::RequestKind::stop:
        m_stop = true;
        m_paused = false;
        break;
      default:
        break;
    }
  }
}

void Agent::end_iteration(std::int64_t iteration) {
  start();
  m_iteration = iteration;
  for (const auto& stream : m_streams) {
    if (!stream->injections.empty() && stream->injections.front().iteration <= iteration &&
        !stream->warned_untaken) {
      stream->warned_untaken = true;
      log::warn("stream '", stream->name, "': an injection for iteration ",
                stream->injections.front().iteration,
                " was not applied; call apply_injections() on the stream's array in every "
                "iteration after accepting injections");
    }
  }
  if (!enabled()) {
    return;
  }
  bool was_paused = false;
  do {
    std::string batch;
    std::vector<Answer> answers;
    if (m_root) {
      collect(batch, answers, m_paused);
    }
    broadcast(batch);
    apply(batch, iteration + 1);
    if (m_root) {
      for (const auto& [to, id] : answers) {
        answer(to, id, static_cast<int>(Code::ok), iteration + 1, {});
      }
      if (m_paused && !was_paused) {
        log::info("steering: paused before iteration ", iteration + 1);
      }
    }
    was_paused = m_paused;
  } while (m_paused && !m_stop);
}

void Agent::close() {
  if (m_closed) {
    return;
  }
  m_closed = true;
  if (!m_root || !enabled()) {
    return;
  }
  // Every service process learns that the simulation finished and answers with a
  // goodbye, after which it sends nothing. Until then, whatever arrives is received
  // (a service may be in the middle of sending a large injection, which would never
  // complete otherwise) and answered "finished".
  for (int service : m_services) {
    answer(service, 0, static_cast<int>(Code::finished), m_iteration,
           "the simulation has finished");
  }
  std::vector<int> waiting(m_services.begin(), m_services.end());
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  sluice::detail::Backoff backoff(std::chrono::milliseconds(1));
  std::vector<std::byte> message;
  while (!waiting.empty()) {
    const int from = receive_request(message);
    if (from < 0) {
      if (std::chrono::steady_clock::now() > give_up) {
        log::warn("closing steering: ", waiting.size(),
                  " service process(es) did not say goodbye within 10 s (no steering Link?)");
        return;
      }
      backoff.wait();
      continue;
    }
    detail::RequestHeader request;
    std::string_view name;
    std::string_view body;
    if (!detail::decode_request(message, request, name, body)) {
      continue;
    }
    if (request.kind == detail::RequestKind::goodbye) {
      std::erase(waiting, from);
    } else {
      answer(from, request.id, static_cast<int>(Code::finished), m_iteration,
             "the simulation has finished");
    }
  }
}

}  // namespace sluice::steer
