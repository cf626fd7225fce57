// heat2d: the reference simulation of sluice (DESIGN.md §7). Explicit 2D heat
// equation on an NX x NY grid split over a px x py process grid, publishing the
// temperature field with zero-copy: each published iteration is computed straight
// into the stream's slot, so exposing it costs no copy.
//
//   scripts/sluice-mpirun -np 2 heat2d --nx 512 --ny 512 --iters 100 : -np 1 heat2d-analytics --out
//   -
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "heat2d_options.hpp"
#include "sluice/channel/bridge.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"

namespace {

struct Options {
  std::int64_t nx = 2048;
  std::int64_t ny = 2048;
  std::int64_t iters = 100;
  std::int64_t every = 1;
  double dt = 0.2;
};

constexpr double hot_boundary = 100.0;  // the ghost row above global row 0

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf(
          "usage: heat2d [--nx N] [--ny N] [--iters N] [--every N] [--dt X]\n"
          "  --nx N      global rows (default 2048); must divide evenly over the process rows\n"
          "  --ny N      global columns (default 2048); must divide evenly over the process "
          "columns\n"
          "  --iters N   time steps (default 100); iterations 0..N, 0 is the initial field\n"
          "  --every N   publish iteration k when k %% N == 0 (default 1)\n"
          "  --dt X      time step (default 0.2); stable for 0 < dt <= 0.25\n"
          "Publishes the stream 'temperature' (f64, NX x NY) and 'time' (f64, 1 element).\n"
          "Run with heat2d-analytics in one MPMD job (see scripts/demo).\n");
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "heat2d: %s needs a value (see --help)\n", argv[i]);
      std::exit(2);
    }
    const std::string_view value = argv[++i];
    if (arg == "--nx") {
      o.nx = heat2d::parse_value<std::int64_t>("heat2d", arg, value);
    } else if (arg == "--ny") {
      o.ny = heat2d::parse_value<std::int64_t>("heat2d", arg, value);
    } else if (arg == "--iters") {
      o.iters = heat2d::parse_value<std::int64_t>("heat2d", arg, value);
    } else if (arg == "--every") {
      o.every = heat2d::parse_value<std::int64_t>("heat2d", arg, value);
    } else if (arg == "--dt") {
      o.dt = heat2d::parse_value<double>("heat2d", arg, value);
    } else {
      std::fprintf(stderr, "heat2d: unknown option %s (see --help)\n", argv[i - 1]);
      std::exit(2);
    }
  }
  const char* problem = nullptr;
  if (o.nx <= 0 || o.ny <= 0) {
    problem = "--nx and --ny must be positive";
  } else if (o.iters < 0) {
    problem = "--iters must be 0 or more";
  } else if (o.every <= 0) {
    problem = "--every must be positive";
  } else if (!(o.dt > 0.0 && o.dt <= 0.25)) {
    problem = "--dt must be in (0, 0.25]: larger steps make the explicit scheme unstable";
  }
  if (problem != nullptr) {
    std::fprintf(stderr, "heat2d: %s\n", problem);
    std::exit(2);
  }
  return o;
}

// The rank's part of the grid and its neighbours (MPI_PROC_NULL at the boundary).
struct Decomposition {
  int px = 1, py = 1;
  std::int64_t rows = 0, cols = 0;            // owned cells
  std::int64_t first_row = 0, first_col = 0;  // in the global grid
  int up = MPI_PROC_NULL, down = MPI_PROC_NULL, left = MPI_PROC_NULL, right = MPI_PROC_NULL;
};

