// Stream control and injection over MPI, without Thrift. Simulation ranks publish a
// 6 x 8 field split by rows (value k*1000 + i*8 + j at iteration k); a service process
// reads it under Policy::block (so it sees every published iteration) while a second
// thread steers through a sluice::steer::Link:
//   inject a 2 x 3 patch, then every 3, then a narrower region, then off, then on
//   again over the whole array with every 1, then stop.
// The reader checks, for every iteration delivered, that it is exactly the ones the
// exposure in force allows, with exactly the clipped selection and the right values
// (the patch only in the iteration the inject call returned). Every simulation rank
// must agree on the iteration each change reached it, and on its counters.
#include <mpi.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/shm/tap.hpp"
#include "sluice/steer/link.hpp"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t rows = 6;
constexpr std::int64_t cols = 8;
constexpr int returned_tag = 0x7b;
// Changes, in order: inject, every 3, region, off, on (every 1, whole), stop.
enum Change { inject, every3, region, off, on, stop, changes };

const sluice::Box patch{{4, 1}, {2, 3}};
const sluice::Box narrowed{{1, 2}, {3, 4}};

double value(std::int64_t k, std::int64_t i, std::int64_t j) {
  return static_cast<double>(k * 1000 + i * cols + j);
}
double patch_value(std::int64_t i, std::int64_t j) {
  return -1.0 - static_cast<double>((i - patch.start[0]) * 3 + (j - patch.start[1]));
}

// Which iterations the exposure lets through, given the iterations the changes
// returned.
bool exposed(std::int64_t k, const std::array<std::int64_t, changes>& at) {
  if (k >= at[on]) return true;
  if (k >= at[off]) return false;
  if (k >= at[every3]) return (k - at[every3]) % 3 == 0;
  return true;
}

}  // namespace

