// Stream graphs against a plain reference: every operation family on deterministic
// data, for the layouts the job is run with (1, 2 or 4 simulation ranks, 1 or 20 blocks
// per rank: SLUICE_TEST_BLOCKS), read in place or pulled (OMPI_MCA_osc=pt2pt).
//
// The simulation publishes, for iterations 0..6 (shape 24 x 40, rank r owns a band of
// rows split into `blocks` column blocks):
//   a  f64  sin(0.1 i + 0.07 j + 0.3 k) * 50 + k
//   b  f64  (40 i + j) % 17 - 8 + 0.5 k, and 1e9 at (0, 0) of iteration 3 (a user
//           operator refuses it: that iteration of that graph fails)
//   n  i64  (7 i + 3 j + k) % 23
//   f  f32  0.25 (i - j) + k
//   e  f64  i + j + 10 k, published only every third iteration
//   time    a single value, 0.5 k
// The analytics process builds graphs, runs them, and compares every iteration's
// results with the same expressions computed here on whole arrays. With scheduler
// processes in the job (--role scheduler: a ring member with a graph executor, as
// sluice-scheduler), every graph runs on the ring; without, in the analytics process.
#include <mpi.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/channel/consumer.hpp"
#include "sluice/channel/stream_catalog.hpp"
#include "sluice/graph/client.hpp"
#include "sluice/graph/compile_error.hpp"
#include "sluice/graph/executor.hpp"
#include "sluice/graph/graph.hpp"
#include "sluice/graph/operators.hpp"
#include "sluice/ring/scheduler.hpp"

using namespace sluice;
using namespace sluice::graph;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t rows = 24;
constexpr std::int64_t columns = 40;
constexpr std::int64_t iterations = 7;
constexpr double missing = std::numeric_limits<double>::quiet_NaN();

std::int64_t blocks_per_rank() {
  const char* blocks = std::getenv("SLUICE_TEST_BLOCKS");
  return blocks == nullptr ? 1 : std::stoll(blocks);
}

double a_at(std::int64_t k, std::int64_t i, std::int64_t j) {
  return std::sin(0.1 * i + 0.07 * j + 0.3 * k) * 50 + k;
}
double b_at(std::int64_t k, std::int64_t i, std::int64_t j) {
  return (k == 3 && i == 0 && j == 0) ? 1e9 : static_cast<double>((40 * i + j) % 17) - 8 + 0.5 * k;
}
std::int64_t n_at(std::int64_t k, std::int64_t i, std::int64_t j) {
  return (7 * i + 3 * j + k) % 23;
}
float f_at(std::int64_t k, std::int64_t i, std::int64_t j) {
  return static_cast<float>(0.25 * static_cast<double>(i - j) + static_cast<double>(k));
}
double e_at(std::int64_t k, std::int64_t i, std::int64_t j) {
  return static_cast<double>(i + j + 10 * k);
}

// A whole array of iteration k, row-major, in double.
template <typename F>
std::vector<double> whole(F at, std::int64_t k) {
  std::vector<double> v;
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < columns; ++j) {
      v.push_back(static_cast<double>(at(k, i, j)));
    }
  }
  return v;
}

bool close_to(double got, double want) {
  if (std::isnan(want) || std::isnan(got)) {
    return std::isnan(want) && std::isnan(got);
  }
  return std::fabs(got - want) <= 1e-9 * std::max(1.0, std::fabs(want));
}

// Results of a graph's callback, by iteration.
using Results = std::map<std::int64_t, std::vector<Value>>;

Callback collect(Results& into) {
  return [&into](std::int64_t k, std::span<const Value> values) {
    into[k] = std::vector<Value>(values.begin(), values.end());
  };
}

// Expected values of iteration k: one vector per callback node.
using Reference = std::function<std::vector<std::vector<double>>(std::int64_t k)>;

