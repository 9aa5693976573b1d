// The processes a study runs on: one, or the ranks of an MPI job (mpirun, srun). This
// is the one place that knows about MPI; without LAMBDAHAT_MPI (Open MPI absent when
// the command was built) every function answers for a single process. The library
// itself never sees MPI.
//
// Under MPI, every rank parses the same command line and enters the same study. Rank
// 0 hands out the study's units one at a time to the other ranks as they ask for
// work (run_units in studies/store.hpp), saves the results they send back, and alone
// writes files and prints progress; the other ranks leave the study once its units
// are done. A rank that dies ends the whole job (Open MPI's default), and the units
// already saved make the rerun resume.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lambdahat.hpp"

namespace lambdahat::cli::cluster {

// Joins the MPI job when the process was started by an MPI launcher, and refuses to
// run N copies of the same work when SLURM started several tasks that MPI does not
// connect (SLURM_NTASKS > 1 in an srun task, with a world of one). Call once, first.
void init(int& argc, char**& argv);
// Leaves the job: after a normal end. abort(code) ends every rank at once.
void finalize();
[[noreturn]] void abort(int code);

int rank();
int size();
inline bool distributed() { return size() > 1; }
// Whether this process writes files and prints (rank 0, or the only process).
inline bool is_writer() { return rank() == 0; }
// "MPI (Open MPI 4.1.4)" or "no", for --version.
std::string mpi_description();

// The work queue: rank 0 calls serve() with the pending units; every other rank calls
// work(). A worker asks for a unit, computes it, sends its result (text), asks again;
// rank 0 answers each request with the next pending unit, or with "stop", and hands
// each result to `save`. Both return when every unit is saved. `on_saved` runs on
// rank 0 after each save (progress).
void serve(const std::vector<std::int64_t>& pending, const std::function<void(std::int64_t, const std::string&)>& save,
           const std::function<void()>& on_saved);
void work(const std::function<std::string(std::int64_t)>& compute);

// `lambdahat llc` under MPI: chain c runs on rank c mod size, and after every run each
// rank's chains reach every other rank (an all-gather), so each rank sees all traces
// and takes the calibration's decisions alike. One process: unset (all chains here).
ChainSharing chain_sharing();

}  // namespace lambdahat::cli::cluster
