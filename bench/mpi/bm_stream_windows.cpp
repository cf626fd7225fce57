// Streams created after the job started: what each way of exposing a new ring of
// slots costs, side by side in one run.
//
//   scripts/sluice-mpirun -np 2 build/bench/bm_mpi_stream_windows
//   OMPI_MCA_osc=rdma,sm,pt2pt scripts/sluice-mpirun -np 2 build/bench/bm_mpi_stream_windows
//   scripts/sluice-mpirun -np 3 build/bench/bm_mpi_stream_windows     (rank 1 a bystander)
//   build/bench/bm_mpi_stream_windows --help
//
// Rank 0 produces, the last rank reads and measures, ranks in between are bystanders
// (simulation ranks that must not be dragged into a collective when a stream is born).
// Rank 0 prints. The mechanisms:
//
//   baseline   today: one MPI_Win_allocate_shared over the whole job per stream
//              (alloc_shared_noncontig=true), collective over every process.
//   subcomm    MPI_Comm_create_group over the producer and its readers known now, then
//              MPI_Win_allocate_shared on it: collective over those only. A reader
//              that comes later is not in the window and cannot join it.
//   dynamic    MPI_Win_create_dynamic over the job once at start; the producer
//              MPI_Win_attach-es the stream's memory later (local) and sends the
//              address. osc sm cannot serve dynamic windows (Open MPI 4.1 serves them
//              with osc rdma or pt2pt), and MPI_Win_shared_query refuses them.
//   pool       one MPI_Win_allocate_shared over the job at start in which every
//              process reserves a large pool; the owner sub-allocates a stream in its
//              pool later (local) and sends the offset.
//
// For each: the cost of creating one stream after start (and of the one-time setup),
// MPI_Get bandwidth of a whole block, latency of an 8-byte MPI_Fetch_and_op, the same
// fetch-and-op while the target computes without calling MPI (progress), and whether a
// reader on the node can read the block in place, and at what speed. Then, for pool
// reservations of several sizes: creation time and what an untouched reservation
// costs (RSS, the backing file's allocated blocks, /dev/shm, the session directory),
// before and after the owner touches one block of it.
//
// Measured on a loaded 2-core VM, Open MPI 4.1.4 (numbers vary run to run; compare
// rows of one run): the three shared-window rows pull at the reader's memcpy speed,
// fetch-and-op 0.02 us, progress while the target computes, read in place; creating a
// shared window takes about 0.06-0.1 ms whatever its size (osc sm ftruncates a sparse
// file in /dev/shm, unlinked once mapped, and touches no data page). The dynamic
// window is served by osc pt2pt under sluice-mpirun (osc rdma under Open MPI's
// default): a third of the bandwidth or less, fetch-and-op in microseconds, atomics
// (and with pt2pt Gets too) wait for the target to call MPI, no in-place reads.
#include <mpi.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sluice/mpi/check.hpp"
#include "sluice/mpi/environment.hpp"