int check(const char* what, const Results& got, const Reference& reference,
          const std::vector<std::int64_t>& expected_iterations) {
  int wrong = 0;
  std::vector<std::int64_t> seen;
  for (const auto& [k, values] : got) {
    seen.push_back(k);
    const auto want = reference(k);
    for (std::size_t v = 0; v < want.size(); ++v) {
      if (values[v].data.size() != want[v].size()) {
        std::fprintf(stderr, "%s: iteration %lld value %zu has %zu elements, expected %zu\n", what,
                     static_cast<long long>(k), v, values[v].data.size(), want[v].size());
        ++wrong;
        continue;
      }
      for (std::size_t e = 0; e < want[v].size(); ++e) {
        if (!close_to(values[v].data[e], want[v][e])) {
          std::fprintf(stderr, "%s: iteration %lld value %zu element %zu: %.17g, expected %.17g\n",
                       what, static_cast<long long>(k), v, e, values[v].data[e], want[v][e]);
          ++wrong;
          break;
        }
      }
    }
  }
  if (seen != expected_iterations) {
    std::fprintf(stderr, "%s: %zu iterations delivered, expected %zu\n", what, seen.size(),
                 expected_iterations.size());
    ++wrong;
  }
  return wrong;
}

// Reductions with numpy's rules, over whole arrays.
double ref_sum(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}
double ref_mean(const std::vector<double>& v) { return ref_sum(v) / static_cast<double>(v.size()); }
double ref_min(const std::vector<double>& v) {
  double m = INFINITY;
  for (double x : v) m = std::isnan(x) ? missing : std::min(m, x);
  return m;
}
double ref_max(const std::vector<double>& v) {
  double m = -INFINITY;
  for (double x : v) m = std::isnan(x) ? missing : std::max(m, x);
  return m;
}
std::vector<double> ref_histogram(const std::vector<double>& v, double lo, double hi, int bins) {
  std::vector<double> counts(static_cast<std::size_t>(bins), 0.0);
  for (double x : v) {
    if (!(x >= lo && x <= hi)) continue;
    auto b = static_cast<int>(std::floor((x - lo) / (hi - lo) * bins));
    counts[static_cast<std::size_t>(std::min(b, bins - 1))] += 1;
  }
  return counts;
}
template <typename F>
std::vector<double> elementwise(const std::vector<double>& x, const std::vector<double>& y, F f) {
  std::vector<double> r(x.size());
  for (std::size_t e = 0; e < x.size(); ++e) r[e] = f(x[e], y[e]);
  return r;
}
template <typename F>
std::vector<double> each(const std::vector<double>& x, F f) {
  std::vector<double> r(x.size());
  for (std::size_t e = 0; e < x.size(); ++e) r[e] = f(x[e]);
  return r;
}
// A selection of a whole array.
std::vector<double> select(const std::vector<double>& v, const Selection& s) {
  std::vector<double> r;
  for (std::int64_t i = 0; i < s.count[0]; ++i) {
    for (std::int64_t j = 0; j < s.count[1]; ++j) {
      r.push_back(v[static_cast<std::size_t>((s.start[0] + i * s.every[0]) * columns + s.start[1] +
                                             j * s.every[1])]);
    }
  }
  return r;
}

std::vector<std::int64_t> all_iterations() { return {0, 1, 2, 3, 4, 5, 6}; }

