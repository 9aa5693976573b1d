#!/usr/bin/env python3
"""Writes torch_grok.safetensors: a PyTorch modular-addition MLP's state dict, some
input tokens, the logits PyTorch computes for them, and the gradient of the mean
cross-entropy with respect to every parameter. The nn tests load it into lambdahat's
ModularAdditionMLP and check that both libraries compute the same numbers.

    /usr/bin/python3 tests/data/make_torch_checkpoint.py   (needs Debian's python3-torch)

The file is committed, so the tests need no PyTorch. The safetensors format is
written by hand (8-byte header length, JSON header, raw little-endian data), so no
safetensors package is needed either.
"""
import json, os, struct
import torch, torch.nn as nn

class GrokMLP(nn.Module):  # the model of benchmarks/torch_peer.py
    def __init__(s, p=53, e=12, h=48):
        super().__init__()
        s.embedding = nn.Embedding(p, e)
        s.left, s.right = nn.Linear(e, h), nn.Linear(e, h)
        s.out = nn.Linear(h, p, bias=False)
    def forward(s, x):
        h = s.left(s.embedding(x[:, 0])) + s.right(s.embedding(x[:, 1]))
        return s.out(nn.functional.gelu(h))

def save(path, tensors):
    header, blobs, offset = {"__metadata__": {"source": "PyTorch " + torch.__version__}}, [], 0
    codes = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}
    for name, t in tensors.items():
        data = t.detach().contiguous().numpy().tobytes()
        header[name] = {"dtype": codes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data); offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (len(text) + 8) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text))); f.write(text)
        for b in blobs: f.write(b)

torch.manual_seed(0)
model = GrokMLP()
tokens = torch.randint(0, 53, (16, 2))
labels = (tokens[:, 0] + tokens[:, 1]) % 53
logits = model(tokens)
loss = nn.functional.cross_entropy(logits, labels)
loss.backward()
tensors = dict(model.state_dict())
tensors["input.tokens"] = tokens
tensors["expected.logits"] = logits
tensors["expected.loss"] = loss.reshape(1)
for name, p in model.named_parameters():
    tensors["expected.grad." + name] = p.grad
save(os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_grok.safetensors"), tensors)
print("wrote torch_grok.safetensors, loss", loss.item())