namespace {

using sluice::check_mpi;
constexpr std::size_t MiB = std::size_t{1} << 20;

struct Options {
  std::size_t bytes = 64 * MiB;             // one stream's block, pulled whole
  std::size_t pool = std::size_t{1} << 30;  // pool reservation measured for bandwidth
  std::vector<std::size_t> reservations = {64 * MiB, std::size_t{1} << 30, std::size_t{8} << 30};
  int gets = 10;
  int fops = 10000;
  int creations = 5;
  int busy_ms = 300;
};

const char* usage =
    "usage: sluice-mpirun -np 2 bm_mpi_stream_windows [options]\n"
    "  --bytes=SIZE        block pulled per stream (default 64M)\n"
    "  --pool=SIZE         pool reservation per process for the bandwidth rows (default 1G)\n"
    "  --reserve=S1,S2,..  pool reservations whose memory cost is measured (default 64M,1G,8G)\n"
    "  --gets=N            MPI_Get / memcpy repetitions (default 10)\n"
    "  --fops=N            fetch-and-op repetitions (default 10000)\n"
    "  --creations=N       window creations timed per mechanism (default 5)\n"
    "  --busy-ms=N         how long the target computes without MPI for the progress test\n"
    "SIZE takes K, M, G suffixes (powers of 1024). Rank 0 produces, the last rank reads,\n"
    "ranks in between are bystanders. Needs at least 2 processes on one node.\n"
    "Note: every process maps (processes x reservation) of virtual memory, and rank 0's\n"
    "/dev/shm must have that much free space: beyond it, creation fails (MPI_ERR_INTERN)\n"
    "and the job then hung in MPI_Finalize when tried (Open MPI 4.1.4).\n";

std::size_t parse_size(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  double scale = 1;
  switch (*end) {
    case 'k':
    case 'K':
      scale = 1024.0;
      break;
    case 'm':
    case 'M':
      scale = 1024.0 * 1024;
      break;
    case 'g':
    case 'G':
      scale = 1024.0 * 1024 * 1024;
      break;
    default:
      break;
  }
  return static_cast<std::size_t>(value * scale);
}

std::string show_size(std::size_t bytes) {
  char text[32];
  if (bytes >= (std::size_t{1} << 30) && bytes % (std::size_t{1} << 30) == 0) {
    std::snprintf(text, sizeof text, "%zu GiB", bytes >> 30);
  } else {
    std::snprintf(text, sizeof text, "%zu MiB", bytes >> 20);
  }
  return text;
}

bool parse_options(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* key) -> const char* {
      const std::size_t n = std::strlen(key);
      return arg.compare(0, n, key) == 0 ? arg.c_str() + n : nullptr;
    };
    if (arg == "--help" || arg == "-h") {
      return false;
    } else if (const char* v = value("--bytes=")) {
      o.bytes = parse_size(v);
    } else if (const char* v = value("--pool=")) {
      o.pool = parse_size(v);
    } else if (const char* v = value("--reserve=")) {
      o.reservations.clear();
      std::stringstream list(v);
      for (std::string item; std::getline(list, item, ',');) {
        o.reservations.push_back(parse_size(item));
      }
    } else if (const char* v = value("--gets=")) {
      o.gets = std::max(1, std::atoi(v));
    } else if (const char* v = value("--fops=")) {
      o.fops = std::max(1, std::atoi(v));
    } else if (const char* v = value("--creations=")) {
      o.creations = std::max(1, std::atoi(v));
    } else if (const char* v = value("--busy-ms=")) {
      o.busy_ms = std::max(1, std::atoi(v));
    } else {
      std::fprintf(stderr, "unknown option %s\n", arg.c_str());
      return false;
    }
  }
  return o.bytes >= 8 && o.pool >= o.bytes;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? -1 : v[v.size() / 2];
}

// ---- what the operating system says about this process and /dev/shm ----

struct ProcMemory {
  double vm_mib = 0, rss_anon_mib = 0, rss_shmem_mib = 0;
};

ProcMemory proc_memory() {
  ProcMemory m;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    const auto kib = [&] { return std::strtod(line.c_str() + line.find(':') + 1, nullptr) / 1024; };
    if (line.rfind("VmSize:", 0) == 0) m.vm_mib = kib();
    if (line.rfind("RssAnon:", 0) == 0) m.rss_anon_mib = kib();
    if (line.rfind("RssShmem:", 0) == 0) m.rss_shmem_mib = kib();
  }
  return m;
}

double used_mib(const char* path) {
  struct statvfs fs {};
  if (statvfs(path, &fs) != 0) return -1;
  return static_cast<double>(fs.f_blocks - fs.f_bfree) * static_cast<double>(fs.f_frsize) / MiB;
}

// Allocated (not apparent) bytes of everything under this job's session directory.
double session_dir_mib() {
  const char* dir = std::getenv("OMPI_MCA_orte_jobfam_session_dir");
  if (dir == nullptr) return -1;
  std::error_code ec;
  double bytes = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (lstat(it->path().c_str(), &st) == 0) bytes += static_cast<double>(st.st_blocks) * 512;
  }
  return bytes / MiB;
}

// The file mapped at `address`, as /proc/self/maps names it, and the bytes it really
// occupies (st_blocks, through /proc/self/map_files, which works once it is unlinked).
struct Backing {
  std::string path;
  double allocated_mib = -1;
  double mapped_mib = -1;
};

Backing backing_of(const void* address) {
  Backing b;
  const auto target = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    std::uintptr_t lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) != 2) continue;
    if (target < lo || target >= hi) continue;
    const auto slash = line.find('/');
    b.path = slash == std::string::npos ? "(anonymous)" : line.substr(slash);
    b.mapped_mib = static_cast<double>(hi - lo) / MiB;
    const std::string range = line.substr(0, line.find(' '));
    struct stat st {};
    if (stat(("/proc/self/map_files/" + range).c_str(), &st) == 0) {
      b.allocated_mib = static_cast<double>(st.st_blocks) * 512 / MiB;
    }
    break;
  }
  return b;
}

std::string mpi_error(int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  return std::string(text, static_cast<std::size_t>(length));
}

// ---- the job ----

struct Job {
  int rank = 0, size = 0, producer = 0, reader = 0;
  bool is_producer() const { return rank == producer; }
  bool is_reader() const { return rank == reader; }
  void barrier() const { MPI_Barrier(MPI_COMM_WORLD); }
};

