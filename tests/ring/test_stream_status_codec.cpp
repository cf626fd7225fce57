// The bytes a scheduler answers a stream query with: a round trip keeps every field,
// and every truncation or corruption of the length fields is refused, never read past.
#include <criterion/criterion.h>

#include <string>

#include "../../src/ring/stream_status_codec.hpp"

using namespace sluice;

namespace {

ring::StreamStatus sample() {
  ring::StreamStatus status;
  status.info.name = "temperature";
  status.info.dtype = sluice::Dtype::f32;
  status.info.global_shape = {512, 256};
  status.info.options = {.depth = 3, .policy = channel::Policy::skip};
  for (int rank = 0; rank < 2; ++rank) {
    status.info.producers.push_back({.world_rank = rank + 4,
                                     .layout = {.global_shape = {512, 256},
                                                .block_start = {256 * rank, 0},
                                                .block_count = {256, 256},
                                                .local_shape = {258, 258},
                                                .local_offset = {1, 1}}});
    status.progress.producers.push_back({.world_rank = rank + 4,
                                         .newest_iteration = 41 + rank,
                                         .published = 42u + rank,
                                         .skipped = 3,
                                         .bytes_pulled = 1000u * rank,
                                         .active_readers = 2,
                                         .closed = rank == 1});
  }
  status.progress.newest_iteration = 41;
  status.progress.published = 42;
  status.progress.skipped = 3;
  status.progress.bytes_pulled = 1000;
  status.progress.active_readers = 2;
  return status;
}

}  // namespace

Test(stream_status_codec, round_trip_keeps_every_field) {
  const auto bytes = ring::detail::encode_stream_status(sample());
  ring::StreamStatus got;
  cr_assert(ring::detail::decode_stream_status(bytes, got));
  const auto expected = sample();
  cr_expect_eq(got.info.name, expected.info.name);
  cr_expect(got.info.dtype == sluice::Dtype::f32);
  cr_expect(got.info.global_shape == expected.info.global_shape);
  cr_expect_eq(got.info.options.depth, 3);
  cr_expect(got.info.options.policy == channel::Policy::skip);
  cr_assert_eq(got.info.producers.size(), 2u);
  cr_expect_eq(got.info.producers[1].world_rank, 5);
  cr_expect(got.info.producers[1].layout.block_start == (sluice::Extents{256, 0}));
  cr_expect(got.info.producers[1].layout.local_shape == (sluice::Extents{258, 258}));
  cr_expect(got.info.producers[1].layout.local_offset == (sluice::Extents{1, 1}));
  cr_expect_eq(got.progress.newest_iteration, 41);
  cr_expect_eq(got.progress.published, 42u);
  cr_expect_eq(got.progress.skipped, 3u);
  cr_expect_eq(got.progress.bytes_pulled, 1000u);
  cr_expect_eq(got.progress.active_readers, 2u);
  cr_expect(!got.progress.closed);
  cr_assert_eq(got.progress.producers.size(), 2u);
  cr_expect_eq(got.progress.producers[1].newest_iteration, 42);
  cr_expect(got.progress.producers[1].closed);
}

Test(stream_status_codec, every_truncation_is_refused) {
  const auto bytes = ring::detail::encode_stream_status(sample());
  int accepted = 0;
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    ring::StreamStatus got;
    accepted += ring::detail::decode_stream_status(std::string_view(bytes).substr(0, length), got);
  }
  cr_expect_eq(accepted, 0);
  ring::StreamStatus got;
  cr_expect(!ring::detail::decode_stream_status(bytes + "x", got), "trailing bytes");
}

Test(stream_status_codec, huge_counts_are_refused_without_allocating) {
  auto bytes = ring::detail::encode_stream_status(sample());
  // The producer count follows name (4 + 11), dtype (1), shape (4 + 16), depth (4) and
  // policy (1): claim four billion producers.
  const std::size_t at = 4 + 11 + 1 + 4 + 16 + 4 + 1;
  bytes.replace(at, 4, std::string(4, '\xff'));
  ring::StreamStatus got;
  cr_expect(!ring::detail::decode_stream_status(bytes, got));
  // An unknown dtype.
  auto other = ring::detail::encode_stream_status(sample());
  other[4 + 11] = '\x7f';
  cr_expect(!ring::detail::decode_stream_status(other, got));
}