SLUICE_MPI_TEST(stream_control_and_injection_apply_at_the_returned_iteration) {
  Runtime rt(testing::role(), {.required_roles = {Role::simulation, Role::service}});
  if (rt.role() == Role::simulation) {
    const int ranks = rt.comm().size();
    const int me = rt.comm().rank();
    // Rows split as evenly as they go (6 over 1 or 3 ranks: evenly).
    const std::int64_t mine = rows / ranks;
    const std::int64_t first = me * mine;
    channel::Bridge bridge(rt);
    auto& field = bridge.expose<double>(
        "field", {{rows, cols}, {first, 0}, {mine, cols}, {mine + 2, cols + 2}, {1, 1}},
        {4, channel::Policy::block});
    auto& other = bridge.expose<double>("other", {{1}, {0}, {me == 0 ? 1 : 0}, {}, {}});
    field.accept_injections();
    // Big enough that an injection into it is not sent eagerly: one still in flight
    // when the simulation closes must not hang the job.
    auto& big =
        bridge.expose<double>("big", {{512, 512}, {0, 0}, {me == 0 ? 512 : 0, 512}, {}, {}});
    big.accept_injections();
    std::vector<double> big_local(me == 0 ? std::size_t{512 * 512} : 0);
    const auto& steered = bridge.steering().streams();
    // The service taps this job's segments by id: other jobs may run on the node.
    bridge.start();
    if (me == 0) {
      char job[16] = {};
      bridge.job_id().copy(job, sizeof(job) - 1);
      MPI_Send(job, sizeof(job), MPI_CHAR, rt.ranks_of(Role::service).front(), 77, MPI_COMM_WORLD);
    }

    std::vector<double> local(static_cast<std::size_t>((mine + 2) * (cols + 2)), -7.0);
    // seen[c]: the first iteration at which change c was visible here.
    std::array<std::int64_t, changes> seen{-1, -1, -1, -1, -1, -1};
    std::int64_t injected_cells = 0;
    std::int64_t k = 0;
    for (; !bridge.stop_requested(); ++k) {
      const steer::Exposure& e = steered[0]->exposure;
      if (seen[every3] < 0 && e.every == 3) seen[every3] = k;
      if (seen[region] < 0 && e.region != sluice::Box::all(steered[0]->shape)) seen[region] = k;
      if (seen[off] < 0 && !e.enabled) seen[off] = k;
      if (seen[on] < 0 && seen[off] >= 0 && e.enabled) seen[on] = k;
      for (std::int64_t i = 0; i < mine; ++i) {
        for (std::int64_t j = 0; j < cols; ++j) {
          local[static_cast<std::size_t>((i + 1) * (cols + 2) + j + 1)] = value(k, first + i, j);
        }
      }
      const std::size_t written = field.apply_injections(k, local.data());
      if (written > 0) {
        seen[inject] = k;
        injected_cells += static_cast<std::int64_t>(written);
      }
      field.publish(k, local.data());
      const double t = static_cast<double>(k);
      other.publish(k, &t);
      big.apply_injections(k, big_local.data());
      std::this_thread::sleep_for(200us);
      bridge.end_iteration(k);
    }
    seen[stop] = k;
    const auto counters = field.counters();
    bridge.close();

    // Every rank saw each change at the same iteration (the patch only where it is
    // owned)...
    MPI_Allreduce(MPI_IN_PLACE, &seen[inject], 1, MPI_INT64_T, MPI_MAX, rt.comm().get());
    std::array<std::int64_t, changes> lowest{};
    std::array<std::int64_t, changes> highest{};
    MPI_Allreduce(seen.data(), lowest.data(), changes, MPI_INT64_T, MPI_MIN, rt.comm().get());
    MPI_Allreduce(seen.data(), highest.data(), changes, MPI_INT64_T, MPI_MAX, rt.comm().get());
    EXPECT_TRUE(lowest == highest);
    // ...the patch cells were written once, by their owners (rows 4-5)...
    std::int64_t cells = 0;
    MPI_Allreduce(&injected_cells, &cells, 1, MPI_INT64_T, MPI_SUM, rt.comm().get());
    EXPECT_EQ(cells, 6);
    // ...and the published and withheld counts add up to the iterations run.
    EXPECT_EQ(static_cast<std::int64_t>(counters.published + counters.withheld), k);
    std::uint64_t withheld[2] = {counters.withheld, counters.withheld};
    MPI_Allreduce(MPI_IN_PLACE, &withheld[0], 1, MPI_UINT64_T, MPI_MIN, rt.comm().get());
    MPI_Allreduce(MPI_IN_PLACE, &withheld[1], 1, MPI_UINT64_T, MPI_MAX, rt.comm().get());
    EXPECT_EQ(withheld[0], withheld[1]);
    // ...and it is what each call returned.
    if (me == 0) {
      std::array<std::int64_t, changes> returned{};
      MPI_Recv(returned.data(), changes, MPI_INT64_T, rt.ranks_of(Role::service).front(),
               returned_tag, rt.world().get(), MPI_STATUS_IGNORE);
      EXPECT_TRUE(seen == returned);
      std::int64_t expected_withheld = 0;
      for (std::int64_t i = 0; i < k; ++i) {
        expected_withheld += exposed(i, returned) ? 0 : 1;
      }
      EXPECT_EQ(static_cast<std::int64_t>(counters.withheld), expected_withheld);
    }
  } else {
    channel::Consumer consumer(rt);
    auto& reader = consumer.subscribe<double>("field");
    consumer.start();
    char job_id[16] = {};
    MPI_Recv(job_id, sizeof(job_id), MPI_CHAR, rt.ranks_of(Role::simulation).front(), 77,
             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    const std::string job = job_id;
    steer::Link link(rt);
    std::array<std::int64_t, changes> returned{};
    int failures = 0;
    std::thread client([&] {
      auto expect = [&](bool ok) { failures += ok ? 0 : 1; };
      auto settle = [&] {  // let a few iterations go by
        const auto now = link.status(30s).iteration;
        while (link.status(30s).iteration < now + 7) std::this_thread::sleep_for(1ms);
      };
      const auto status = link.status(30s);
      expect(status.streams.size() == 3 && status.streams[0].name == "field" &&
             status.streams[0].injectable && !status.streams[1].injectable &&
             status.streams[0].shape == std::vector<std::int64_t>{rows, cols});

      // Refused, with their codes; nothing changes.
      steer::StreamControl bad_every;
      bad_every.every = 0;
      expect(link.control_stream("nope", bad_every, 30s).code == steer::Code::unknown_name);
      expect(link.control_stream("field", bad_every, 30s).code == steer::Code::out_of_range);
      steer::StreamControl outside;
      outside.region = sluice::Box{{5, 0}, {2, 8}};
      expect(link.control_stream("field", outside, 30s).code == steer::Code::bad_region);
      outside.region = sluice::Box{{0}, {1}};
      expect(link.control_stream("field", outside, 30s).code == steer::Code::bad_region);
      std::vector<double> data(6);
      for (std::int64_t i = 0; i < 2; ++i) {
        for (std::int64_t j = 0; j < 3; ++j) {
          data[static_cast<std::size_t>(i * 3 + j)] = patch_value(4 + i, 1 + j);
        }
      }
      const auto bytes = std::as_bytes(std::span<const double>(data));
      expect(link.inject("field", "f32", patch, bytes, 30s).code == steer::Code::wrong_type);
      expect(link.inject("field", "f64", patch, bytes.first(40), 30s).code ==
             steer::Code::bad_request);
      expect(link.inject("field", "f64", sluice::Box{{5, 1}, {2, 3}}, bytes, 30s).code ==
             steer::Code::bad_region);
      expect(link.inject("other", "f64", sluice::Box{}, bytes.first(8), 30s).code ==
             steer::Code::not_permitted);

      settle();
      const auto injected = link.inject("field", "f64", patch, bytes, 30s);
      expect(injected.code == steer::Code::ok);
      returned[inject] = injected.iteration;
      settle();
      steer::StreamControl thin;
      thin.every = 3;
      returned[every3] = link.control_stream("field", thin, 30s).iteration;
      settle();
      steer::StreamControl narrow;
      narrow.region = narrowed;
      returned[region] = link.control_stream("field", narrow, 30s).iteration;
      settle();
      // A reader outside the job's MPI traffic (shared memory) sees the narrowing too:
      // a box inside the region reads, the whole array is refused with the region.
      try {
        shm::Tap tap(job, "field");
        const auto first = tap.wait_next(-1, 10s);
        expect(first.status == shm::TapStatus::ok);
        std::vector<double> inside(static_cast<std::size_t>(narrowed.count[0] * narrowed.count[1]));
        const auto got =
            tap.read_latest(narrowed, inside.data(), inside.size() * sizeof(double), 10s);
        expect(got.status == shm::TapStatus::ok && got.iteration >= returned[region]);
        for (std::int64_t i = 0; i < narrowed.count[0]; ++i) {
          for (std::int64_t j = 0; j < narrowed.count[1]; ++j) {
            expect(inside[static_cast<std::size_t>(i * narrowed.count[1] + j)] ==
                   value(got.iteration, narrowed.start[0] + i, narrowed.start[1] + j));
          }
        }
        std::vector<double> whole(static_cast<std::size_t>(rows * cols));
        bool refused = false;
        try {
          (void)tap.read_latest({}, whole.data(), whole.size() * sizeof(double), 10s);
        } catch (const InvalidArgument& e) {
          refused = std::string(e.what()).find("narrowed what the stream exposes to 1:4,2:6") !=
                    std::string::npos;
        }
        expect(refused);
      } catch (const Error& e) {
        std::fprintf(stderr, "tap: %s\n", e.what());
        expect(false);
      }
      steer::StreamControl switch_off;
      switch_off.enabled = false;
      returned[off] = link.control_stream("field", switch_off, 30s).iteration;
      settle();
      const auto while_off = link.status(30s);
      expect(!while_off.streams[0].exposure.enabled &&
             while_off.streams[0].exposure.since_iteration == returned[off] &&
             while_off.streams[0].exposure.region == narrowed &&
             while_off.streams[0].exposure.every == 3);
      steer::StreamControl back;
      back.enabled = true;
      back.every = 1;
      back.region = sluice::Box{};
      returned[on] = link.control_stream("field", back, 30s).iteration;
      settle();
      returned[stop] = link.stop(30s).iteration;
      // Arrives after the stop: answered "finished", and the job still closes.
      const std::vector<double> whole(512 * 512, 1.0);
      const auto late = link.inject("big", "f64", sluice::Box{},
                                    std::as_bytes(std::span<const double>(whole)), 30s);
      expect(late.code == steer::Code::finished || late.code == steer::Code::ok);
    });

    // Read every iteration delivered while steering goes on; check them afterwards,
    // once the returned iterations are known.
    struct Seen {
      std::int64_t iteration;
      sluice::Selection selection;
      std::vector<double> data;
    };
    std::vector<Seen> delivered;
    bool ended = false;
    auto read = [&] {
      for (;;) {
        auto step = reader.next(0ms);
        if (step.status() == channel::StepStatus::end_of_stream) {
          ended = true;
        }
        if (!step.ok()) {
          return;
        }
        const auto data = step.data<double>();
        delivered.push_back({step.iteration(), step.selection(), {data.begin(), data.end()}});
      }
    };
    while (link.pump()) {
      read();
    }
    client.join();
    for (int i = 0; i < 10000 && !ended; ++i) {
      read();
      std::this_thread::sleep_for(1ms);
    }
    EXPECT_TRUE(ended);
    EXPECT_EQ(failures, 0);

    // Exactly the exposed iterations, in order, from 0 up to the stop.
    std::vector<std::int64_t> expected;
    for (std::int64_t k = 0; k < returned[stop]; ++k) {
      if (exposed(k, returned)) expected.push_back(k);
    }
    std::vector<std::int64_t> got;
    for (const auto& s : delivered) got.push_back(s.iteration);
    EXPECT_TRUE(got == expected);
    EXPECT_TRUE(returned[inject] < returned[every3]);

    int wrong = 0;
    for (const auto& s : delivered) {
      const bool clipped = s.iteration >= returned[region] && s.iteration < returned[on];
      const std::vector<std::int64_t> start =
          clipped ? narrowed.start : std::vector<std::int64_t>{0, 0};
      const std::vector<std::int64_t> count =
          clipped ? narrowed.count : std::vector<std::int64_t>{rows, cols};
      wrong += s.selection.start != start || s.selection.count != count;
      if (s.selection.count != count) continue;
      for (std::int64_t i = 0; i < count[0]; ++i) {
        for (std::int64_t j = 0; j < count[1]; ++j) {
          const std::int64_t gi = start[0] + i;
          const std::int64_t gj = start[1] + j;
          const bool in_patch =
              s.iteration == returned[inject] && gi >= 4 && gi < 6 && gj >= 1 && gj < 4;
          const double want = in_patch ? patch_value(gi, gj) : value(s.iteration, gi, gj);
          wrong += s.data[static_cast<std::size_t>(i * count[1] + j)] != want;
        }
      }
    }
    EXPECT_EQ(wrong, 0);
    MPI_Send(returned.data(), changes, MPI_INT64_T, rt.ranks_of(Role::simulation).front(),
             returned_tag, rt.world().get());
    consumer.close();
  }
  rt.free();
}