// One row of the comparison. Every rank fills what it measured and leaves -1
// elsewhere; a MAX reduction gathers the row on rank 0.
struct Row {
  double setup_ms = -1;   // one-time collective over the job, at start
  double stream_ms = -1;  // creating one stream after start (median)
  double close_ms = -1;   // ending it
  double get_gbs = -1;    // MPI_Get of the whole block, median
  double get_best_gbs = -1;
  double fop_us = -1;         // 8-byte MPI_Fetch_and_op + flush, median of batch means
  double busy_fop_ms = -1;    // one fetch-and-op while the target computes
  double busy_get_ms = -1;    // one MPI_Get of the block while the target computes
  double unavailable = -1;    // the MPI error class when the window could not be made
  double inplace_gbs = -1;    // memcpy from the shared_query mapping, median; -1: refused
  double inplace_error = -1;  // the MPI error code shared_query returned
};

Row gather(const Row& mine) {
  Row all;
  MPI_Reduce(&mine, &all, sizeof(Row) / sizeof(double), MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  return all;
}

std::byte pattern(std::size_t i, int seed) {
  return static_cast<std::byte>((i * 131 + static_cast<std::size_t>(seed)) & 0xff);
}

void fill(std::byte* data, std::size_t bytes, int seed) {
  for (std::size_t i = 0; i < bytes; ++i) data[i] = pattern(i, seed);
}

void verify(const std::byte* data, std::size_t bytes, int seed, const char* what) {
  // Bytes 0..7 hold the fetch-and-op counter; check the rest.
  for (std::size_t i = 8; i < bytes; i += 4093) {
    if (data[i] != pattern(i, seed)) {
      std::fprintf(stderr, "%s: wrong byte at %zu\n", what, i);
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
  }
}

// Reader side of the measurements common to every mechanism, inside an open
// lock_all epoch on `win`; `target` is the producer's rank in the window.
void measure_pull(const Options& o, MPI_Win win, int target, MPI_Aint disp, int seed,
                  std::vector<std::byte>& destination, Row& row, const char* what) {
  const int count = static_cast<int>(o.bytes);
  std::vector<double> gbs;
  for (int i = 0; i <= o.gets; ++i) {
    const double t0 = MPI_Wtime();
    check_mpi(MPI_Get(destination.data(), count, MPI_BYTE, target, disp, count, MPI_BYTE, win),
              "MPI_Get");
    check_mpi(MPI_Win_flush(target, win), "MPI_Win_flush");
    const double t = MPI_Wtime() - t0;
    if (i == 0) {
      verify(destination.data(), o.bytes, seed, what);  // and warm-up
    } else {
      gbs.push_back(static_cast<double>(o.bytes) / t / 1e9);
    }
  }
  row.get_gbs = median(gbs);
  row.get_best_gbs = *std::max_element(gbs.begin(), gbs.end());

  // In batches, so that a descheduled moment on a shared machine spoils one batch only.
  constexpr int batches = 20;
  const int per_batch = std::max(1, o.fops / batches);
  std::uint64_t one = 1, previous = 0;
  std::vector<double> us;
  for (int b = 0; b < batches; ++b) {
    const double t0 = MPI_Wtime();
    for (int i = 0; i < per_batch; ++i) {
      check_mpi(MPI_Fetch_and_op(&one, &previous, MPI_UINT64_T, target, disp, MPI_SUM, win),
                "MPI_Fetch_and_op");
      check_mpi(MPI_Win_flush(target, win), "MPI_Win_flush");
    }
    us.push_back((MPI_Wtime() - t0) / per_batch * 1e6);
  }
  row.fop_us = median(us);
}

// In-place read through MPI_Win_shared_query, if the window allows it.
void measure_in_place(const Options& o, MPI_Win win, int target, MPI_Aint disp, int seed,
                      std::vector<std::byte>& destination, Row& row, const char* what) {
  MPI_Aint size = 0;
  int disp_unit = 0;
  std::byte* base = nullptr;
  const int rc = MPI_Win_shared_query(win, target, &size, &disp_unit, &base);
  if (rc != MPI_SUCCESS) {
    int error_class = 0;
    MPI_Error_class(rc, &error_class);
    row.inplace_error = error_class;
    return;
  }
  MPI_Win_sync(win);
  const std::byte* source = base + disp;
  verify(source, o.bytes, seed, what);
  std::vector<double> gbs;
  for (int i = 0; i <= o.gets; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    std::memcpy(destination.data(), source, o.bytes);
    const std::chrono::duration<double> t = std::chrono::steady_clock::now() - t0;
    if (i > 0) gbs.push_back(static_cast<double>(o.bytes) / t.count() / 1e9);
  }
  row.inplace_gbs = median(gbs);
}

// One fetch-and-op, then one MPI_Get of the block, each issued while the producer
// spins without calling MPI: does the component progress passive-target operations
// on its own? (When it does not, they complete only when the target calls MPI again.)
void measure_busy_target(const Options& o, const Job& job, MPI_Comm comm, MPI_Win win, int target,
                         MPI_Aint disp, std::vector<std::byte>& destination, Row& row) {
  for (int round = 0; round < 2; ++round) {
    MPI_Barrier(comm);
    if (job.is_producer()) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(o.busy_ms);
      volatile std::uint64_t spin = 0;
      while (std::chrono::steady_clock::now() < until) spin = spin + 1;
    } else if (job.is_reader()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(o.busy_ms / 6));
      std::uint64_t one = 1, previous = 0;
      const double t0 = MPI_Wtime();
      if (round == 0) {
        check_mpi(MPI_Fetch_and_op(&one, &previous, MPI_UINT64_T, target, disp, MPI_SUM, win),
                  "MPI_Fetch_and_op");
      } else {
        const int count = static_cast<int>(o.bytes);
        check_mpi(MPI_Get(destination.data(), count, MPI_BYTE, target, disp, count, MPI_BYTE, win),
                  "MPI_Get");
      }
      check_mpi(MPI_Win_flush(target, win), "MPI_Win_flush");
      (round == 0 ? row.busy_fop_ms : row.busy_get_ms) = (MPI_Wtime() - t0) * 1e3;
    }
    MPI_Barrier(comm);
  }
}

