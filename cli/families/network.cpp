// --network FILE: a network described in JSON (nn/network.hpp, docs/networks.md),
// trained elsewhere: its weights from --checkpoint (a safetensors state dict, as
// PyTorch saves it) and its data from --data (safetensors with x and y). Nothing is
// trained here; w* is the given weights, and the loss at w* is the mean over the data,
// as PyTorch computes it.
#include <filesystem>

#include "families.hpp"
#include "flags.hpp"

namespace lambdahat::cli {

namespace {

TargetKind targets_of(const std::string& loss) { return loss == "ce" ? TargetKind::classes : TargetKind::values; }

}  // namespace

Family network_family() {
  Family f;
  f.name = f.reported_as = "network";
  f.flags = {"--network", "--data", "--loss"};
  f.validate = [](const ProblemSpec& s) {
    check(!s.network.empty(), "lambdahat", "--model network needs --network FILE, the JSON description");
    check_readable_file(s.network, "--network");
    load_network(s.network);  // a description that does not parse or chain stops here
    check(!s.data.empty(), "lambdahat", "--network needs --data FILE, a safetensors file with x and y");
    check_readable_file(s.data, "--data");
    check(!s.loss.empty(), "lambdahat", "--network needs --loss: mse, ce (cross-entropy) or sse (½ Σ squares per example)");
    check(!s.checkpoint.empty(), "lambdahat",
          "--network needs --checkpoint FILE, its trained weights (lambdahat does not train described networks)");
  };
  f.footprint = [](const ProblemSpec& s) {
    std::error_code ec;
    const auto size = [&](const std::string& path) {
      return path.empty() ? 0.0L : static_cast<long double>(std::filesystem::file_size(path, ec));
    };
    // the data as stored, the activations as a few copies of it, the weights' count
    const long double data = size(s.data), weights = size(s.checkpoint);
    return Footprint{.data = data, .activations = 8 * data, .params = weights / 4};
  };
  f.theory = [](const ProblemSpec&) { return std::optional<LearningCoefficient>(); };
  f.make = [](const ProblemSpec& s, Generator& init, bool train, const Log& log) {
    const NetworkSpec spec = load_network(s.network);
    auto model = build_network(spec, init);
    Made m{.model = nullptr, .data = Dataset(), .loss = s.loss.empty() ? LossFn() : loss_named(s.loss), .description = ""};
    std::string data_text = "no data";
    if (!s.data.empty()) {
      log("loading the data from " + s.data);
      const NetworkData data = load_network_data(s.data);
      check_network_data(spec, *model, data.train, targets_of(s.loss), "--data " + s.data);
      m.data = data.train;
      data_text = "n = " + std::to_string(data.train.size()) + " from " + s.data;
      if (data.eval.size() > 0) {
        check_network_data(spec, *model, data.eval, targets_of(s.loss), "--data " + s.data + " (x_eval, y_eval)");
        m.eval = data.eval;
        data_text += " (and " + std::to_string(data.eval.size()) + " evaluation examples)";
      }
    }
    // nothing to train: the weights come from the checkpoint (the parameter listing
    // of `lambdahat params` needs none)
    check(!train || (s.data.empty() && s.loss.empty()), "lambdahat",
          "--network needs --checkpoint FILE, its trained weights (lambdahat does not train described networks)");
    m.description = "network " + s.network + " (" + std::to_string(model->num_parameters()) + " parameters, " +
                    std::to_string(spec.layers.size()) + " layers), " + data_text + ", loss " +
                    (s.loss.empty() ? "unset" : s.loss);
    m.model = std::move(model);
    return m;
  };
  return f;
}

}  // namespace lambdahat::cli
