// A network trained elsewhere, from C++: read its JSON description, its PyTorch
// weights and its data, then estimate its local learning coefficient with the
// calibrated defaults. The test suite runs it on tests/data/networks/mlp.
//
//   network_llc net.json weights.safetensors data.safetensors ce|mse|sse
#include <cstdio>
#include <string>

#include <lambdahat.hpp>

using namespace lambdahat;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: network_llc net.json weights.safetensors data.safetensors ce|mse|sse\n");
    return 2;
  }
  const std::string loss = argv[4];
  try {
    const NetworkSpec spec = load_network(argv[1]);
    Generator gen(0);
    std::unique_ptr<Module> net = build_network(spec, gen);
    load_checkpoint(*net, argv[2]);
    const NetworkData data = load_network_data(argv[3]);
    check_network_data(spec, *net, data.train, loss == "ce" ? TargetKind::classes : TargetKind::values, argv[3]);
    const LossFn fn = loss_named(loss);
    const LLCResult r = estimate_llc(*net, fn, data.train);
    std::printf("loss at the weights %.6g, llc %.3f ± %.3f over %lld parameters\n", r.init_loss, r.mean,
                r.diagnostics.mcse, static_cast<long long>(net->num_parameters()));
    for (const std::string& w : r.warnings) std::printf("warning: %s\n", w.c_str());
    return r.has_estimate() ? 0 : 1;
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
