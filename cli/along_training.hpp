// lambdahat llc --checkpoints DIR: λ̂ at every checkpoint of a training run, as a
// table, JSON and a figure of λ̂ against the training step.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "problems.hpp"

namespace lambdahat::cli {

struct TrainingCheckpoint {
  std::string path;
  std::int64_t step = 0;  // the metadata's "step", else the last number in the file name
};

// The *.safetensors files of `dir`, ordered by step; throws lambdahat::Error naming
// --checkpoints when there is none or a file gives no step.
std::vector<TrainingCheckpoint> training_checkpoints(const std::string& dir);

struct AlongTrainingOutput {
  std::string json, svg;  // empty: not written
};

// Estimates λ̂ at each checkpoint with the same settings (each estimate calibrated on
// its own where the settings leave it to the calibration). Returns the exit code: 0
// when every checkpoint has an estimate, 1 otherwise.
int estimate_along_training(ProblemSpec spec, const SamplerConfig& config, const LLCOptions& options,
                            const std::vector<TrainingCheckpoint>& checkpoints, const AlongTrainingOutput& out);

}  // namespace lambdahat::cli
