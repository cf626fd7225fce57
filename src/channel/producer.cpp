#include "sluice/channel/producer.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "channel_state.hpp"
#include "external_readers.hpp"
#include "setup.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "stream_info_codec.hpp"

namespace sluice::channel {

namespace {

// The reader lease a stream's producers apply (0: never evict), from its options or
// SLUICE_READER_LEASE.
std::chrono::nanoseconds reader_lease_of(const ChannelOptions& options) {
  std::chrono::duration<double> lease = options.reader_lease;
  if (lease.count() < 0) {
    lease = std::chrono::seconds(60);
    if (const char* text = std::getenv("SLUICE_READER_LEASE")) {
      char* end = nullptr;
      const double seconds = std::strtod(text, &end);
      if (end != text && *end == '\0' && seconds >= 0) {
        lease = std::chrono::duration<double>(seconds);
      } else {
        log::warn("SLUICE_READER_LEASE='", text,
                  "' is not a number of seconds (or inf): the lease stays 60 s");
      }
    }
  }
  if (!(lease.count() > 0) || lease.count() >= 1e9) {  // 0, inf: never
    return std::chrono::nanoseconds(0);
  }
  return std::chrono::duration_cast<std::chrono::nanoseconds>(lease);
}

}  // namespace

Producer::Producer(const Runtime& runtime, const mpi::Comm& group)
    : m_runtime(&runtime),
      m_group(&group),
      m_external(std::make_unique<detail::ExternalReaders>()) {}

Producer::~Producer() {
  try {
    close();
  } catch (const std::exception& e) {
    log::error("closing the streams failed: ", e.what());
  }
}

void Producer::start() const {
  if (m_start) {
    m_start();
  } else {
    m_runtime->start();
  }
}

Channel& Producer::expose_dtype(std::string_view name, Dtype dtype, std::span<const Layout> blocks,
                                ChannelOptions options) {
  const std::string asked = "exposing stream '" + std::string(name) + "'";
  // Checked locally first: every process of the group exposes the same names, so they
  // all reach the same verdict without a round trip.
  if (const auto problem = detail::check_name(name); !problem.empty()) {
    throw InvalidArgument(asked, problem);
  }
  for (const auto& channel : m_channels) {
    if (channel->info().name == name) {
      throw InvalidArgument(asked, "a stream of that name is already exposed");
    }
  }
  // Another group may have published the name: whoever sees it says so, and the
  // exchange makes it everybody's verdict.
  std::string problem;
  for (const auto& entry : m_runtime->catalog().refresh()) {
    if (entry.name == name) {
      problem = "world rank " + std::to_string(entry.world_rank) +
                " already published a stream of that name";
    }
  }
  auto records = detail::expose_records(name, dtype, blocks, options, m_runtime->world_rank(),
                                        std::move(problem));

  // This process's slots, from its pool: every block's local buffer, one after the other.
  detail::WindowLayout window_layout;
  window_layout.depth = options.depth;
  std::vector<std::size_t> offsets;
  for (const auto& block : blocks) {
    offsets.push_back(window_layout.slot_bytes);
    window_layout.slot_bytes += detail::block_bytes_for(block.normalized().local_elements(), dtype);
  }
  if (records.front().local_error[0] == '\0') {
    try {
      window_layout.base_bytes = m_runtime->pool().reserve(window_layout.region_bytes(),
                                                           "stream '" + std::string(name) + "'");
    } catch (const StateError& e) {
      std::strncpy(records.front().local_error, e.what(), sizeof(records.front().local_error) - 1);
    }
  }
  for (auto& record : records) {
    record.window_offset_bytes = window_layout.base_bytes;
    record.slot_bytes = window_layout.slot_bytes;
    if (record.block >= 0) {
      record.offset_bytes = offsets[static_cast<std::size_t>(record.block)];
    }
  }
  const std::string member = std::string(role_name(m_runtime->role())) + " rank";
  const auto outcome = detail::exchange(*m_group, records, member);
  if (!outcome.error.empty()) {
    throw InvalidArgument(asked, outcome.error);
  }

  auto state = std::make_unique<detail::ChannelState>();
  state->producer = this;
  state->group = m_group;
  state->info = outcome.stream;
  state->info.is_value = std::exchange(m_pending_value, false);
  state->own_steering = std::make_unique<steer::SteeredStream>();
  state->own_steering->name = std::string(name);
  state->own_steering->dtype = dtype;
  state->own_steering->shape = outcome.stream.global_shape;
  state->own_steering->exposure.region = Box::all(outcome.stream.global_shape);
  state->steering = state->own_steering.get();
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    detail::OwnBlock own;
    own.layout = blocks[b].normalized();
    own.offset_bytes = offsets[b];
    state->owns_data = state->owns_data || own.layout.block_elements() > 0;
    state->blocks.push_back(std::move(own));
  }
  state->world_rank = m_runtime->world_rank();
  state->window_layout = window_layout;
  state->window = &m_runtime->pool().window();
  state->reader_lease = reader_lease_of(options);
  state->slot_iteration.assign(static_cast<std::size_t>(options.depth), -1);
  state->slot_seq.assign(static_cast<std::size_t>(options.depth), 0);
  if (m_group->rank() == 0) {
    std::string description;
    detail::put_stream_info(description, state->info);
    m_runtime->catalog().publish(name, std::as_bytes(std::span(description)));
  }
  m_external->add(*m_runtime, *m_group, *state);
  m_channels.push_back(std::unique_ptr<Channel>(new Channel(std::move(state))));
  log::info("exposed stream '", name, "' (", dtype_name(dtype), ", ",
            to_string(outcome.stream.global_shape), ", ", outcome.stream.producers.size(),
            " block(s), depth ", options.depth, ", ", policy_name(options.policy), ")");
  return *m_channels.back();
}

Channel& Producer::expose_value_dtype(std::string_view name, Dtype dtype, ChannelOptions options) {
  // One element, kept by the group's first process; the others take part in every
  // publish (so that skip decisions and steering stay the same everywhere) with
  // nothing to keep.
  const Layout one{{1}, {0}, {1}, {}, {}};
  const bool keeps = m_group->rank() == 0;
  m_pending_value = true;
  try {
    return expose_dtype(name, dtype, std::span<const Layout>(&one, keeps ? 1 : 0), options);
  } catch (...) {
    m_pending_value = false;
    throw;
  }
}

Channel& Producer::channel(std::string_view name) {
  for (const auto& channel : m_channels) {
    if (channel->info().name == name) {
      return *channel;
    }
  }
  throw NotFound("looking up stream '" + std::string(name) + "'",
                 "no stream of that name was exposed");
}

void Producer::close() {
  for (auto& channel : m_channels) {
    channel->close();
  }
  m_external->finish();
}

}  // namespace sluice::channel
