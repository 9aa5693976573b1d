#include "nn/network.hpp"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "nn/detail/json.hpp"
#include "nn/safetensors.hpp"
#include "tensor/reduction.hpp"

namespace lambdahat {

using detail::Json;

Variable Flatten::forward(const Variable& x) {
  check(x.dim() >= 1, "Flatten", "needs a batch dimension");
  return reshape(x, {x.size(0), x.numel() / std::max<std::int64_t>(1, x.size(0))});
}

LayerNorm::LayerNorm(std::int64_t dim, double eps, bool affine, DType dtype) : eps(eps) {
  check(dim >= 1, "LayerNorm", "dim must be >= 1, got ", dim);
  if (affine) {
    weight = parameter(ones({dim}, dtype));
    bias = parameter(zeros({dim}, dtype));
  }
}

void LayerNorm::visit(ModuleVisitor& v) {
  if (weight.defined()) v.parameter("weight", weight);
  if (bias.defined()) v.parameter("bias", bias);
}

Variable LayerNorm::forward(const Variable& x) {
  const std::int64_t last = x.dim() - 1;
  const Variable centred = sub(x, mean(x, {last}, /*keepdim=*/true));
  const Variable variance = mean(square(centred), {last}, /*keepdim=*/true);
  Variable y = div(centred, sqrt(add(variance, eps)));
  if (weight.defined()) y = add(mul(y, weight), bias);
  return y;
}

EmbeddingPair::EmbeddingPair(std::int64_t num_embeddings, std::int64_t dim, Generator& gen, DType dtype) {
  // the table and its initialisation are Embedding's
  weight = Embedding(num_embeddings, dim, gen, dtype).weight;
}

Variable EmbeddingPair::forward(const Variable& indices) {
  const Tensor& idx = indices.value();
  check(idx.dim() == 2 && idx.size(1) == 2, "EmbeddingPair", "takes (n, 2) token indices");
  return reshape(embedding(weight, idx), {idx.size(0), 2 * weight.size(1)});
}

Residual::Residual(const Residual& other)
    : ModuleBase<Residual>(other),
      body_(std::shared_ptr<Sequential>(static_cast<Sequential*>(other.body_->shallow_copy().release()))) {}

namespace {

// "layer 2 (linear)", "layer 3.1 (relu)" inside a residual block
std::string layer_name(const std::string& path, const LayerSpec& l) { return "layer " + path + " (" + l.type + ")"; }

std::int64_t size_field(const Json& v, const std::string& where, const std::string& key) {
  check(v.kind == Json::Kind::number && v.is_integer && v.integer >= 1 && v.integer <= (std::int64_t{1} << 31),
        "network", where, ": ", key, " must be an integer from 1 to 2^31");
  return v.integer;
}

LayerSpec parse_layer(const Json& j, const std::string& what, const std::string& path) {
  const std::string at = what + ", layer " + path;
  check(j.kind == Json::Kind::object, "network", at, ": a layer is a JSON object");
  LayerSpec l;
  for (const auto& m : j.object)
    if (m.key == "type") {
      check(m.value.kind == Json::Kind::string, "network", at, ": type must be a string");
      l.type = m.value.string;
    }
  static const std::map<std::string, std::set<std::string>> fields = {
      {"linear", {"in", "out", "bias"}},  {"embedding", {"num", "dim"}}, {"embedding_pair", {"num", "dim"}},
      {"relu", {}},  {"tanh", {}},  {"sigmoid", {}}, {"softplus", {}}, {"identity", {}},
      {"gelu", {"approximate"}}, {"layernorm", {"dim", "eps", "affine"}}, {"flatten", {}}, {"dropout", {"p"}},
      {"residual", {"layers"}}};
  const auto known = fields.find(l.type);
  if (known == fields.end()) {
    std::string names;
    for (const auto& [name, f] : fields) {
      if (!names.empty()) names += ", ";
      names += name;
    }
    const bool unsupported = l.type == "conv1d" || l.type == "conv2d" || l.type == "attention" ||
                             l.type == "multihead_attention" || l.type == "lstm" || l.type == "batchnorm";
    fail("network", at, ": ", l.type.empty() ? "no type" : "unknown type " + l.type,
         unsupported ? " (convolutions, attention, recurrent layers and batch norm are not supported)" : "",
         "; the types are ", names);
  }
  const std::string where = what + ", " + layer_name(path, l);
  for (const auto& m : j.object) {
    if (m.key == "type" || m.key == "name") continue;
    check(known->second.count(m.key) > 0, "network", where, ": unknown field ", m.key);
    const Json& v = m.value;
    if (m.key == "in") l.in = size_field(v, where, "in");
    if (m.key == "out") l.out = size_field(v, where, "out");
    if (m.key == "num") l.num = size_field(v, where, "num");
    if (m.key == "dim") l.dim = size_field(v, where, "dim");
    if (m.key == "bias" || m.key == "affine") {
      check(v.kind == Json::Kind::boolean, "network", where, ": ", m.key, " must be true or false");
      (m.key == "bias" ? l.bias : l.affine) = v.boolean;
    }
    if (m.key == "approximate") {
      check(v.kind == Json::Kind::string && (v.string == "none" || v.string == "tanh"), "network", where,
            ": approximate must be \"none\" or \"tanh\"");
      l.approximate = v.string;
    }
    if (m.key == "eps" || m.key == "p") {
      check(v.kind == Json::Kind::number && std::isfinite(v.number), "network", where, ": ", m.key, " must be a number");
      (m.key == "eps" ? l.eps : l.p) = v.number;
    }
    if (m.key == "layers") {
      check(v.kind == Json::Kind::array && !v.array.empty(), "network", where, ": layers must be a non-empty array");
      for (std::size_t i = 0; i < v.array.size(); ++i)
        l.layers.push_back(parse_layer(v.array[i], what, path + "." + std::to_string(i)));
    }
  }
  // the sizes each type needs
  if (l.type == "linear") check(l.in > 0 && l.out > 0, "network", where, ": needs in and out");
  if (l.type == "embedding" || l.type == "embedding_pair") check(l.num > 0 && l.dim > 0, "network", where, ": needs num and dim");
  if (l.type == "layernorm") {
    check(l.dim > 0, "network", where, ": needs dim");
    check(l.eps > 0, "network", where, ": eps must be > 0, got ", l.eps);
  }
  if (l.type == "dropout") check(l.p >= 0 && l.p < 1, "network", where, ": p must be in [0, 1), got ", l.p);
  if (l.type == "residual") check(!l.layers.empty(), "network", where, ": needs layers");
  return l;
}

// Follows the feature width through the layers: `features` is the width coming in
// (0: integer tokens). Returns the width going out.
std::int64_t chain_sizes(const std::vector<LayerSpec>& layers, std::int64_t features, const std::string& what,
                         const std::string& prefix) {
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerSpec& l = layers[i];
    const std::string where = what + ", " + layer_name(prefix + std::to_string(i), l);
    const bool tokens = l.type == "embedding" || l.type == "embedding_pair";
    check(!tokens || features == 0, "network", where, ": an embedding takes int64 token inputs, so it must come first");
    check(tokens || features != 0, "network", where, ": token inputs need an embedding first");
    if (l.type == "linear") {
      check(l.in == features || features < 0, "network", where, ": in is ", l.in, " but ", features,
            " features come in");
      features = l.out;
    } else if (l.type == "embedding") {
      features = l.dim;
    } else if (l.type == "embedding_pair") {
      features = 2 * l.dim;
    } else if (l.type == "flatten") {
      features = -1;  // the product of the dimensions after the first: known from the data
    } else if (l.type == "layernorm") {
      check(l.dim == features || features < 0, "network", where, ": dim is ", l.dim, " but ", features, " features come in");
    } else if (l.type == "residual") {
      const std::int64_t out = chain_sizes(l.layers, features, what, prefix + std::to_string(i) + ".");
      check(out == features, "network", where, ": its layers turn ", features, " features into ", out,
            "; a residual block must keep the width");
    }
  }
  return features;
}

std::unique_ptr<Sequential> build_layers(const std::vector<LayerSpec>& layers, Generator& gen, DType dtype) {
  auto net = std::make_unique<Sequential>();
  for (const LayerSpec& l : layers) {
    if (l.type == "linear") net->append(std::make_unique<Linear>(l.in, l.out, gen, LinearOptions{.bias = l.bias, .dtype = dtype}));
    else if (l.type == "embedding") net->append(std::make_unique<Embedding>(l.num, l.dim, gen, dtype));
    else if (l.type == "embedding_pair") {
      net->append(std::make_unique<EmbeddingPair>(l.num, l.dim, gen, dtype));
    } else if (l.type == "relu") net->append(std::make_unique<ReLU>());
    else if (l.type == "tanh") net->append(std::make_unique<Tanh>());
    else if (l.type == "sigmoid") net->append(std::make_unique<Sigmoid>());
    else if (l.type == "softplus") net->append(std::make_unique<Softplus>());
    else if (l.type == "identity") net->append(std::make_unique<Identity>());
    else if (l.type == "gelu") net->append(std::make_unique<GELU>(l.approximate == "tanh" ? GeluApprox::tanh : GeluApprox::none));
    else if (l.type == "layernorm") net->append(std::make_unique<LayerNorm>(l.dim, l.eps, l.affine, dtype));
    else if (l.type == "flatten") net->append(std::make_unique<Flatten>());
    else if (l.type == "dropout") net->append(std::make_unique<Dropout>(l.p));
    else if (l.type == "residual") net->append(std::make_unique<Residual>(build_layers(l.layers, gen, dtype)));
    else fail("network", "no builder for layer type ", l.type);
  }
  return net;
}

}  // namespace

