// Owner lookup and membership changes: HashRing (consistent hashing, binary search over
// members × vnodes points) next to RendezvousHash (one score per member), the
// alternative it is compared against, and FNV-1a + fmix64 alone as the floor both pay.
//
//   build/bench/ring/bm_ring_lookup --benchmark_min_time=0.2
//   build/bench/ring/bm_ring_lookup --benchmark_filter='lookup/.*/64/'
//
// Rows: lookup/<scheme>/<members>/<vnodes> (ns per owner() over a rotating set of 4096
// keys, so that the branch predictor cannot learn one path), rebuild/<add|remove>/... (one
// join or leave at that size, then undone outside the timing).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>
#include <vector>

#include "sluice/core/hash.hpp"
#include "sluice/ring/hash_ring.hpp"
#include "sluice/ring/rendezvous.hpp"

namespace r = sluice::ring;

namespace {

const std::vector<std::string>& lookup_keys() {
  // Stream-like names of realistic length (about 20 bytes).
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (int i = 0; i < 4096; ++i) {
      k.push_back("sim/heat2d/field-" + std::to_string(i));
    }
    return k;
  }();
  return keys;
}

template <typename Ring>
void run_lookups(benchmark::State& state, const Ring& ring) {
  const auto& keys = lookup_keys();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ring.owner(keys[i]));
    i = (i + 1) & (keys.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}

r::HashRing ring_of(std::size_t members, std::size_t vnodes) {
  r::HashRing ring(vnodes);
  for (std::size_t m = 0; m < members; ++m) {
    ring.add(static_cast<r::MemberId>(m));
  }
  return ring;
}

void bm_hash_only(benchmark::State& state) {
  const auto& keys = lookup_keys();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sluice::stable_hash(keys[i]));
    i = (i + 1) & (keys.size() - 1);
  }
}

void bm_lookup_ring(benchmark::State& state) {
  const auto ring =
      ring_of(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)));
  run_lookups(state, ring);
}

void bm_lookup_rendezvous(benchmark::State& state) {
  r::RendezvousHash hrw;
  for (r::MemberId m = 0; m < state.range(0); ++m) {
    hrw.add(m);
  }
  run_lookups(state, hrw);
}

void bm_rebuild_add(benchmark::State& state) {
  auto ring =
      ring_of(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)));
  const auto newcomer = static_cast<r::MemberId>(state.range(0));
  for (auto _ : state) {
    ring.add(newcomer);
    state.PauseTiming();
    ring.remove(newcomer);
    state.ResumeTiming();
  }
}

void bm_rebuild_remove(benchmark::State& state) {
  auto ring =
      ring_of(static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)));
  const r::MemberId leaver = 0;
  for (auto _ : state) {
    ring.remove(leaver);
    state.PauseTiming();
    ring.add(leaver);
    state.ResumeTiming();
  }
}

}  // namespace

BENCHMARK(bm_hash_only)->Name("lookup/hash_only");
BENCHMARK(bm_lookup_ring)
    ->Name("lookup/hash_ring")
    ->ArgNames({"members", "vnodes"})
    ->ArgsProduct({{4, 16, 64}, {r::default_vnodes_per_member}})
    ->Args({64, 64})
    ->Args({64, 256})
    ->Args({64, 4096});
BENCHMARK(bm_lookup_rendezvous)
    ->Name("lookup/rendezvous")
    ->ArgName("members")
    ->Arg(4)
    ->Arg(16)
    ->Arg(64);
BENCHMARK(bm_rebuild_add)
    ->Name("rebuild/add")
    ->ArgNames({"members", "vnodes"})
    ->Args({64, r::default_vnodes_per_member});
BENCHMARK(bm_rebuild_remove)
    ->Name("rebuild/remove")
    ->ArgNames({"members", "vnodes"})
    ->Args({64, r::default_vnodes_per_member});

BENCHMARK_MAIN();
