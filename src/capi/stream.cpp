// The C API's streams: expose, publish by copy or in place, injections.
#include <cstring>
#include <string>
#include <vector>

#include "handles.hpp"

namespace sluice::capi {
namespace {

Dtype to_dtype(int dtype, const char* call) {
  switch (dtype) {
    case SLUICE_F32:
      return Dtype::f32;
    case SLUICE_F64:
      return Dtype::f64;
    case SLUICE_I32:
      return Dtype::i32;
    case SLUICE_I64:
      return Dtype::i64;
    case SLUICE_U8:
      return Dtype::u8;
    default:
      throw InvalidArgument(call, "dtype " + std::to_string(dtype) + " is not a sluice_dtype",
                            "use SLUICE_F32, SLUICE_F64, SLUICE_I32, SLUICE_I64 or SLUICE_U8");
  }
}

channel::ChannelOptions to_options(const sluice_stream_options* options, const char* call) {
  channel::ChannelOptions result;
  if (options == nullptr) {
    return result;
  }
  if (options->depth != 0) {
    result.depth = options->depth;
  }
  switch (options->policy) {
    case SLUICE_POLICY_BLOCK:
      result.policy = channel::Policy::block;
      break;
    case SLUICE_POLICY_SKIP:
      result.policy = channel::Policy::skip;
      break;
    case SLUICE_POLICY_LATEST:
      result.policy = channel::Policy::latest;
      break;
    default:
      throw InvalidArgument(
          call,
          "policy " + std::to_string(static_cast<int>(options->policy)) + " is not a sluice_policy",
          "use SLUICE_POLICY_BLOCK, SLUICE_POLICY_SKIP or SLUICE_POLICY_LATEST");
  }
  return result;
}

channel::Layout to_layout(const sluice_layout& c, int index, const char* call) {
  if (c.ndims < 1 || c.ndims > SLUICE_MAX_DIMS) {
    throw InvalidArgument(
        call, "block " + std::to_string(index) + " has ndims " + std::to_string(c.ndims),
        "streams have 1 to " + std::to_string(SLUICE_MAX_DIMS) + " dimensions");
  }
  const auto n = static_cast<std::size_t>(c.ndims);
  channel::Layout layout;
  layout.global_shape.assign(c.global_shape, c.global_shape + n);
  layout.block_start.assign(c.block_start, c.block_start + n);
  layout.block_count.assign(c.block_count, c.block_count + n);
  bool has_local_shape = false;
  bool has_offset = false;
  for (std::size_t d = 0; d < n; ++d) {
    has_local_shape = has_local_shape || c.local_shape[d] != 0;
    has_offset = has_offset || c.local_offset[d] != 0;
  }
  if (has_local_shape) {
    layout.local_shape.assign(c.local_shape, c.local_shape + n);
  }
  if (has_offset) {
    layout.local_offset.assign(c.local_offset, c.local_offset + n);
  }
  return layout;
}

void to_c_layout(const channel::Layout& layout, sluice_layout& c) {
  std::memset(&c, 0, sizeof c);
  c.ndims = static_cast<std::int32_t>(layout.rank());
  for (std::size_t d = 0; d < layout.rank(); ++d) {
    c.global_shape[d] = layout.global_shape[d];
    c.block_start[d] = layout.block_start[d];
    c.block_count[d] = layout.block_count[d];
    c.local_shape[d] = layout.local_shape[d];
    c.local_offset[d] = layout.local_offset[d];
  }
}

const char* require_name(const char* name, const char* call) {
  if (name == nullptr || *name == '\0') {
    throw InvalidArgument(call, "the stream name is NULL or empty");
  }
  return name;
}

template <typename Out>
Out* require_out(Out* out, const char* call) {
  if (out == nullptr) {
    throw InvalidArgument(call, "the output pointer is NULL");
  }
  return out;
}

sluice_stream* add_stream(sluice_bridge* bridge, channel::Channel& channel) {
  auto handle = std::make_unique<sluice_stream>();
  handle->channel = &channel;
  handle->bridge = bridge;
  bridge->streams.push_back(std::move(handle));
  sluice_stream* stream = bridge->streams.back().get();
  return stream;
}

// Calls `f` with a null pointer of the C++ element type of `dtype`.
template <typename F>
decltype(auto) with_type(Dtype dtype, F&& f) {
  switch (dtype) {
    case Dtype::f32:
      return f(static_cast<float*>(nullptr));
    case Dtype::f64:
      return f(static_cast<double*>(nullptr));
    case Dtype::i32:
      return f(static_cast<std::int32_t*>(nullptr));
    case Dtype::i64:
      return f(static_cast<std::int64_t*>(nullptr));
    case Dtype::u8:
      break;
  }
  return f(static_cast<std::uint8_t*>(nullptr));
}

void require_stream(const sluice_stream* stream, const char* call) {
  require(stream, Kind::stream, "stream", call);
}

}  // namespace
}  // namespace sluice::capi