NetworkSpec parse_network(std::string_view json, const std::string& what) {
  const Json root = detail::parse_json(json, what.c_str());
  check(root.kind == Json::Kind::object, "network", what, ": the description must be a JSON object");
  NetworkSpec spec;
  bool found = false;
  for (const auto& m : root.object) {
    if (m.key == "layers") {
      check(m.value.kind == Json::Kind::array && !m.value.array.empty(), "network", what,
            ": layers must be a non-empty array");
      for (std::size_t i = 0; i < m.value.array.size(); ++i)
        spec.layers.push_back(parse_layer(m.value.array[i], what, std::to_string(i)));
      found = true;
    } else {
      check(m.key == "name" || m.key == "comment", "network", what, ": unknown field ", m.key,
            " (a description has layers, and optionally name and comment)");
    }
  }
  check(found, "network", what, ": no layers");
  const LayerSpec& first = spec.layers.front();
  spec.integer_input = first.type == "embedding" || first.type == "embedding_pair";
  spec.input_features = first.type == "linear" ? first.in : first.type == "layernorm" ? first.dim : 0;
  spec.output_features = chain_sizes(spec.layers, spec.integer_input ? 0 : -1, what, "");
  check(spec.output_features > 0, "network", what, ": the output width is not fixed (end with a linear layer)");
  return spec;
}

