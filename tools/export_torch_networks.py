#!/usr/bin/python3
"""Test data for lambdahat's network descriptions, made with PyTorch.

For each example network this trains a small torch.nn.Sequential briefly, then writes
into tests/data/networks/<name>/:
  net.json             the description lambdahat reads (docs/networks.md)
  weights.safetensors  the state dict, named as nn.Sequential names it
  data.safetensors     x and y (and for the mlp an evaluation set, x_eval and y_eval)
  checkpoints/         for the mlp, the weights at a few steps of training, each with
                       its step in the metadata (lambdahat llc --checkpoints DIR)
  reference.json       the loss at those weights (mean over the data, as PyTorch
                       computes it) and its gradient with respect to every parameter

The safetensors files are written here byte for byte as safetensors.torch.save_file
writes them (an 8-byte header length, a JSON header, the raw little-endian data), so
the script needs only PyTorch (Debian's python3-torch). It is a test-data generator:
lambdahat does not need it at run time.

    /usr/bin/python3 tools/export_torch_networks.py     # rewrites tests/data/networks
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "networks")
DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def save_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


class Residual(nn.Sequential):
    """x + f(x); its layers are named 0, 1, ... as in lambdahat's residual block."""

    def forward(self, x):
        return x + super().forward(x)


class EmbeddingPair(nn.Module):
    """Two tokens per example through one table, rows side by side: (n, 2) -> (n, 2 dim)."""

    def __init__(self, num, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(num, dim))

    def forward(self, idx):
        return self.weight[idx].reshape(idx.shape[0], -1)


def layer(spec):
    kind = spec["type"]
    if kind == "linear":
        return nn.Linear(spec["in"], spec["out"], bias=spec.get("bias", True))
    if kind == "embedding":
        return nn.Embedding(spec["num"], spec["dim"])
    if kind == "embedding_pair":
        return EmbeddingPair(spec["num"], spec["dim"])
    if kind == "layernorm":
        return nn.LayerNorm(spec["dim"], eps=spec.get("eps", 1e-5), elementwise_affine=spec.get("affine", True))
    if kind == "gelu":
        return nn.GELU(approximate=spec.get("approximate", "none"))
    if kind == "dropout":
        return nn.Dropout(spec["p"])
    if kind == "residual":
        return Residual(*[layer(s) for s in spec["layers"]])
    return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "softplus": nn.Softplus,
            "identity": nn.Identity, "flatten": nn.Flatten}[kind]()


def loss_of(name, out, y):
    if name == "ce":
        return nn.functional.cross_entropy(out, y)
    if name == "mse":
        return nn.functional.mse_loss(out, y)
    return 0.5 * ((out - y) ** 2).sum() / out.shape[0]  # sse


def example(name, layers, x, y, loss, steps=300, checkpoint_steps=(), evaluation=None):
    torch.manual_seed(1)
    net = nn.Sequential(*[layer(s) for s in layers])
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    for step in range(1, steps + 1):
        opt.zero_grad()
        loss_of(loss, net(x), y).backward()
        opt.step()
        if step in checkpoint_steps:
            os.makedirs(os.path.join(folder, "checkpoints"), exist_ok=True)
            save_safetensors(os.path.join(folder, "checkpoints", f"step_{step:04d}.safetensors"), dict(net.state_dict()),
                             {"step": str(step)})
    net.eval()
    net.zero_grad()
    value = loss_of(loss, net(x), y)
    value.backward()
    with open(os.path.join(folder, "net.json"), "w") as f:
        json.dump({"layers": layers}, f, indent=1)
        f.write("\n")
    save_safetensors(os.path.join(folder, "weights.safetensors"), dict(net.state_dict()))
    data = {"x": x, "y": y}
    if evaluation is not None:
        data["x_eval"], data["y_eval"] = evaluation
    save_safetensors(os.path.join(folder, "data.safetensors"), data)
    reference = {"loss": loss, "value": value.item(),
                 "gradients": {n: p.grad.flatten().tolist() for n, p in net.named_parameters()}}
    if evaluation is not None:
        with torch.no_grad():
            reference["eval_value"] = loss_of(loss, net(evaluation[0]), evaluation[1]).item()
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    print(f"{name}: {loss} {value.item():.6g}, {sum(p.numel() for p in net.parameters())} parameters")


def main():
    torch.manual_seed(0)
    # the example: a classifier of three Gaussian blobs in 4 dimensions
    centres = torch.randn(3, 4) * 2
    y = torch.randint(0, 3, (300,))
    x = centres[y] + torch.randn(300, 4)
    y_eval = torch.randint(0, 3, (100,))
    x_eval = centres[y_eval] + torch.randn(100, 4)
    example("mlp", [{"type": "linear", "in": 4, "out": 16, "bias": True}, {"type": "relu"},
                    {"type": "linear", "in": 16, "out": 3, "bias": True}], x, y, "ce",
            checkpoint_steps=(10, 30, 100, 300), evaluation=(x_eval, y_eval))
    # every float layer kind in one regression network
    x = torch.randn(200, 6)
    y = torch.stack([torch.sin(x[:, 0]) + x[:, 1] * x[:, 2], torch.tanh(x[:, 3] - x[:, 4])], 1)
    example("kinds", [{"type": "linear", "in": 6, "out": 8}, {"type": "gelu"},
                      {"type": "linear", "in": 8, "out": 8, "bias": False}, {"type": "tanh"},
                      {"type": "layernorm", "dim": 8}, {"type": "linear", "in": 8, "out": 8}, {"type": "sigmoid"},
                      {"type": "dropout", "p": 0.1},
                      {"type": "residual", "layers": [{"type": "linear", "in": 8, "out": 8},
                                                      {"type": "gelu", "approximate": "tanh"},
                                                      {"type": "linear", "in": 8, "out": 8}]},
                      {"type": "softplus"}, {"type": "identity"},
                      {"type": "layernorm", "dim": 8, "affine": False},
                      {"type": "linear", "in": 8, "out": 2}], x, y, "mse")
    # two-token inputs: (a + b) mod 7 from an embedding pair
    a, b = torch.meshgrid(torch.arange(7), torch.arange(7), indexing="ij")
    x = torch.stack([a.flatten(), b.flatten()], 1)
    y = (x[:, 0] + x[:, 1]) % 7
    example("tokens", [{"type": "embedding_pair", "num": 7, "dim": 4}, {"type": "linear", "in": 8, "out": 16},
                       {"type": "relu"}, {"type": "linear", "in": 16, "out": 7}], x, y, "ce")
    # one token per example, and inputs with more than one dimension, flattened
    x = torch.randint(0, 5, (40,))
    y = torch.randn(40, 1)
    # (briefly trained: at its minimum every gradient of this small table is 0)
    example("embedding", [{"type": "embedding", "num": 5, "dim": 3}, {"type": "linear", "in": 3, "out": 1}],
            x, y, "sse", steps=20)
    x = torch.randn(60, 2, 3)
    y = x.sum((1, 2)).unsqueeze(1) ** 2 / 6
    example("flatten", [{"type": "flatten"}, {"type": "linear", "in": 6, "out": 5}, {"type": "relu"},
                        {"type": "linear", "in": 5, "out": 1}], x, y, "sse")


if __name__ == "__main__":
    main()
