// Elastic membership under load: schedulers join and leave while clients keep putting
// and getting. meson runs it with 3 and 4 scheduler processes (the last one starts as
// a spare) and 2 clients (--role analytics).
//
// Client 0 drives the membership changes at iteration boundaries of its own loop;
// client 1 keeps updating its keys until client 0 is done. Each put carries a version,
// so a lost update shows as an old value and an update applied twice shows in the
// count of puts the schedulers applied against the count the clients sent.
#include <mpi.h>

#include <string>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/core/error.hpp"
#include "sluice/ring/directory.hpp"
#include "sluice/ring/scheduler.hpp"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

constexpr int keys_per_client = 40;
constexpr int done_tag = 0x77;  // client 0 tells client 1 the changes are over

std::string key(int client, int k) {
  return "stream/" + std::to_string(client) + "/" + std::to_string(k);
}
std::string value(int client, int k, int version) {
  return std::to_string(client) + "/" + std::to_string(k) + "/v" + std::to_string(version);
}

RuntimeOptions options() { return {.required_roles = {Role::scheduler, Role::analytics}}; }

struct Client {
  ring::Directory& directory;
  int me;
  std::vector<int> versions = std::vector<int>(keys_per_client, 0);
  long long puts = 0;
  int stale = 0;

  // One iteration: update every key, then read every key back.
  void iterate() {
    for (int k = 0; k < keys_per_client; ++k) {
      directory.put(key(me, k), value(me, k, ++versions[k]));
      ++puts;
    }
    for (int k = 0; k < keys_per_client; ++k) {
      stale += directory.get(key(me, k)).value_or("") != value(me, k, versions[k]);
    }
  }
};

}  // namespace