NetworkSpec load_network(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in), "network", "cannot read ", path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_network(text.str(), path);
}

std::unique_ptr<Module> build_network(const NetworkSpec& spec, Generator& gen, DType dtype) {
  return build_layers(spec.layers, gen, dtype);
}

namespace {

std::string dims_text(const Dims& d) {
  std::string text = "[";
  for (std::size_t i = 0; i < static_cast<std::size_t>(d.size()); ++i) {
    if (i) text += ", ";
    text += std::to_string(d[i]);
  }
  return text + "]";
}

const char* dtype_text(DType t) { return t == kInt64 ? "int64" : t == kFloat64 ? "float64" : "float32"; }

}  // namespace

NetworkData load_network_data(const std::string& path, DType dtype) {
  const SafetensorsFile file = load_safetensors(path);
  std::map<std::string, Tensor> named;
  for (const auto& [name, t] : file.tensors) {
    check(name == "x" || name == "y" || name == "x_eval" || name == "y_eval", "data", path, ": unexpected tensor ",
          name, " (a data file holds x and y, and optionally x_eval and y_eval)");
    named[name] = t.dtype() == kInt64 ? t : t.to(dtype);
  }
  check(named.count("x") && named.count("y"), "data", path, ": needs tensors x and y");
  check(named.count("x_eval") == named.count("y_eval"), "data", path, ": x_eval and y_eval come together");
  const auto pair = [&](const std::string& x, const std::string& y) {
    check(named[x].dim() >= 1 && named[y].dim() >= 1 && named[x].size(0) == named[y].size(0), "data", path, ": ", x,
          " ", dims_text(named[x].shape()), " and ", y, " ", dims_text(named[y].shape()),
          " must have the same number of examples (first dimension)");
    check(named[x].size(0) >= 1, "data", path, ": ", x, " holds no example");
    return Dataset(named[x], named[y]);
  };
  NetworkData d;
  d.train = pair("x", "y");
  if (named.count("x_eval")) d.eval = pair("x_eval", "y_eval");
  return d;
}

