#pragma once
/// @file
/// What the scheduler ring knows about a stream: its layout, as every process learnt
/// it at set-up, and its progress, read from the producers' windows by the scheduler
/// that owns the stream's name (Directory::stream).

#include "sluice/channel/stream_info.hpp"
#include "sluice/channel/stream_progress.hpp"

namespace sluice::ring {

struct StreamStatus {
  channel::StreamInfo info;
  channel::StreamProgress progress;
};

}  // namespace sluice::ring