// Every process of a window gets the same one-sided component, so when one cannot
// make a shared window (OMPI_MCA_osc without sm), all fail alike and all return.
bool allocate_shared(std::size_t bytes, MPI_Comm comm, std::byte** base, MPI_Win* win, Row& row) {
  MPI_Info info = MPI_INFO_NULL;
  MPI_Info_create(&info);
  MPI_Info_set(info, "alloc_shared_noncontig", "true");
  const int rc = MPI_Win_allocate_shared(static_cast<MPI_Aint>(bytes), 1, info, comm, base, win);
  MPI_Info_free(&info);
  if (rc != MPI_SUCCESS) {
    int error_class = 0;
    MPI_Error_class(rc, &error_class);
    row.unavailable = error_class;
    return false;
  }
  MPI_Win_set_errhandler(*win, MPI_ERRORS_RETURN);
  return true;
}

// ---- reference: the reader's own memcpy of the block, private to private ----

Row run_memcpy(const Options& o, const Job& job, std::vector<std::byte>& destination) {
  Row row;
  if (job.is_reader()) {
    std::vector<std::byte> source(o.bytes, std::byte{1});
    std::vector<double> gbs;
    for (int i = 0; i <= o.gets; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      std::memcpy(destination.data(), source.data(), o.bytes);
      const std::chrono::duration<double> t = std::chrono::steady_clock::now() - t0;
      if (i > 0) gbs.push_back(static_cast<double>(o.bytes) / t.count() / 1e9);
    }
    row.inplace_gbs = median(gbs);
  }
  return row;
}

// ---- baseline: one shared window over the job per stream ----

Row run_baseline(const Options& o, const Job& job, std::vector<std::byte>& destination) {
  Row row;
  const std::size_t size = job.is_producer() ? o.bytes : 0;
  std::vector<double> create, close;
  MPI_Win win = MPI_WIN_NULL;
  std::byte* base = nullptr;
  for (int i = 0; i < o.creations; ++i) {
    job.barrier();
    double t0 = MPI_Wtime();
    if (!allocate_shared(size, MPI_COMM_WORLD, &base, &win, row)) return row;
    create.push_back((MPI_Wtime() - t0) * 1e3);
    if (i + 1 == o.creations) break;
    job.barrier();
    t0 = MPI_Wtime();
    MPI_Win_free(&win);
    close.push_back((MPI_Wtime() - t0) * 1e3);
  }
  row.stream_ms = median(create);
  row.close_ms = median(close);

  MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
  if (job.is_producer()) {
    fill(base, o.bytes, 1);
    MPI_Win_sync(win);
  }
  job.barrier();
  if (job.is_reader()) {
    measure_pull(o, win, job.producer, 0, 1, destination, row, "baseline MPI_Get");
    measure_in_place(o, win, job.producer, 0, 1, destination, row, "baseline in place");
  }
  measure_busy_target(o, job, MPI_COMM_WORLD, win, job.producer, 0, destination, row);
  MPI_Win_unlock_all(win);
  MPI_Win_free(&win);
  return row;
}

// ---- 1: a shared window over the producer and its readers only ----