void simulate(Runtime& rt) {
  channel::Bridge bridge(rt);
  const auto ranks = static_cast<std::int64_t>(rt.comm().size());
  const auto rank = static_cast<std::int64_t>(rt.comm().rank());
  const std::int64_t band = rows / ranks;
  const std::int64_t blocks = blocks_per_rank();
  const std::int64_t width = columns / blocks;
  std::vector<channel::Layout> layouts;
  for (std::int64_t b = 0; b < blocks; ++b) {
    layouts.push_back({{rows, columns}, {rank * band, b * width}, {band, width}, {}, {}});
  }
  const channel::ChannelOptions options{.depth = 3, .policy = channel::Policy::block};
  auto& a = bridge.expose<double>("a", std::span<const channel::Layout>(layouts), options);
  auto& b = bridge.expose<double>("b", std::span<const channel::Layout>(layouts), options);
  auto& n = bridge.expose<std::int64_t>("n", std::span<const channel::Layout>(layouts), options);
  auto& f = bridge.expose<float>("f", std::span<const channel::Layout>(layouts), options);
  auto& e = bridge.expose<double>("e", std::span<const channel::Layout>(layouts), options);
  auto& time = bridge.expose_value<double>("time", options);
  bridge.start();
  const auto fill = [&]<typename T>(channel::Channel& channel, std::int64_t k, auto at) {
    for (std::int64_t blk = 0; blk < blocks; ++blk) {
      T* slot = channel.slot<T>(k, static_cast<std::size_t>(blk));
      const auto& l = layouts[static_cast<std::size_t>(blk)];
      for (std::int64_t i = 0; i < band; ++i) {
        for (std::int64_t j = 0; j < width; ++j) {
          slot[i * width + j] = static_cast<T>(at(k, l.block_start[0] + i, l.block_start[1] + j));
        }
      }
    }
    channel.commit(k);
  };
  for (std::int64_t k = 0; k < iterations; ++k) {
    fill.operator()<double>(a, k, a_at);
    fill.operator()<double>(b, k, b_at);
    fill.operator()<std::int64_t>(n, k, n_at);
    fill.operator()<float>(f, k, f_at);
    if (k % 3 == 0) {
      fill.operator()<double>(e, k, e_at);
    }
    time.publish_value(k, 0.5 * static_cast<double>(k));
    bridge.end_iteration(k);
    // As a simulation's halo exchange does: no rank runs iterations ahead of the others.
    rt.comm().barrier();
  }
  bridge.close();
}

}  // namespace

namespace {

// Bad graphs: each refused with its kind and a message saying what to change, before
// anything runs (the job's streams are known: the consumer met the set-up).
void check_refusals(Client& client) {
  using Kind = CompileError::Kind;
  struct Case {
    const char* what;
    std::function<void(Graph&)> build;
    Kind kind;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"unknown stream", [](Graph& g) { g.on(sum(g.stream("temperatur")), [](auto, auto) {}); },
       Kind::unknown_stream, "the job's streams are: "},
      {"value of an array", [](Graph& g) { g.on(g.value("a"), [](auto, auto) {}); },
       Kind::not_a_value, "read it with g.stream(\"a\")"},
      {"array of a value", [](Graph& g) { g.on(sum(g.stream("time")), [](auto, auto) {}); },
       Kind::not_a_value, "read it with g.value(\"time\")"},
      {"dtype mismatch",
       [](Graph& g) { g.on(sum(g.stream("a") + g.stream("f")), [](auto, auto) {}); },
       Kind::dtype_mismatch, "arrays of f64 and f32"},
      {"shape mismatch",
       [](Graph& g) {
         auto a = g.stream("a");
         g.on(sum(a + a.slice({{0, 0}, {2, 2}, {1, 1}})), [](auto, auto) {});
       },
       Kind::shape_mismatch, "shapes [24, 40] and [2, 2]"},
      {"window too deep",
       [](Graph& g) { g.on(sum(g.stream("a").previous(17)), [](auto, auto) {}); },
       Kind::window_too_deep, "at most 16"},
      {"unknown operator",
       [](Graph& g) { g.on(sum(map("no_such_op", g.stream("a"))), [](auto, auto) {}); },
       Kind::unknown_operator, "no elementwise operator"},
      {"bad axis", [](Graph& g) { g.on(sum(g.stream("a"), {2}), [](auto, auto) {}); },
       Kind::bad_argument, "axis 2 is out of range"},
      {"no bins", [](Graph& g) { g.on(histogram(g.stream("a"), 0, 1, 0), [](auto, auto) {}); },
       Kind::bad_argument, "0 bins"},
      {"empty range", [](Graph& g) { g.on(histogram(g.stream("a"), 1, 1, 4), [](auto, auto) {}); },
       Kind::bad_argument, "not an increasing pair"},
      {"selection outside",
       [](Graph& g) {
         g.on(sum(g.stream("a", {{20, 0}, {8, 40}, {1, 1}})), [](auto, auto) {});
       },
       Kind::bad_selection, "select inside the stream's shape [24, 40]"},
      {"two passes",
       [](Graph& g) {
         auto a = g.stream("a");
         g.on(sum(a - mean(a)), [](auto, auto) {});
       },
       Kind::unsupported, "the result of a reduction"},
      {"output name taken", [](Graph& g) { g.output("b", mean(g.stream("a"))); },
       Kind::bad_argument, "the name of another stream"},
  };
  for (const auto& c : cases) {
    Graph g(c.what);
    c.build(g);
    try {
      (void)client.submit(g);
      std::fprintf(stderr, "%s: accepted\n", c.what);
      EXPECT_TRUE(false);
    } catch (const CompileError& e) {
      if (e.kind() != c.kind || std::strstr(e.what(), c.message) == nullptr) {
        std::fprintf(stderr, "%s: %s\n", c.what, e.what());
      }
      EXPECT_TRUE(e.kind() == c.kind);
      EXPECT_TRUE(std::strstr(e.what(), c.message) != nullptr);
      EXPECT_TRUE(e.node() >= 0);
    }
  }
}