void check_network_data(const NetworkSpec& spec, Module& network, const Dataset& data, TargetKind targets,
                        const std::string& what) {
  const Tensor& x = data.inputs();
  const Tensor& y = data.targets();
  const LayerSpec& first = spec.layers.front();
  if (spec.integer_input) {
    check(x.dtype() == kInt64, "data", what, ": x is ", dtype_text(x.dtype()), " but the network starts with ",
          first.type, ", which takes int64 token indices");
    const bool pair = first.type == "embedding_pair";
    check(pair ? x.dim() == 2 && x.size(1) == 2 : x.dim() == 1, "data", what, ": x has shape ", dims_text(x.shape()),
          "; ", first.type, " takes ", pair ? "(n, 2)" : "(n)", " token indices");
    const double lo = min(x).item(), hi = max(x).item();
    check(lo >= 0 && hi < static_cast<double>(first.num), "data", what, ": x holds token indices from ", lo, " to ", hi,
          " but the ", first.type, " table has ", first.num, " rows");
  } else {
    check(x.dtype() != kInt64, "data", what, ": x is int64, but the network starts with ", first.type,
          ", which takes float features");
    if (spec.input_features > 0)
      check(x.dim() == 2 && x.size(1) == spec.input_features, "data", what, ": x has shape ", dims_text(x.shape()),
            " but the network's first layer (", first.type, ") takes (n, ", spec.input_features, ")");
  }
  // the rest of the input's fit shows in a forward pass of one example
  Tensor out;
  try {
    const Batch one = data.get(std::vector<std::int64_t>{0});
    out = network(Variable(one.inputs)).value();
  } catch (const Error& e) {
    fail("data", what, ": x of shape ", dims_text(x.shape()), " does not fit the network: ", e.what());
  }
  const std::int64_t outputs = out.dim() == 2 ? out.size(1) : 1;
  if (targets == TargetKind::classes) {
    check(y.dtype() == kInt64 && y.dim() == 1, "data", what, ": cross-entropy needs y as int64 class labels of shape (n), got ",
          dtype_text(y.dtype()), " ", dims_text(y.shape()));
    const double lo = min(y).item(), hi = max(y).item();
    check(lo >= 0 && hi < static_cast<double>(outputs), "data", what, ": y holds classes from ", lo, " to ", hi,
          " but the network has ", outputs, " outputs");
  } else {
    check(y.dtype() != kInt64, "data", what, ": a squared loss needs float targets y, got int64 (class labels go with ce)");
    check(y.dim() == 2 && y.size(1) == outputs, "data", what, ": y has shape ", dims_text(y.shape()),
          " but the network gives (n, ", outputs, ")");
  }
}

}  // namespace lambdahat