Row run_subcomm(const Options& o, const Job& job, std::vector<std::byte>& destination) {
  Row row;
  if (!job.is_producer() && !job.is_reader()) {
    return row;  // a bystander: takes no part at all
  }
  MPI_Group world_group = MPI_GROUP_NULL, group = MPI_GROUP_NULL;
  MPI_Comm_group(MPI_COMM_WORLD, &world_group);
  const int members[2] = {job.producer, job.reader};  // producer is rank 0 of the window
  MPI_Group_incl(world_group, 2, members, &group);
  MPI_Group_free(&world_group);
  const std::size_t size = job.is_producer() ? o.bytes : 0;

  // Participants only synchronise among themselves.
  MPI_Comm pair = MPI_COMM_NULL;
  MPI_Comm_create_group(MPI_COMM_WORLD, group, 7001, &pair);
  std::vector<double> create, close;
  MPI_Win win = MPI_WIN_NULL;
  std::byte* base = nullptr;
  MPI_Comm comm = MPI_COMM_NULL;
  for (int i = 0; i < o.creations; ++i) {
    MPI_Barrier(pair);
    double t0 = MPI_Wtime();
    check_mpi(MPI_Comm_create_group(MPI_COMM_WORLD, group, 7002, &comm), "MPI_Comm_create_group");
    if (!allocate_shared(size, comm, &base, &win, row)) {
      MPI_Comm_free(&comm);
      MPI_Comm_free(&pair);
      MPI_Group_free(&group);
      return row;
    }
    create.push_back((MPI_Wtime() - t0) * 1e3);
    if (i + 1 == o.creations) break;
    MPI_Barrier(pair);
    t0 = MPI_Wtime();
    MPI_Win_free(&win);
    MPI_Comm_free(&comm);
    close.push_back((MPI_Wtime() - t0) * 1e3);
  }
  MPI_Group_free(&group);
  row.stream_ms = median(create);
  row.close_ms = median(close);

  MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
  if (job.is_producer()) {
    fill(base, o.bytes, 2);
    MPI_Win_sync(win);
  }
  MPI_Barrier(pair);
  if (job.is_reader()) {
    measure_pull(o, win, 0, 0, 2, destination, row, "subcomm MPI_Get");
    measure_in_place(o, win, 0, 0, 2, destination, row, "subcomm in place");
  }
  measure_busy_target(o, job, pair, win, 0, 0, destination, row);
  MPI_Win_unlock_all(win);
  MPI_Win_free(&win);
  MPI_Comm_free(&comm);
  MPI_Comm_free(&pair);
  return row;
}

// ---- 2: a dynamic window over the job, memory attached later ----

