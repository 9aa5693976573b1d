#include "cluster.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "lambdahat.hpp"
#include "report.hpp"

#ifdef LAMBDAHAT_MPI
#include <mpi.h>
#endif

namespace lambdahat::cli::cluster {

namespace {
int g_rank = 0, g_size = 1;
[[maybe_unused]] bool g_joined = false;

// Set by mpirun/mpiexec (Open MPI, MPICH) or srun with PMI/PMIx.
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(name)) return true;
  return false;
}

#ifdef LAMBDAHAT_MPI
// Messages: a worker sends kResult (8 bytes of unit index, then the result's text;
// index −1 with no text for its first request); rank 0 answers kAssign with one
// int64, a unit or −1 for stop.
constexpr int kResult = 1, kAssign = 2;

void send_assignment(int to, std::int64_t unit) {
  MPI_Send(&unit, 1, MPI_INT64_T, to, kAssign, MPI_COMM_WORLD);
}

// Waits for a non-blocking operation without spinning: Open MPI's blocking calls
// poll at full speed, which would take a core from the computing ranks and their
// threads on the same node. A millisecond of latency is nothing next to a unit.
void wait_gently(MPI_Request& request) {
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}
#endif
}  // namespace

void init(int& argc, char**& argv) {
#ifdef LAMBDAHAT_MPI
  if (launched_by_mpi()) {
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    g_joined = true;
  }
#else
  (void)argc;
  (void)argv;
#endif
  // The known trap: srun -n N of a program MPI does not connect runs N copies of the
  // same work, each writing the same files.
  // (SLURM_PROCID: this process is one of srun's tasks, not a shell in an allocation)
  const char* tasks = std::getenv("SLURM_NTASKS");
  if (tasks && std::atoi(tasks) > 1 && std::getenv("SLURM_PROCID") && g_size == 1) {
    std::fprintf(stderr,
                 "error: SLURM started %s tasks, but this process is alone in its MPI world%s: every task would "
                 "run the same work. Launch with srun --mpi=pmix (or mpirun) a lambdahat built with Open MPI, or "
                 "run one task per job-array element with --shard k/N\n",
                 tasks, launched_by_mpi() ? "" : " (no MPI launcher wired it)");
    std::exit(2);
  }
}

void finalize() {
#ifdef LAMBDAHAT_MPI
  if (g_joined) MPI_Finalize();
#endif
}

void abort(int code) {
#ifdef LAMBDAHAT_MPI
  if (g_joined && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

int rank() { return g_rank; }
int size() { return g_size; }

std::string mpi_description() {
#ifdef LAMBDAHAT_MPI
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, static_cast<std::size_t>(length));
  text = text.substr(0, text.find_first_of(",\n"));
  return "yes (" + text + ")";
#else
  return "no (built without Open MPI)";
#endif
}

void serve(const std::vector<std::int64_t>& pending, const std::function<void(std::int64_t, const std::string&)>& save,
           const std::function<void()>& on_saved) {
#ifdef LAMBDAHAT_MPI
  std::size_t next = 0;
  int working = g_size - 1;  // workers not yet told to stop
  while (working > 0) {
    MPI_Status status;
    for (int arrived = 0; !arrived;) {  // as wait_gently: rank 0 mostly waits
      MPI_Iprobe(MPI_ANY_SOURCE, kResult, MPI_COMM_WORLD, &arrived, &status);
      if (!arrived) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    int bytes = 0;
    MPI_Get_count(&status, MPI_CHAR, &bytes);
    std::string message(static_cast<std::size_t>(bytes), '\0');
    MPI_Recv(message.data(), bytes, MPI_CHAR, status.MPI_SOURCE, kResult, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    std::int64_t unit = -1;
    check(message.size() >= sizeof unit, "lambdahat", "a malformed message from rank ", status.MPI_SOURCE);
    std::memcpy(&unit, message.data(), sizeof unit);
    if (unit >= 0) {
      save(unit, message.substr(sizeof unit));
      if (on_saved) on_saved();
    }
    if (next < pending.size()) {
      send_assignment(status.MPI_SOURCE, pending[next++]);
    } else {
      send_assignment(status.MPI_SOURCE, -1);
      --working;
    }
  }
#else
  (void)pending;
  (void)save;
  (void)on_saved;
#endif
}

void work(const std::function<std::string(std::int64_t)>& compute) {
#ifdef LAMBDAHAT_MPI
  std::int64_t unit = -1;
  std::string result;
  for (;;) {
    std::string message(sizeof unit, '\0');
    std::memcpy(message.data(), &unit, sizeof unit);
    message += result;
    MPI_Send(message.data(), static_cast<int>(message.size()), MPI_CHAR, 0, kResult, MPI_COMM_WORLD);
    MPI_Request request;
    MPI_Irecv(&unit, 1, MPI_INT64_T, 0, kAssign, MPI_COMM_WORLD, &request);
    wait_gently(request);
    if (unit < 0) return;
    result = compute(unit);
  }
#else
  (void)compute;
#endif
}

ChainSharing chain_sharing() {
  if (!distributed()) return {};
  ChainSharing s;
  s.owns = [](std::int64_t chain) { return chain % size() == rank(); };
  s.share = [](std::vector<ChainTrace>& traces) {
#ifdef LAMBDAHAT_MPI
    // this rank's chains as JSON (doubles print with 17 digits: they come back exact)
    nlohmann::json mine = nlohmann::json::array();
    for (std::size_t c = 0; c < traces.size(); ++c)
      if (static_cast<std::int64_t>(c) % size() == rank()) mine.push_back(trace_to_json(traces[c], static_cast<std::int64_t>(c)));
    const std::string text = mine.dump();
    int length = static_cast<int>(text.size());
    std::vector<int> lengths(static_cast<std::size_t>(size())), offsets(static_cast<std::size_t>(size()));
    MPI_Request request;
    MPI_Iallgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD, &request);
    wait_gently(request);
    int total = 0;
    for (std::size_t r = 0; r < lengths.size(); ++r) {
      offsets[r] = total;
      total += lengths[r];
    }
    std::string all(static_cast<std::size_t>(total), '\0');
    MPI_Iallgatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                    MPI_COMM_WORLD, &request);
    wait_gently(request);
    for (int r = 0; r < size(); ++r) {
      if (r == rank()) continue;
      const auto from = nlohmann::json::parse(all.substr(static_cast<std::size_t>(offsets[static_cast<std::size_t>(r)]),
                                                          static_cast<std::size_t>(lengths[static_cast<std::size_t>(r)])));
      for (const auto& j : from) trace_from_json(j, traces, "the traces of rank " + std::to_string(r));
    }
#else
    (void)traces;
#endif
  };
  return s;
}

}  // namespace lambdahat::cli::cluster