// The user operators the graphs name, registered in every process that runs graphs
// (the analytics process, and the schedulers when the graphs run on the ring).
void register_test_operators() {
  register_map("square", [](std::span<const double> in, std::span<double> out) {
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = in[i] * in[i];
  });
  register_map("refuse_huge", [](std::span<const double> in, std::span<double> out) {
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] > 1e8) throw std::runtime_error("a value above 1e8");
      out[i] = in[i];
    }
  });
  register_reduction("sum_and_max", {.length = 2,
                                     .map =
                                         [](std::span<const double> in, std::span<double> p) {
                                           for (double x : in) {
                                             p[0] += x;
                                             p[1] = std::max(p[1], x);
                                           }
                                         },
                                     .combine =
                                         [](std::span<const double> o, std::span<double> p) {
                                           p[0] += o[0];
                                           p[1] = std::max(p[1], o[1]);
                                         },
                                     .identity = 0.0});
}

// A scheduler of the ring, as sluice-scheduler runs it, with the test's operators.
void serve_as_scheduler(Runtime& rt) {
  register_test_operators();
  channel::StreamCatalog streams(rt);
  rt.finish_setup();
  ring::Scheduler scheduler(rt);
  Executor graphs(rt);
  scheduler.serve_streams(streams);
  scheduler.also_serve([&] { return graphs.poll(); }, [&] { return graphs.is_busy(); });
  scheduler.serve_until_stopped();
}

}  // namespace

