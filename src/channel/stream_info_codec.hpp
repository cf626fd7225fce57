#pragma once
// Private: a stream's description as bytes, for the job's catalog (where producers
// publish their streams) and the scheduler ring's status messages. The bytes may come
// from a misbehaving peer: decoding checks every field and refuses what is not a
// stream.
#include <string>
#include <string_view>

#include "../core/bytes.hpp"
#include "sluice/channel/stream_info.hpp"

namespace sluice::channel::detail {

void put_stream_info(std::string& out, const StreamInfo& info);
// False if the bytes do not hold a stream description; `in` is then left anywhere.
bool get_stream_info(sluice::detail::ByteReader& in, StreamInfo& info);

}  // namespace sluice::channel::detail