Row run_dynamic(const Options& o, const Job& job, std::vector<std::byte>& destination) {
  Row row;
  std::vector<double> setup;
  MPI_Win win = MPI_WIN_NULL;
  for (int i = 0; i < o.creations; ++i) {
    job.barrier();
    const double t0 = MPI_Wtime();
    check_mpi(MPI_Win_create_dynamic(MPI_INFO_NULL, MPI_COMM_WORLD, &win),
              "MPI_Win_create_dynamic");
    setup.push_back((MPI_Wtime() - t0) * 1e3);
    if (i + 1 < o.creations) MPI_Win_free(&win);
  }
  MPI_Win_set_errhandler(win, MPI_ERRORS_RETURN);
  row.setup_ms = median(setup);

  // The producer's stream memory, allocated and written before it is exposed.
  std::byte* memory = nullptr;
  if (job.is_producer()) {
    memory = static_cast<std::byte*>(std::aligned_alloc(4096, o.bytes));
    fill(memory, o.bytes, 3);
  }
  MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
  // A new stream: the producer attaches (local) and tells its reader the address;
  // nobody else takes part. Attach and detach are repeated to time them.
  std::vector<double> create, close;
  MPI_Aint address = 0;
  for (int i = 0; i < o.creations; ++i) {
    job.barrier();
    double t0 = MPI_Wtime();
    if (job.is_producer()) {
      check_mpi(MPI_Win_attach(win, memory, static_cast<MPI_Aint>(o.bytes)), "MPI_Win_attach");
      MPI_Get_address(memory, &address);
      MPI_Send(&address, 1, MPI_AINT, job.reader, 7003, MPI_COMM_WORLD);
    } else if (job.is_reader()) {
      MPI_Recv(&address, 1, MPI_AINT, job.producer, 7003, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    create.push_back((MPI_Wtime() - t0) * 1e3);
    if (i + 1 == o.creations) break;
    job.barrier();
    t0 = MPI_Wtime();
    if (job.is_producer()) check_mpi(MPI_Win_detach(win, memory), "MPI_Win_detach");
    close.push_back((MPI_Wtime() - t0) * 1e3);
  }
  if (job.is_producer() || job.is_reader()) {
    row.stream_ms = median(create);
    row.close_ms = median(close);
  }
  if (job.is_producer()) MPI_Win_sync(win);
  job.barrier();
  if (job.is_reader()) {
    measure_pull(o, win, job.producer, address, 3, destination, row, "dynamic MPI_Get");
    measure_in_place(o, win, job.producer, address, 3, destination, row, "dynamic in place");
  }
  measure_busy_target(o, job, MPI_COMM_WORLD, win, job.producer, address, destination, row);
  MPI_Win_unlock_all(win);
  job.barrier();
  if (job.is_producer()) {
    MPI_Win_detach(win, memory);
    std::free(memory);
  }
  MPI_Win_free(&win);
  return row;
}

// ---- 3: a pool reserved over the job at start, sub-allocated by its owner ----

struct Pool {
  MPI_Win win = MPI_WIN_NULL;
  std::byte* base = nullptr;
  double create_ms = 0;
};

// MPI_WIN_NULL when shared windows are not available (then for every process).
Pool reserve_pool(std::size_t bytes, Row& row) {
  Pool pool;
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = MPI_Wtime();
  if (allocate_shared(bytes, MPI_COMM_WORLD, &pool.base, &pool.win, row)) {
    pool.create_ms = (MPI_Wtime() - t0) * 1e3;
  }
  return pool;
}

Row run_pool(const Options& o, const Job& job, std::vector<std::byte>& destination) {
  Row row;
  Pool pool = reserve_pool(o.pool, row);
  if (pool.win == MPI_WIN_NULL) return row;
  row.setup_ms = pool.create_ms;

  MPI_Win_lock_all(MPI_MODE_NOCHECK, pool.win);
  // A new stream: the owner carves the last block of its pool (a bump of an offset
  // here) and tells its reader the offset.
  std::vector<double> create;
  MPI_Aint offset = 0;
  for (int i = 0; i < o.creations; ++i) {
    job.barrier();
    const double t0 = MPI_Wtime();
    if (job.is_producer()) {
      offset = static_cast<MPI_Aint>(o.pool - o.bytes);
      MPI_Send(&offset, 1, MPI_AINT, job.reader, 7004, MPI_COMM_WORLD);
    } else if (job.is_reader()) {
      MPI_Recv(&offset, 1, MPI_AINT, job.producer, 7004, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    create.push_back((MPI_Wtime() - t0) * 1e3);
  }
  if (job.is_producer() || job.is_reader()) {
    row.stream_ms = median(create);
    row.close_ms = 0;  // giving the block back is the owner's bookkeeping
  }
  if (job.is_producer()) {
    fill(pool.base + offset, o.bytes, 4);
    MPI_Win_sync(pool.win);
  }
  job.barrier();
  if (job.is_reader()) {
    measure_pull(o, pool.win, job.producer, offset, 4, destination, row, "pool MPI_Get");
    measure_in_place(o, pool.win, job.producer, offset, 4, destination, row, "pool in place");
  }
  measure_busy_target(o, job, MPI_COMM_WORLD, pool.win, job.producer, offset, destination, row);
  MPI_Win_unlock_all(pool.win);
  MPI_Win_free(&pool.win);
  return row;
}

// What a reservation costs before and after its owner touches one block of it.
struct ReservationCost {
  double create_ms = -1, free_ms = -1;
  double producer_vm_mib = -1, producer_rss_mib = -1, reader_rss_mib = -1;
  double file_mib = -1, shm_mib = -1, session_mib = -1;
  double touched_producer_rss_mib = -1, touched_file_mib = -1, touched_shm_mib = -1;
  double touch_ms = -1, touched_free_ms = -1, remove_ms = -1, base_page_offset = -1;
  double released_file_mib = -1, released_shm_mib = -1;  // after madvise(MADV_REMOVE)
};

ReservationCost measure_reservation(const Options& o, const Job& job, std::size_t bytes,
                                    std::string& backing_path) {
  ReservationCost mine;
  // Creation and release timed over several rounds; the memory is measured on the last.
  std::vector<double> create, release;
  Row unavailable;
  for (int i = 1; i < o.creations; ++i) {
    Pool pool = reserve_pool(bytes, unavailable);
    if (pool.win == MPI_WIN_NULL) return mine;
    create.push_back(pool.create_ms);
    job.barrier();
    const double t0 = MPI_Wtime();
    MPI_Win_free(&pool.win);
    release.push_back((MPI_Wtime() - t0) * 1e3);
  }
  job.barrier();
  const ProcMemory before = proc_memory();
  const double shm_before = used_mib("/dev/shm");
  const double session_before = session_dir_mib();
  job.barrier();
  Pool pool = reserve_pool(bytes, unavailable);
  if (pool.win == MPI_WIN_NULL) return mine;
  create.push_back(pool.create_ms);
  mine.create_ms = median(create);
  job.barrier();
  const ProcMemory after = proc_memory();
  if (job.is_producer()) {
    const Backing backing = backing_of(pool.base);
    backing_path = backing.path;
    mine.producer_vm_mib = after.vm_mib - before.vm_mib;
    mine.producer_rss_mib =
        (after.rss_anon_mib + after.rss_shmem_mib) - (before.rss_anon_mib + before.rss_shmem_mib);
    mine.file_mib = backing.allocated_mib;
    mine.shm_mib = used_mib("/dev/shm") - shm_before;
    mine.session_mib = session_dir_mib() - session_before;
  }
  if (job.is_reader()) {
    mine.reader_rss_mib =
        (after.rss_anon_mib + after.rss_shmem_mib) - (before.rss_anon_mib + before.rss_shmem_mib);
  }
  job.barrier();
  if (job.is_producer()) {
    const std::size_t touched = std::min(o.bytes, bytes);
    const double t0 = MPI_Wtime();
    std::memset(pool.base + (bytes - touched), 1, touched);
    mine.touch_ms = (MPI_Wtime() - t0) * 1e3;
    const ProcMemory now = proc_memory();
    mine.touched_producer_rss_mib =
        (now.rss_anon_mib + now.rss_shmem_mib) - (before.rss_anon_mib + before.rss_shmem_mib);
    mine.touched_file_mib = backing_of(pool.base).allocated_mib;
    mine.touched_shm_mib = used_mib("/dev/shm") - shm_before;
    // Can the owner give a closed stream's pages back without freeing the window?
    // osc sm places rank 0's part right after its own state in the segment, so the
    // pool is not page-aligned (alloc_shared_noncontig only rounds sizes): remove the
    // whole pages inside the touched range.
    mine.base_page_offset = static_cast<double>(reinterpret_cast<std::uintptr_t>(pool.base) % 4096);
    const auto first = (reinterpret_cast<std::uintptr_t>(pool.base + (bytes - touched)) + 4095) &
                       ~std::uintptr_t{4095};
    const auto last = reinterpret_cast<std::uintptr_t>(pool.base + bytes) & ~std::uintptr_t{4095};
    const double r0 = MPI_Wtime();
    if (madvise(reinterpret_cast<void*>(first), last - first, MADV_REMOVE) == 0) {
      mine.remove_ms = (MPI_Wtime() - r0) * 1e3;
      mine.released_file_mib = backing_of(pool.base).allocated_mib;
      mine.released_shm_mib = used_mib("/dev/shm") - shm_before;
    }
  }
  job.barrier();
  const double t0 = MPI_Wtime();
  MPI_Win_free(&pool.win);
  mine.touched_free_ms = (MPI_Wtime() - t0) * 1e3;
  mine.free_ms = release.empty() ? -1 : median(release);
  ReservationCost all;
  MPI_Reduce(&mine, &all, sizeof(all) / sizeof(double), MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  return all;
}

// ---- printing ----

std::string num(double v, const char* format) {
  if (v < 0) return "-";
  char text[32];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

void print_row(const char* name, const Row& r) {
  if (r.unavailable >= 0) {
    std::printf("%-9s not available: %s\n", name,
                mpi_error(static_cast<int>(r.unavailable)).c_str());
    return;
  }
  std::string in_place;
  if (r.inplace_gbs >= 0) {
    in_place = "yes " + num(r.inplace_gbs, "%.1f");
  } else if (r.inplace_error >= 0) {
    in_place = "no (" + mpi_error(static_cast<int>(r.inplace_error)) + ")";
  } else {
    in_place = "-";
  }
  std::printf("%-9s %7s %8s %7s %8s %7s %7s %8s %8s  %s\n", name, num(r.setup_ms, "%.3f").c_str(),
              num(r.stream_ms, "%.3f").c_str(), num(r.close_ms, "%.3f").c_str(),
              num(r.get_gbs, "%.2f").c_str(), num(r.get_best_gbs, "%.2f").c_str(),
              num(r.fop_us, "%.3f").c_str(), num(r.busy_fop_ms, "%.2f").c_str(),
              num(r.busy_get_ms, "%.2f").c_str(), in_place.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  sluice::mpi::Environment mpi(argc, argv);
  Job job;
  MPI_Comm_rank(MPI_COMM_WORLD, &job.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &job.size);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  Options o;
  const bool ok = parse_options(argc, argv, o);
  if (!ok || job.size < 2) {
    if (job.rank == 0) std::fputs(usage, ok ? stderr : stdout);
    return ok ? 1 : 0;
  }
  job.producer = 0;
  job.reader = job.size - 1;

  std::vector<std::byte> destination;
  if (job.is_reader()) destination.assign(o.bytes, std::byte{0});  // touched up front

  if (job.rank == 0) {
    const char* osc = std::getenv("OMPI_MCA_osc");
    std::printf(
        "stream windows: %d processes (producer rank 0, reader rank %d, %d bystanders), "
        "OMPI_MCA_osc=%s\nblock %s; MPI_Get and memcpy: median (best) of %d; "
        "fetch-and-op: median of 20 batch means, %d in all; pool for the bandwidth row: %s per "
        "process\n\n",
        job.size, job.reader, job.size - 2, osc ? osc : "(unset: Open MPI's default)",
        show_size(o.bytes).c_str(), o.gets, o.fops, show_size(o.pool).c_str());
    std::fflush(stdout);
  }

  const Row memcpy_before = gather(run_memcpy(o, job, destination));
  const Row baseline = gather(run_baseline(o, job, destination));
  job.barrier();
  const Row subcomm = gather(run_subcomm(o, job, destination));
  job.barrier();
  const Row dynamic = gather(run_dynamic(o, job, destination));
  job.barrier();
  const Row pool = gather(run_pool(o, job, destination));
  const Row memcpy_after = gather(run_memcpy(o, job, destination));

  if (job.rank == 0) {
    std::printf(
        "times in ms unless stated; setup: once at start, collective over the job; stream: "
        "one new stream\nafter start (baseline: collective over the job; subcomm: over "
        "producer+reader; dynamic, pool: the\nproducer alone, plus one message to the "
        "reader); busy fop, busy get: one fetch-and-op, one MPI_Get,\nwhile the target computes %d "
        "ms "
        "without calling MPI; in place: memcpy GB/s from MPI_Win_shared_query's\npointer; "
        "reference: the reader's private memcpy\n\n",
        o.busy_ms);
    std::printf("%-9s %7s %8s %7s %8s %7s %7s %8s %8s  %s\n", "mechanism", "setup", "stream",
                "close", "get GB/s", "(best)", "fop us", "busy fop", "busy get", "in place GB/s");
    std::printf("%-9s %75s  memcpy %s before, %s after\n", "reference", "",
                num(memcpy_before.inplace_gbs, "%.1f").c_str(),
                num(memcpy_after.inplace_gbs, "%.1f").c_str());
    print_row("baseline", baseline);
    print_row("subcomm", subcomm);
    print_row("dynamic", dynamic);
    print_row("pool", pool);
    std::printf(
        "\npool reservations, R per process, %d processes. Left: create/free median of %d "
        "rounds; VM, RSS\n(anon+shmem), backing file blocks, /dev/shm and session dir growth "
        "of an untouched reservation\n(MiB). Middle: after the owner touches %s at its end. "
        "Right: the owner gives those pages\nback with madvise(MADV_REMOVE), window kept: its "
        "time and the file's blocks after.\n\n",
        job.size, o.creations, show_size(o.bytes).c_str());
    std::printf("%-8s %9s %8s %9s %8s %8s %7s %8s %7s | %8s %7s %7s %8s | %9s %7s\n", "R",
                "create ms", "free ms", "prod VM", "prod RSS", "read RSS", "file", "/dev/shm",
                "session", "touch ms", "RSS", "file", "/dev/shm", "remove ms", "file");
    std::fflush(stdout);
  }
  std::string backing_path;
  double last_page_offset = -1;
  for (std::size_t bytes : o.reservations) {
    const ReservationCost c = measure_reservation(o, job, bytes, backing_path);
    last_page_offset = c.base_page_offset;
    if (job.rank == 0 && c.create_ms < 0) {
      std::printf("%-8s not available (no shared windows with this OMPI_MCA_osc)\n",
                  show_size(bytes).c_str());
    } else if (job.rank == 0) {
      std::printf(
          "%-8s %9.3f %8.3f %9.0f %8.1f %8.1f %7.1f %8.1f %7.1f | %8.1f %7.1f %7.1f %8.1f | %9s "
          "%7s\n",
          show_size(bytes).c_str(), c.create_ms, c.free_ms, c.producer_vm_mib, c.producer_rss_mib,
          c.reader_rss_mib, c.file_mib, c.shm_mib, c.session_mib, c.touch_ms,
          c.touched_producer_rss_mib, c.touched_file_mib, c.touched_shm_mib,
          num(c.remove_ms, "%.1f").c_str(), num(c.released_file_mib, "%.1f").c_str());
      std::fflush(stdout);
    }
  }
  if (job.rank == 0 && !backing_path.empty()) {
    std::printf("\nosc sm backing file of the last pool, as rank 0 maps it: %s\n",
                backing_path.c_str());
    std::printf("rank 0's pool starts %.0f bytes into a page\n", last_page_offset);
  }
  return 0;
}
