// lambdahat params: the parameters of a model by name, with their shapes, as
// --sample-only takes them.
#include <cstdio>

#include "commands.hpp"
#include "sampler_flags.hpp"

namespace lambdahat::cli {

Runner add_params_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("params", "list a model's parameters by name, with their shapes (for --sample-only)");
  auto spec = std::make_shared<ProblemSpec>();
  add_model_flags(*cmd, *spec, /*with_training=*/false);
  return [spec, cmd] {
    check_flags_apply(*spec, given_flags(*cmd));
    const auto params = model_parameters(*spec);
    std::size_t width = 4;
    for (const auto& [name, shape] : params) width = std::max(width, name.size());
    std::printf("%-*s  %-16s %s\n", static_cast<int>(width), "name", "shape", "count");
    std::int64_t total = 0;
    for (const auto& [name, shape] : params) {
      std::string dims = "[";
      std::int64_t count = 1;
      for (std::size_t i = 0; i < static_cast<std::size_t>(shape.size()); ++i) {
        if (i) dims += ", ";
        dims += std::to_string(shape[i]);
        count *= shape[i];
      }
      dims += "]";
      total += count;
      std::printf("%-*s  %-16s %lld\n", static_cast<int>(width), name.c_str(), dims.c_str(),
                  static_cast<long long>(count));
    }
    std::printf("%lld parameters in %zu tensors\n", static_cast<long long>(total), params.size());
    return 0;
  };
}

}  // namespace lambdahat::cli