Decomposition decompose(const Options& o, const sluice::mpi::Comm& comm) {
  Decomposition d;
  int dims[2] = {0, 0};
  sluice::check_mpi(MPI_Dims_create(comm.size(), 2, dims), "MPI_Dims_create");
  d.px = dims[0];
  d.py = dims[1];
  if (o.nx % d.px != 0 || o.ny % d.py != 0) {
    const bool rows_bad = o.nx % d.px != 0;
    throw sluice::InvalidArgument(
        "splitting a " + std::to_string(o.nx) + " x " + std::to_string(o.ny) + " grid over " +
            std::to_string(d.px) + " x " + std::to_string(d.py) + " processes",
        rows_bad ? "--nx " + std::to_string(o.nx) + " is not a multiple of the " +
                       std::to_string(d.px) + " process rows"
                 : "--ny " + std::to_string(o.ny) + " is not a multiple of the " +
                       std::to_string(d.py) + " process columns",
        "choose grid sizes that divide evenly, or another number of simulation ranks");
  }
  const int r = comm.rank();
  const int row = r / d.py;
  const int col = r % d.py;
  d.rows = o.nx / d.px;
  d.cols = o.ny / d.py;
  d.first_row = row * d.rows;
  d.first_col = col * d.cols;
  d.up = row > 0 ? r - d.py : MPI_PROC_NULL;
  d.down = row < d.px - 1 ? r + d.py : MPI_PROC_NULL;
  d.left = col > 0 ? r - 1 : MPI_PROC_NULL;
  d.right = col < d.py - 1 ? r + 1 : MPI_PROC_NULL;
  return d;
}

class Heat {
 public:
  Heat(const Decomposition& d, const sluice::mpi::Comm& comm)
      : m_d(d), m_comm(comm.get()), m_stride(d.cols + 2) {
    sluice::check_mpi(MPI_Type_vector(static_cast<int>(d.rows), 1, static_cast<int>(m_stride),
                                      MPI_DOUBLE, &m_column),
                      "MPI_Type_vector", "building the halo column type");
    sluice::check_mpi(MPI_Type_commit(&m_column), "MPI_Type_commit");
  }
  Heat(const Heat&) = delete;
  Heat& operator=(const Heat&) = delete;
  ~Heat() { MPI_Type_free(&m_column); }

  [[nodiscard]] std::size_t local_elements() const {
    return static_cast<std::size_t>((m_d.rows + 2) * m_stride);
  }

  // Fills halos: neighbours' edges, or the Dirichlet values at the global boundary.
  void exchange_halos(double* t, double hot) const {
    auto at = [&](std::int64_t i, std::int64_t j) { return t + i * m_stride + j; };
    const int rows = static_cast<int>(m_d.rows);
    const int cols = static_cast<int>(m_d.cols);
    MPI_Sendrecv(at(1, 1), cols, MPI_DOUBLE, m_d.up, 0, at(rows + 1, 1), cols, MPI_DOUBLE, m_d.down,
                 0, m_comm, MPI_STATUS_IGNORE);
    MPI_Sendrecv(at(rows, 1), cols, MPI_DOUBLE, m_d.down, 1, at(0, 1), cols, MPI_DOUBLE, m_d.up, 1,
                 m_comm, MPI_STATUS_IGNORE);
    MPI_Sendrecv(at(1, 1), 1, m_column, m_d.left, 2, at(1, cols + 1), 1, m_column, m_d.right, 2,
                 m_comm, MPI_STATUS_IGNORE);
    MPI_Sendrecv(at(1, cols), 1, m_column, m_d.right, 3, at(1, 0), 1, m_column, m_d.left, 3, m_comm,
                 MPI_STATUS_IGNORE);
    if (m_d.up == MPI_PROC_NULL) {
      std::fill(at(0, 1), at(0, cols + 1), hot);
    }
    if (m_d.down == MPI_PROC_NULL) {
      std::fill(at(rows + 1, 1), at(rows + 1, cols + 1), 0.0);
    }
    for (std::int64_t i = 1; i <= rows; ++i) {
      if (m_d.left == MPI_PROC_NULL) {
        *at(i, 0) = 0.0;
      }
      if (m_d.right == MPI_PROC_NULL) {
        *at(i, cols + 1) = 0.0;
      }
    }
  }