SLUICE_MPI_TEST(graphs_compute_like_numpy) {
  Runtime rt(testing::role(), {.required_roles = {Role::simulation, Role::analytics}});
  if (rt.role() == Role::simulation) {
    simulate(rt);
    rt.free();
    return;
  }
  if (rt.role() == Role::scheduler) {
    serve_as_scheduler(rt);
    rt.free();
    return;
  }
  // With schedulers in the job, every graph runs on the ring.
  const GraphOptions on_ring_if_any{.runs_on = rt.has(Role::scheduler) ? RunsOn::schedulers
                                                                       : RunsOn::client};
  {  // the client and the consumer end before the pool is freed
    channel::Consumer consumer(rt);
    Client client(rt, consumer);
    check_refusals(client);
    register_test_operators();

    // 1. Elementwise arithmetic and functions, reduced.
    Results arithmetic;
    Graph g1("arithmetic");
    {
      auto a = g1.stream("a");
      auto b = g1.stream("b");
      auto s = summary(a);
      g1.on({s.sum, s.mean, s.min, s.max, s.count, sum(a * b + 2.0), mean(abs(a - b)),
             max(sqrt(abs(a))), min(exp(a / 50.0)), sum(log(abs(b) + 1.0)), sum(-a / (2.0 - b)),
             sum(minimum(a, b)), sum(maximum(a, b)), sum(where(a > b, a, b)), sum(a >= 0.0),
             sum(a < b), sum(a == a), sum(a != b), sum(map("square", a)), reduce("sum_and_max", a),
             // Summaries fed in an arithmetic node's own loop (fusion.hpp): an operand
             // given twice, and both operands and the result summarised.
             sum(a - a), max(b - a), min(b)},
            collect(arithmetic));
    }
    const auto arithmetic_reference = [](std::int64_t k) {
      const auto a = whole(a_at, k);
      const auto b = whole(b_at, k);
      const auto add = [](double x, double y) { return x + y; };
      (void)add;
      return std::vector<std::vector<double>>{
          {ref_sum(a)},
          {ref_mean(a)},
          {ref_min(a)},
          {ref_max(a)},
          {static_cast<double>(a.size())},
          {ref_sum(elementwise(a, b, [](double x, double y) { return x * y + 2.0; }))},
          {ref_mean(elementwise(a, b, [](double x, double y) { return std::fabs(x - y); }))},
          {ref_max(each(a, [](double x) { return std::sqrt(std::fabs(x)); }))},
          {ref_min(each(a, [](double x) { return std::exp(x / 50.0); }))},
          {ref_sum(each(b, [](double x) { return std::log(std::fabs(x) + 1.0); }))},
          {ref_sum(elementwise(a, b, [](double x, double y) { return -x / (2.0 - y); }))},
          {ref_sum(elementwise(a, b, [](double x, double y) { return std::min(x, y); }))},
          {ref_sum(elementwise(a, b, [](double x, double y) { return std::max(x, y); }))},
          {ref_sum(elementwise(a, b, [](double x, double y) { return x > y ? x : y; }))},
          {ref_sum(each(a, [](double x) { return x >= 0.0 ? 1.0 : 0.0; }))},
          {ref_sum(elementwise(a, b, [](double x, double y) { return x < y ? 1.0 : 0.0; }))},
          {static_cast<double>(a.size())},
          {ref_sum(elementwise(a, b, [](double x, double y) { return x != y ? 1.0 : 0.0; }))},
          {ref_sum(each(a, [](double x) { return x * x; }))},
          {ref_sum(a), std::max(0.0, ref_max(a))},
          {ref_sum(elementwise(a, a, [](double x, double y) { return x - y; }))},
          {ref_max(elementwise(a, b, [](double x, double y) { return y - x; }))},
          {ref_min(b)}};
    };

    // 2. Histograms, reductions over axes, selections and slices crossing blocks.
    Results shapes;
    const Selection crossing{{3, 5}, {15, 30}, {1, 1}};
    const Selection strided{{1, 2}, {7, 9}, {3, 4}};
    const Selection inner{{1, 2}, {7, 5}, {2, 3}};  // of the crossing selection
    Graph g2("shapes");
    {
      auto a = g2.stream("a");
      auto c = g2.stream("a", crossing);
      auto s = g2.stream("a", strided);
      g2.on({histogram(a, -50.0, 60.0, 11), sum(a, {0}), mean(a, {1}), max(a, {0}), mean(c), max(s),
             sum(c.slice(inner)), sum(c.slice(inner) * 2.0 - c.slice(inner)),
             histogram(sum(a, {1}), -500.0, 500.0, 4)},
            collect(shapes));
    }
    const auto shapes_reference = [&](std::int64_t k) {
      const auto a = whole(a_at, k);
      std::vector<double> column_sum(columns, 0.0), row_mean(rows, 0.0),
          column_max(columns, -INFINITY);
      for (std::int64_t i = 0; i < rows; ++i) {
        for (std::int64_t j = 0; j < columns; ++j) {
          const double x = a[static_cast<std::size_t>(i * columns + j)];
          column_sum[static_cast<std::size_t>(j)] += x;
          row_mean[static_cast<std::size_t>(i)] += x / columns;
          column_max[static_cast<std::size_t>(j)] =
              std::max(column_max[static_cast<std::size_t>(j)], x);
        }
      }
      std::vector<double> row_sum = each(row_mean, [](double x) { return x * columns; });
      const Selection nested{{3 + 1, 5 + 2}, {7, 5}, {2, 3}};
      return std::vector<std::vector<double>>{ref_histogram(a, -50.0, 60.0, 11),
                                              column_sum,
                                              row_mean,
                                              column_max,
                                              {ref_mean(select(a, crossing))},
                                              {ref_max(select(a, strided))},
                                              {ref_sum(select(a, nested))},
                                              {ref_sum(select(a, nested))},
                                              ref_histogram(row_sum, -500.0, 500.0, 4)};
    };

    // 3. Windows over every iteration and over every third (e), with the time.
    Results windows;
    Results every_third;
    Graph g3("windows");
    {
      auto a = g3.stream("a");
      auto t = g3.value("time");
      auto w = g3.window("a", 3);
      g3.on({sum(a - a.previous()), mean((a - a.previous()) / (t - t.previous())), sum(w[0] + w[1]),
             t.previous(2)},
            collect(windows));
    }
    Graph g4("every third");
    {
      auto e = g4.stream("e");
      auto a = g4.stream("a");
      g4.on({sum(e - e.previous()), mean(a) + sum(e)}, collect(every_third));
    }
    const auto windows_reference = [](std::int64_t k) {
      const auto a = whole(a_at, k);
      if (k == 0) {
        return std::vector<std::vector<double>>{{missing}, {missing}, {missing}, {missing}};
      }
      const auto p = whole(a_at, k - 1);
      const double d = ref_sum(a) - ref_sum(p);
      const double two_back = k >= 2 ? ref_sum(whole(a_at, k - 2)) + ref_sum(p) : missing;
      return std::vector<std::vector<double>>{
          {ref_sum(elementwise(a, p, [](double x, double y) { return x - y; }))},
          {ref_mean(elementwise(a, p, [](double x, double y) { return (x - y) / 0.5; }))},
          {two_back},
          {k >= 2 ? 0.5 * static_cast<double>(k - 2) : missing}};
      (void)d;
    };
    const auto every_third_reference = [](std::int64_t k) {
      const double change =
          k == 0 ? missing : ref_sum(whole(e_at, k)) - ref_sum(whole(e_at, k - 3));
      return std::vector<std::vector<double>>{{change},
                                              {ref_mean(whole(a_at, k)) + ref_sum(whole(e_at, k))}};
    };

    // 4. Dtypes: integers stay integers, f32 is read as f32, casts.
    Results dtypes;
    Graph g5("dtypes");
    {
      auto n = g5.stream("n");
      auto f = g5.stream("f");
      auto a = g5.stream("a");
      g5.on({sum(n), max(n), mean(f), sum(cast(n, Dtype::f64) * a), sum(n / 2), sum(n * 3 - n),
             histogram(f, -10.0, 10.0, 5), sum(cast(a, Dtype::i32))},
            collect(dtypes));
    }
    const auto dtypes_reference = [](std::int64_t k) {
      const auto n = whole(n_at, k);
      const auto f = whole(f_at, k);
      const auto a = whole(a_at, k);
      return std::vector<std::vector<double>>{
          {ref_sum(n)},
          {ref_max(n)},
          {ref_mean(f)},
          {ref_sum(elementwise(n, a, [](double x, double y) { return x * y; }))},
          {ref_sum(n) / 2},
          {2 * ref_sum(n)},
          ref_histogram(f, -10.0, 10.0, 5),
          {ref_sum(each(a, [](double x) { return std::trunc(x); }))}};
    };

    // 5. A user operator that fails at iteration 3; windows go on across it.
    Results failing;
    Graph g6("failing");
    {
      auto b = g6.stream("b");
      g6.on({sum(map("refuse_huge", b)), sum(b - b.previous())}, collect(failing));
    }
    const auto failing_reference = [](std::int64_t k) {
      const auto b = whole(b_at, k);
      return std::vector<std::vector<double>>{
          {ref_sum(b)}, {k == 0 ? missing : ref_sum(b) - ref_sum(whole(b_at, k - 1))}};
    };

    // 6. Derived streams, read by a plain subscription; the same graph rebuilt.
    Results compiled_results;
    Results rebuilt_results;
    Graph g7("derived");
    Graph g8("derived, rebuilt");
    for (Graph* g : {&g7, &g8}) {
      auto a = g->stream("a");
      auto b = g->stream("b");
      const bool is_first = g == &g7;
      if (is_first) {
        const channel::ChannelOptions keep_all{.depth = 8, .policy = channel::Policy::block};
        g->output("a.mean", mean(a), keep_all);
        g->output("a.column_sums", sum(a, {0}), keep_all);
        g->output("a.tenth", (a * 10.0).slice({{0, 0}, {12, 8}, {2, 5}}), keep_all);
      }
      g->on({mean(a - b), histogram(a, -40.0, 40.0, 7), (a + b).slice({{2, 3}, {2, 2}, {5, 7}})},
            collect(is_first ? compiled_results : rebuilt_results));
    }

    std::vector<GraphId> ids;
    for (Graph* g : {&g1, &g2, &g3, &g4, &g5, &g6, &g7}) {
      ids.push_back(client.submit(*g, on_ring_if_any));
      EXPECT_EQ(client.runs_on_ring(ids.back()), rt.has(Role::scheduler));
    }
    const GraphId rebuilt =
        client.submit(g8, {.mode = Mode::rebuilt, .runs_on = on_ring_if_any.runs_on});
    auto& mean_stream = consumer.subscribe_value<double>("a.mean");
    auto& column_stream = consumer.subscribe<double>("a.column_sums");
    auto& tenth_stream = consumer.subscribe<double>("a.tenth");
    // A graph cancelled once it has run: no callback after the cancel, the others go on.
    Results cancelled_results;
    Graph g9("cancelled");
    g9.on(sum(g9.stream("a")), collect(cancelled_results));
    const GraphId cancelled = client.submit(g9, on_ring_if_any);

    // The build counters after the first iteration stay as they are.
    while (client.status(ids.back()).iterations == 0) {
      EXPECT_TRUE(client.poll(10s) != PollStatus::ended);
    }
    const GraphStatus first = client.status(ids.back());
    while (cancelled_results.empty()) {
      EXPECT_TRUE(client.poll(10s) != PollStatus::ended);
    }
    client.cancel(cancelled);
    EXPECT_TRUE(client.has_ended(cancelled));
    const std::size_t delivered_before_cancel = cancelled_results.size();
    client.run(60s);
    EXPECT_EQ(cancelled_results.size(), delivered_before_cancel);
    EXPECT_TRUE(delivered_before_cancel < static_cast<std::size_t>(iterations));
    const GraphStatus last = client.status(ids.back());
    const GraphStatus rebuilt_status = client.status(rebuilt);

    EXPECT_EQ(check("arithmetic", arithmetic, arithmetic_reference, all_iterations()), 0);
    EXPECT_EQ(check("shapes", shapes, shapes_reference, all_iterations()), 0);
    EXPECT_EQ(check("windows", windows, windows_reference, all_iterations()), 0);
    EXPECT_EQ(check("every third", every_third, every_third_reference, {0, 3, 6}), 0);
    EXPECT_EQ(check("dtypes", dtypes, dtypes_reference, all_iterations()), 0);
    EXPECT_EQ(check("failing", failing, failing_reference, {0, 1, 2, 4, 5, 6}), 0);

    // Dtypes as a derived stream would hold them.
    EXPECT_TRUE(dtypes.at(0)[0].dtype == Dtype::i64);
    EXPECT_TRUE(dtypes.at(0)[1].dtype == Dtype::i64);
    EXPECT_TRUE(dtypes.at(0)[2].dtype == Dtype::f64);
    EXPECT_TRUE(arithmetic.at(0)[14].dtype == Dtype::i64);  // sum of a comparison (u8)

    // The failure reached the status with its iteration and message.
    const auto failed = client.status(ids[5]);
    EXPECT_EQ(failed.failed_iterations, 1u);
    EXPECT_EQ(failed.last_error_iteration, 3);
    EXPECT_TRUE(failed.last_error.find("above 1e8") != std::string::npos);
    EXPECT_EQ(failed.iterations, 7u);
    EXPECT_EQ(client.status(ids[3]).skipped_iterations, 4u);

    // Compiled and rebuilt: the same results, bit for bit; built once against every
    // iteration.
    EXPECT_EQ(compiled_results.size(), 7u);
    EXPECT_EQ(rebuilt_results.size(), 7u);
    for (const auto& [k, values] : compiled_results) {
      const auto rebuilt_k = rebuilt_results.find(k);
      if (rebuilt_k == rebuilt_results.end() || rebuilt_k->second.size() != values.size()) {
        EXPECT_TRUE(false);
        continue;
      }
      for (std::size_t v = 0; v < values.size(); ++v) {
        const auto& other = rebuilt_k->second[v].data;
        EXPECT_TRUE(
            values[v].data.size() == other.size() &&
            std::memcmp(values[v].data.data(), other.data(), other.size() * sizeof(double)) == 0);
      }
    }
    EXPECT_EQ(first.compilations, 1u);
    EXPECT_EQ(last.compilations, 1u);
    EXPECT_EQ(last.placements, first.placements);
    EXPECT_EQ(last.allocations, first.allocations);
    EXPECT_EQ(last.subscriptions, first.subscriptions);
    EXPECT_EQ(last.replans, first.replans);
    EXPECT_EQ(last.iterations, 7u);
    // From the producers' commit to the outputs, on this node's clock: every iteration.
    EXPECT_EQ(last.latency.samples, 7u);
    EXPECT_TRUE(last.latency.min_us > 0.0 && last.latency.max_us < 60e6);
    EXPECT_EQ(last.iteration_time.samples, 7u);
    EXPECT_EQ(rebuilt_status.compilations, 8u);  // at submission, then every iteration
    EXPECT_EQ(rebuilt_status.placements, 8u);
    EXPECT_TRUE(rebuilt_status.allocations > last.allocations);

    // The derived streams, read like any stream.
    std::int64_t delivered = 0;
    for (;;) {
      auto step = mean_stream.next(5s);
      if (step.status() != channel::StepStatus::ok) {
        EXPECT_TRUE(step.status() == channel::StepStatus::end_of_stream);
        break;
      }
      EXPECT_TRUE(close_to(step.value<double>(), ref_mean(whole(a_at, step.iteration()))));
      ++delivered;
    }
    EXPECT_EQ(delivered, iterations);
    delivered = 0;
    for (;;) {
      auto step = column_stream.next(5s);
      if (!step.ok()) break;
      const auto data = step.data<double>();
      const auto a = whole(a_at, step.iteration());
      double column_7 = 0;
      for (std::int64_t i = 0; i < rows; ++i)
        column_7 += a[static_cast<std::size_t>(i * columns + 7)];
      EXPECT_EQ(data.size(), static_cast<std::size_t>(columns));
      EXPECT_TRUE(close_to(data[7], column_7));
      ++delivered;
    }
    EXPECT_EQ(delivered, iterations);
    delivered = 0;
    for (;;) {
      auto step = tenth_stream.next(5s);
      if (!step.ok()) break;
      const auto data = step.data<double>();
      const auto want = each(select(whole(a_at, step.iteration()), {{0, 0}, {12, 8}, {2, 5}}),
                             [](double x) { return x * 10.0; });
      EXPECT_TRUE(step.shape() == (Extents{12, 8}));
      bool same = data.size() == want.size();
      for (std::size_t e = 0; same && e < want.size(); ++e) same = close_to(data[e], want[e]);
      EXPECT_TRUE(same);
      ++delivered;
    }
    EXPECT_EQ(delivered, iterations);
    consumer.close();
  }
  rt.free();
}