using sluice::capi::guarded;
using sluice::capi::Kind;
using sluice::capi::require;
using sluice::capi::require_out;
using sluice::capi::require_stream;
using sluice::capi::to_dtype;
using sluice::capi::with_type;

extern "C" {

int sluice_expose(sluice_bridge* bridge, const char* name, int dtype, const sluice_layout* blocks,
                  int32_t nblocks, const sluice_stream_options* options, sluice_stream** stream) {
  constexpr const char* call = "sluice_expose";
  return guarded(call, [&] {
    require(bridge, Kind::bridge, "bridge", call);
    require_out(stream, call);
    *stream = nullptr;
    sluice::capi::require_name(name, call);
    if (nblocks < 0 || (nblocks > 0 && blocks == nullptr)) {
      throw sluice::InvalidArgument(
          std::string(call) + " '" + name + "'",
          std::to_string(nblocks) + " blocks at " + (blocks == nullptr ? "NULL" : "an address"),
          "pass nblocks >= 0 layouts (NULL only for none)");
    }
    std::vector<sluice::channel::Layout> layouts;
    for (int32_t i = 0; i < nblocks; ++i) {
      layouts.push_back(sluice::capi::to_layout(blocks[i], i, call));
    }
    auto& channel = bridge->bridge->expose_dtype(name, to_dtype(dtype, call), layouts,
                                                 sluice::capi::to_options(options, call));
    *stream = sluice::capi::add_stream(bridge, channel);
  });
}

int sluice_expose_value(sluice_bridge* bridge, const char* name, int dtype,
                        const sluice_stream_options* options, sluice_stream** stream) {
  constexpr const char* call = "sluice_expose_value";
  return guarded(call, [&] {
    require(bridge, Kind::bridge, "bridge", call);
    require_out(stream, call);
    *stream = nullptr;
    sluice::capi::require_name(name, call);
    const auto opts = sluice::capi::to_options(options, call);
    auto& channel = with_type(to_dtype(dtype, call), [&](auto* type) -> sluice::channel::Channel& {
      using T = std::remove_pointer_t<decltype(type)>;
      return bridge->bridge->expose_value<T>(name, opts);
    });
    *stream = sluice::capi::add_stream(bridge, channel);
  });
}

int sluice_stream_blocks(const sluice_stream* stream, int32_t* nblocks) {
  constexpr const char* call = "sluice_stream_blocks";
  return guarded(call, [&] {
    require_stream(stream, call);
    *require_out(nblocks, call) = static_cast<int32_t>(stream->channel->blocks());
  });
}

int sluice_stream_layout(const sluice_stream* stream, int32_t block, sluice_layout* layout) {
  constexpr const char* call = "sluice_stream_layout";
  return guarded(call, [&] {
    require_stream(stream, call);
    require_out(layout, call);
    if (block < 0) {
      throw sluice::InvalidArgument(call, "block " + std::to_string(block) + " is negative");
    }
    sluice::capi::to_c_layout(stream->channel->layout(static_cast<std::size_t>(block)), *layout);
  });
}

int sluice_stream_check_buffer(const sluice_stream* stream, int32_t block, int32_t ndims,
                               const int64_t* shape) {
  constexpr const char* call = "sluice_stream_check_buffer";
  return guarded(call, [&] {
    require_stream(stream, call);
    if (block < 0 || ndims < 0 || (ndims > 0 && shape == nullptr)) {
      throw sluice::InvalidArgument(call, "negative block or ndims, or a NULL shape");
    }
    const auto& layout = stream->channel->layout(static_cast<std::size_t>(block));
    const sluice::Extents given(shape, shape + ndims);
    if (given != layout.local_shape) {
      throw sluice::InvalidArgument("publishing block " + std::to_string(block) + " of stream '" +
                                        stream->channel->info().name + "'",
                                    "the buffer's shape " + sluice::to_string(given) +
                                        " is not the local shape " +
                                        sluice::to_string(layout.local_shape) +
                                        " it was exposed with (C order: a Fortran array's "
                                        "dimensions reversed)",
                                    "pass an array of the local shape given to sluice_expose");
    }
  });
}

int sluice_publish(sluice_stream* stream, int64_t iteration, int dtype, const void* local) {
  constexpr const char* call = "sluice_publish";
  return guarded(call, [&] {
    require_stream(stream, call);
    if (local == nullptr && stream->channel->blocks() > 0) {
      throw sluice::InvalidArgument(call, "the buffer is NULL");
    }
    with_type(to_dtype(dtype, call), [&](auto* type) {
      using T = std::remove_pointer_t<decltype(type)>;
      stream->channel->publish<T>(iteration, static_cast<const T*>(local));
    });
  });
}

int sluice_publish_blocks(sluice_stream* stream, int64_t iteration, int dtype,
                          const void* const* locals, int32_t nblocks) {
  constexpr const char* call = "sluice_publish_blocks";
  return guarded(call, [&] {
    require_stream(stream, call);
    if (nblocks < 0 || (nblocks > 0 && locals == nullptr)) {
      throw sluice::InvalidArgument(call, "nblocks is negative or the buffers are NULL");
    }
    with_type(to_dtype(dtype, call), [&](auto* type) {
      using T = std::remove_pointer_t<decltype(type)>;
      std::vector<const T*> typed(static_cast<std::size_t>(nblocks));
      for (std::size_t i = 0; i < typed.size(); ++i) {
        if (locals[i] == nullptr) {
          throw sluice::InvalidArgument(call,
                                        "the buffer of block " + std::to_string(i) + " is NULL");
        }
        typed[i] = static_cast<const T*>(locals[i]);
      }
      stream->channel->publish<T>(iteration, std::span<const T* const>(typed));
    });
  });
}

int sluice_publish_value(sluice_stream* stream, int64_t iteration, int dtype, const void* value) {
  constexpr const char* call = "sluice_publish_value";
  return guarded(call, [&] {
    require_stream(stream, call);
    if (value == nullptr) {
      throw sluice::InvalidArgument(call, "the value pointer is NULL");
    }
    with_type(to_dtype(dtype, call), [&](auto* type) {
      using T = std::remove_pointer_t<decltype(type)>;
      T copy;
      std::memcpy(&copy, value, sizeof copy);
      stream->channel->publish_value<T>(iteration, copy);
    });
  });
}

int sluice_slot(sluice_stream* stream, int64_t iteration, int32_t block, int dtype, void** data) {
  constexpr const char* call = "sluice_slot";
  return guarded(call, [&] {
    require_stream(stream, call);
    require_out(data, call);
    *data = nullptr;
    if (block < 0) {
      throw sluice::InvalidArgument(call, "block " + std::to_string(block) + " is negative");
    }
    *data = with_type(to_dtype(dtype, call), [&](auto* type) -> void* {
      using T = std::remove_pointer_t<decltype(type)>;
      return stream->channel->slot<T>(iteration, static_cast<std::size_t>(block));
    });
  });
}

int sluice_commit(sluice_stream* stream, int64_t iteration) {
  return guarded("sluice_commit", [&] {
    require_stream(stream, "sluice_commit");
    stream->channel->commit(iteration);
  });
}

int sluice_accept_injections(sluice_stream* stream) {
  return guarded("sluice_accept_injections", [&] {
    require_stream(stream, "sluice_accept_injections");
    stream->channel->accept_injections();
  });
}

int sluice_apply_injections(sluice_stream* stream, int64_t iteration, int dtype, void* local,
                            int64_t* written) {
  constexpr const char* call = "sluice_apply_injections";
  return guarded(call, [&] {
    require_stream(stream, call);
    if (local == nullptr && stream->channel->blocks() > 0) {
      throw sluice::InvalidArgument(call, "the buffer is NULL");
    }
    const std::size_t count = with_type(to_dtype(dtype, call), [&](auto* type) {
      using T = std::remove_pointer_t<decltype(type)>;
      return stream->channel->apply_injections<T>(iteration, static_cast<T*>(local));
    });
    if (written != nullptr) {
      *written = static_cast<int64_t>(count);
    }
  });
}

}  // extern "C"