  // One explicit step from `t` (halos filled) into the owned cells of `next`. The
  // sum is spelled out in the order of the reference implementation so results
  // agree bit for bit (the build disables FMA contraction for this file).
  void step(const double* t, double* next, double dt) const {
    for (std::int64_t i = 1; i <= m_d.rows; ++i) {
      const double* row = t + i * m_stride;
      const double* above = row - m_stride;
      const double* below = row + m_stride;
      double* out = next + i * m_stride;
      for (std::int64_t j = 1; j <= m_d.cols; ++j) {
        const double c = row[j];
        out[j] = c + dt * ((((above[j] + below[j]) + row[j - 1]) + row[j + 1]) - 4.0 * c);
      }
    }
  }

 private:
  Decomposition m_d;
  MPI_Comm m_comm;
  std::int64_t m_stride;
  MPI_Datatype m_column = MPI_DATATYPE_NULL;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  sluice::mpi::Environment mpi(argc, argv);
  try {
    sluice::Runtime runtime(sluice::Role::simulation);
    const auto& comm = runtime.comm();
    const Decomposition d = decompose(o, comm);
    sluice::channel::Bridge bridge(runtime);
    auto& temperature = bridge.expose<double>("temperature", {{o.nx, o.ny},
                                                              {d.first_row, d.first_col},
                                                              {d.rows, d.cols},
                                                              {d.rows + 2, d.cols + 2},
                                                              {1, 1}});
    const bool is_root = comm.rank() == 0;
    auto& time = bridge.expose_value<double>("time");
    // Data assimilation: sluice-steer inject temperature patch.npy at I,J replaces
    // that region of the field, on the ranks that own it, at the returned iteration.
    temperature.accept_injections();

    // Steerable (sluice-steer set dt 0.1): both change only between iterations, at
    // the same iteration on every rank.
    auto dt = bridge.param<double>(
        "dt", o.dt, {.min = 1e-6, .max = 0.25, .doc = "time step; stable up to 0.25"});
    auto hot = bridge.param<double>("hot", hot_boundary,
                                    {.min = -1e6, .max = 1e6, .doc = "temperature above row 0"});

    Heat heat(d, comm);
    std::vector<double> spare_a(heat.local_elements(), 0.0);
    std::vector<double> spare_b(heat.local_elements(), 0.0);
    const auto started = std::chrono::steady_clock::now();
    double* current = nullptr;
    // t_k = t_base + (k - k_base) * dt since dt last changed: exactly k * dt when it
    // never does, as the reference computes it.
    double t = 0.0;
    double t_base = 0.0;
    std::int64_t k_base = 0;
    std::int64_t dt_since = dt.since_iteration();
    std::int64_t k = 0;
    for (; k <= o.iters && !bridge.stop_requested(); ++k) {
      const bool published = k % o.every == 0;
      // Published iterations are computed in the stream's slot (zero-copy); the
      // others in whichever spare buffer does not hold the current field.
      double* next = published ? temperature.slot<double>(k)
                               : (current == spare_a.data() ? spare_b.data() : spare_a.data());
      if (k == 0) {
        std::fill(next, next + heat.local_elements(), 0.0);
      } else {
        if (dt.since_iteration() != dt_since) {
          dt_since = dt.since_iteration();
          t_base = t;
          k_base = k - 1;
        }
        heat.exchange_halos(current, hot.value());
        heat.step(current, next, dt.value());
        t = t_base + static_cast<double>(k - k_base) * dt.value();
      }
      temperature.apply_injections(k, next);
      if (published) {
        temperature.commit(k);
        time.publish_value(k, t);
      }
      bridge.end_iteration(k);
      current = next;
    }
    if (bridge.stop_requested() && is_root) {
      std::fprintf(stderr, "heat2d: stopped by steering after iteration %lld\n",
                   static_cast<long long>(k - 1));
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (is_root) {
      std::fprintf(stderr,
                   "heat2d: %lld x %lld grid on %d x %d ranks, %lld iterations in %.3f s "
                   "(%.1f Mcell updates/s)\n",
                   static_cast<long long>(o.nx), static_cast<long long>(o.ny), d.px, d.py,
                   static_cast<long long>(k - 1), seconds,
                   static_cast<double>(o.nx * o.ny * (k - 1)) / seconds / 1e6);
    }
    bridge.close();
    runtime.free();
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "heat2d: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return 0;
}