SLUICE_MPI_TEST(keys_survive_joins_and_leaves_under_load) {
  Runtime rt(testing::role(), options());
  const auto schedulers = rt.ranks_of(Role::scheduler);
  const int n = static_cast<int>(schedulers.size());
  long long applied_and_sent[2] = {0, 0};  // puts applied by schedulers, sent by clients
  long long sent_and_received[2] = {0, 0};

  if (rt.role() == Role::scheduler) {
    const bool spare = rt.world_rank() == schedulers.back();
    ring::Scheduler scheduler(rt, {.spare = spare});
    EXPECT_EQ(scheduler.is_member(), !spare);
    scheduler.serve_until_stopped();

    // Five changes, each seen by every scheduler, which all end with the same ring.
    EXPECT_EQ(scheduler.epoch(), 6u);
    EXPECT_EQ(scheduler.ring().members().size(), static_cast<std::size_t>(n));
    int misplaced = 0;
    for (const auto& [k, v] : scheduler.store()) {
      misplaced += scheduler.ring().owner(k) != rt.world_rank();
    }
    EXPECT_EQ(misplaced, 0);
    long long held = static_cast<long long>(scheduler.store().size());
    long long total = 0;
    MPI_Allreduce(&held, &total, 1, MPI_LONG_LONG, MPI_SUM, rt.comm().get());
    EXPECT_EQ(total, 2LL * keys_per_client);
    applied_and_sent[0] = static_cast<long long>(scheduler.puts_applied());
    sent_and_received[0] = static_cast<long long>(scheduler.keys_sent());
    sent_and_received[1] = static_cast<long long>(scheduler.keys_received());
  } else {
    ring::Directory directory(rt, 60s);
    Client client{directory, rt.comm().rank()};
    if (client.me == 0) {
      // Initial members: every scheduler but the last, a spare.
      const int spare = schedulers.back();
      std::vector<std::uint64_t> epochs;
      for (int iteration = 0; iteration < 24; ++iteration) {
        client.iterate();
        switch (iteration) {
          case 3:
            epochs.push_back(directory.join(spare));
            break;
          case 7:
            epochs.push_back(directory.leave(schedulers[1]));
            break;
          case 11:
            // The coordinator drains too: it keeps ordering changes as a spare.
            epochs.push_back(directory.leave(schedulers[0]));
            break;
          case 15:
            epochs.push_back(directory.join(schedulers[1]));
            break;
          case 19:
            epochs.push_back(directory.join(schedulers[0]));
            break;
          default:
            break;
        }
        if (iteration == 12) {
          // Refused changes leave the ring as it is.
          EXPECT_THROW_WITH((void)directory.leave(schedulers[0]), InvalidArgument,
                            "is not a member");
          EXPECT_THROW_WITH((void)directory.join(spare), InvalidArgument, "already a member");
          EXPECT_THROW_WITH((void)directory.join(rt.world_rank()), InvalidArgument,
                            "is not a scheduler process");
          if (n == 3) {
            EXPECT_THROW_WITH((void)directory.leave(spare), InvalidArgument, "the last member");
          }
        }
      }
      EXPECT_TRUE(epochs == (std::vector<std::uint64_t>{2, 3, 4, 5, 6}));
      EXPECT_EQ(directory.epoch(), 6u);
      const int done = 1;
      MPI_Send(&done, 1, MPI_INT, rt.ranks_of(Role::analytics)[1], done_tag, rt.world().get());
    } else {
      // A directory that learns the first ring and is then left behind by the changes.
      ring::Directory stale(rt, 60s);
      EXPECT_TRUE(!stale.get(key(1, 0)).has_value());
      EXPECT_EQ(stale.epoch(), 1u);
      const ring::HashRing first_ring = stale.ring();

      // Update until client 0 is done changing the ring, so that every change happens
      // while requests are in flight.
      int done = 0;
      int iterations = 0;
      while (done == 0 || iterations < 3) {
        client.iterate();
        ++iterations;
        MPI_Iprobe(rt.ranks_of(Role::analytics)[0], done_tag, rt.world().get(), &done,
                   MPI_STATUS_IGNORE);
      }
      MPI_Recv(&done, 1, MPI_INT, rt.ranks_of(Role::analytics)[0], done_tag, rt.world().get(),
               MPI_STATUS_IGNORE);

      // A request routed under the first ring to a key that has moved since reaches the
      // old owner, which forwards it; the reply teaches the stale directory the ring.
      int moved_key = -1;
      for (int k = 0; k < keys_per_client && moved_key < 0; ++k) {
        if (first_ring.owner(key(1, k)) != directory.ring().owner(key(1, k))) {
          moved_key = k;
        }
      }
      EXPECT_TRUE(moved_key >= 0);
      if (moved_key >= 0) {
        EXPECT_EQ(stale.get(key(1, moved_key)).value_or(""),
                  value(1, moved_key, client.versions[static_cast<std::size_t>(moved_key)]));
        EXPECT_EQ(stale.epoch(), 6u);
      }
    }
    EXPECT_EQ(client.stale, 0);
    rt.comm().barrier();
    // Everyone's final values, read by a client that routes with the current ring and
    // by one that has to learn it.
    ring::Directory newcomer(rt, 60s);
    int wrong = 0;
    for (int other = 0; other < 2; ++other) {
      // The other client's final versions are not known here; its own are.
      for (int k = 0; other == client.me && k < keys_per_client; ++k) {
        wrong += directory.get(key(other, k)).value_or("") != value(other, k, client.versions[k]);
        wrong += newcomer.get(key(other, k)).value_or("") != value(other, k, client.versions[k]);
      }
    }
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(newcomer.epoch(), 6u);
    applied_and_sent[1] = client.puts;
    rt.comm().barrier();
    if (client.me == 0) {
      directory.stop_schedulers();
    }
  }
  // Across the job: every put applied exactly once, every moved key received.
  long long puts[2] = {0, 0};
  long long moved[2] = {0, 0};
  MPI_Allreduce(applied_and_sent, puts, 2, MPI_LONG_LONG, MPI_SUM, rt.world().get());
  MPI_Allreduce(sent_and_received, moved, 2, MPI_LONG_LONG, MPI_SUM, rt.world().get());
  EXPECT_EQ(puts[0], puts[1]);
  EXPECT_EQ(moved[0], moved[1]);
  EXPECT_TRUE(moved[0] > 0);
  rt.free();
}
