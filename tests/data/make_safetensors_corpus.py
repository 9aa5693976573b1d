#!/usr/bin/env python3
"""Writes tests/data/safetensors_corpus/: small safetensors files, valid_* ones that
must load and bad_* ones that the reader must reject with a clear error. They are
also the seed corpus of the fuzz target (tests/fuzz/fuzz_safetensors.cpp).

    python3 tests/data/make_safetensors_corpus.py
"""
import json, os, struct

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "safetensors_corpus")
os.makedirs(here, exist_ok=True)

def header_bytes(header, pad=True):
    text = json.dumps(header, separators=(",", ":")).encode() if not isinstance(header, bytes) else header
    if pad:
        text += b" " * ((8 - (len(text) + 8) % 8) % 8)
    return text

def file(header, data=b"", length=None):
    h = header_bytes(header)
    n = len(h) if length is None else length
    return struct.pack("<Q", n) + h + data

def write(name, blob):
    with open(os.path.join(here, name), "wb") as f:
        f.write(blob)

f32 = lambda *v: struct.pack("<%df" % len(v), *v)
ok = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}

write("valid_one_tensor.safetensors", file(ok, f32(1, 2)))
write("valid_two_tensors_metadata.safetensors", file(
    {"__metadata__": {"format": "pt"}, "w": {"dtype": "F64", "shape": [1, 1], "data_offsets": [0, 8]},
     "i": {"dtype": "I64", "shape": [2], "data_offsets": [8, 24]}},
    struct.pack("<d", 0.5) + struct.pack("<2q", 3, -4)))
write("valid_scalar_and_empty.safetensors", file(
    {"s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]},
     "e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [4, 4]}}, f32(7)))
write("valid_empty_header.safetensors", file({}))

write("bad_too_short.safetensors", b"\x01\x02\x03")
write("bad_header_length_huge.safetensors", struct.pack("<Q", 2**63) + b"{}")
write("bad_header_length_past_end.safetensors", file(ok, f32(1, 2), length=1000))
write("bad_not_json.safetensors", file(b"{not json}   "))
write("bad_not_object.safetensors", file([1, 2, 3]))
write("bad_truncated_json.safetensors", file(b'{"a":{"dtype":"F32"'))
write("bad_unsupported_dtype.safetensors", file({"a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4))
write("bad_missing_shape.safetensors", file({"a": {"dtype": "F32", "data_offsets": [0, 8]}}, f32(1, 2)))
write("bad_negative_shape.safetensors", file({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, f32(1, 2)))
write("bad_fractional_shape.safetensors", file({"a": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}}, f32(1, 2)))
write("bad_shape_overflow.safetensors", file({"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 16],
                                                     "data_offsets": [0, 8]}}, f32(1, 2)))
write("bad_offsets_wrong_size.safetensors", file({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, f32(1, 2)))
write("bad_offsets_past_end.safetensors", file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, f32(1, 2)))
write("bad_offsets_reversed.safetensors", file({"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}, f32(1, 2)))
write("bad_offsets_huge.safetensors", file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [18446744073709551615, 7]}}, f32(1, 2)))
write("bad_overlap.safetensors", file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                       "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, f32(1, 2)))
write("bad_hole.safetensors", file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, f32(1, 2)))
write("bad_trailing_data.safetensors", file(ok, f32(1, 2, 3)))
write("bad_duplicate_name.safetensors", file(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                             b'"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32(1, 2)))
write("bad_deep_nesting.safetensors", file(b"[" * 5000 + b"]" * 5000))
write("bad_metadata_not_string.safetensors", file({"__metadata__": {"k": 1}}))
write("bad_too_many_dims.safetensors", file({"a": {"dtype": "F32", "shape": [1] * 9, "data_offsets": [0, 4]}}, f32(1)))
write("bad_control_char.safetensors", file(b'{"a\x01":{}}'))
write("bad_not_utf8.safetensors", file(b'{"__metadata__":{"k":"\xc0\xaf"}}'))
# checkpoints of the fuzz target's models, so that the fuzzer reaches load_state_dict:
# a deep linear network 3-2-3 (float32 and float64) and the toy model 4x2
f64 = lambda *v: struct.pack("<%dd" % len(v), *v)
def tensors(dtype, pack, named):
    header, data = {}, b""
    for name, shape in named:
        count = 1
        for d in shape:
            count *= d
        blob = pack(*[0.1 * (i + 1) for i in range(count)])
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    return file(header, data)
write("valid_dln_3_2_3.safetensors", tensors("F32", f32, [("0.weight", [2, 3]), ("1.weight", [3, 2])]))
write("valid_dln_3_2_3_f64.safetensors", tensors("F64", f64, [("0.weight", [2, 3]), ("1.weight", [3, 2])]))
write("valid_tms_4x2.safetensors", tensors("F32", f32, [("W", [2, 4]), ("b", [4])]))
print("wrote", len(os.listdir(here)), "files to", here)
