// Studies split over independent processes (SLURM job arrays, GNU parallel):
//
//   lambdahat grok --seeds 300 --out run/0 --shard 0/3     (and 1/3, 2/3 elsewhere)
//   lambdahat merge --out run run/0 run/1 run/2
//
// A shard runs the units it owns (unit i mod N = k) and records its command line in
// OUT/shard.json. merge checks that the shards are the N parts of one command, copies
// their finished units (and the settings that made them) into --out, then runs the
// recorded command there without --shard: every unit is found done except those a
// study computes from all the others (the grokking study's λ̂ curve), which run
// now, and the tables, summaries and figures are written as by one process.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "lambdahat.hpp"
#include "store.hpp"

namespace lambdahat::cli {

// --shard k/N on a subcommand: sets `shard`; a value that is not k/N is a usage error
// naming the flag and the value.
void add_shard_option(CLI::App& cmd, Shard& shard, const std::string& help);

// Writes OUT/shard.json: the program, version, shard and the command line (the
// arguments after the program name).
void record_shard(const std::string& out, const Shard& shard, const std::vector<std::string>& args);

// Checks the shard directories (each has shard.json; one command, N shards, each
// index once), copies every finished unit and settings.json below them into out
// (a file already there must be identical), and returns the command line that
// finishes the study: the recorded one without --shard and with --out out.
std::vector<std::string> merge_shards(const std::string& out, const std::vector<std::string>& shard_dirs);

// lambdahat llc --shard k/N (explicit --epsilon, --burnin and --draws) runs the chains
// c with c mod N = k and writes their traces, with its command line, to its --json
// file. merge reads the N files, checks them as above, and finishes with the recorded
// llc (without --shard, with --json out) summarising those traces instead of
// sampling (merged_traces): the JSON and summary one process gives.
void record_llc_shard(const std::string& path, const Shard& shard, const std::vector<std::string>& args,
                      const std::vector<ChainTrace>& traces);
struct LlcMerge {
  std::vector<std::string> finish;  // the llc command line to run
  std::vector<ChainTrace> traces;   // every chain's trace
};
LlcMerge merge_llc_shards(const std::string& out, const std::vector<std::string>& shard_files);
// The traces merge hands to the llc it runs; empty otherwise.
std::vector<ChainTrace>& merged_traces();

}  // namespace lambdahat::cli
