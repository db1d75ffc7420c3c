#!/usr/bin/env python3
"""Writes the fuzz corpus (tests/CnnNative.Tests/Fuzz/corpus): small valid seeds of every format the fuzz tests
mutate, plus one regression input per finding of issue 13 that a parser once got wrong. Run it from anywhere; the
files are committed, so the tests never need Python. Every file stays under a few kilobytes."""
import gzip, json, os, struct, zlib

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(folder, name, data):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    with open(os.path.join(HERE, folder, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, mtime=0)


# ---------------------------------------------------------------- IDX
def idx(magic, dims, payload):
    return struct.pack(">i", magic) + b"".join(struct.pack(">i", d) for d in dims) + bytes(payload)


pixels = [(i * 7 + 3) % 256 for i in range(3 * 4 * 5)]
write("idx", "images-3x4x5.idx", idx(0x803, [3, 4, 5], pixels))
write("idx", "images-3x4x5.idx.gz", gz(idx(0x803, [3, 4, 5], pixels)))
write("idx", "labels-5.idx", idx(0x801, [5], [0, 9, 3, 3, 7]))
write("idx", "labels-5.idx.gz", gz(idx(0x801, [5], [0, 9, 3, 3, 7])))
# Finding 8: a float IDX file (element type 0x0D) is refused, not read as bytes.
write("idx", "regression-float-images.idx", idx(0xD03, [2, 2, 2], bytes(2 * 2 * 2 * 4)))
# Finding 6: a gzip whose header claims 100,000 images holds three; reading it costs what it holds.
write("idx", "regression-gzip-claims-100000.idx.gz", gz(idx(0x803, [100000, 28, 28], bytes(3 * 28 * 28))))


# ---------------------------------------------------------------- safetensors
def safetensors(tensors, metadata, header_override=None):
    """tensors: list of (name, shape, float values); written like SafeTensors.Write (metadata first, offsets in order)."""
    header, offset, data = {"__metadata__": metadata}, 0, b""
    for name, shape, values in tensors:
        raw = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    text = header_override if header_override is not None else json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


model_meta = {"format": "cnnnative-sequential/1", "spec": "conv2k3-relu-maxpool2-dense3-softmax", "input_shape": "1,6,6", "seed": "1"}
model = [("conv2d_1.weight", [2, 1, 3, 3], [((i * 37) % 19 - 9) / 10 for i in range(18)]),
         ("conv2d_1.bias", [2], [0.1, -0.1]),
         ("linear_1.weight", [3, 8], [((i * 11) % 13 - 6) / 10 for i in range(24)]),
         ("linear_1.bias", [3], [0.0, 0.5, -0.5])]
write("safetensors", "model-conv-dense.safetensors", safetensors(model, model_meta))
write("safetensors", "metadata-only.safetensors", safetensors([], {"note": "no tensors"}))
# BatchNorm's running statistics are buffers in the file beside the parameters (a variance must not be negative).
bn_meta = {"format": "cnnnative-sequential/1", "spec": "conv2k3-bn-relu-gap-dense3-softmax", "input_shape": "1,5,5", "seed": "1"}
bn_model = [("conv2d_1.weight", [2, 1, 3, 3], [((i * 37) % 19 - 9) / 10 for i in range(18)]),
            ("conv2d_1.bias", [2], [0.1, -0.1]),
            ("bn_1.weight", [2], [1.5, 0.5]), ("bn_1.bias", [2], [0.25, -0.25]),
            ("bn_1.running_mean", [2], [0.2, -0.3]), ("bn_1.running_var", [2], [0.5, 2.0]),
            ("linear_1.weight", [3, 2], [0.5, -1.0, 1.0, 0.25, -0.5, 0.75]),
            ("linear_1.bias", [3], [0.0, 0.5, -0.5])]
write("safetensors", "model-batchnorm.safetensors", safetensors(bn_model, bn_meta))
# Finding 7: each rule of the format broken once.
def raw(header_text, data_len):
    text = header_text.encode() if isinstance(header_text, str) else header_text
    return struct.pack("<Q", len(text)) + text + bytes(data_len)
write("safetensors", "regression-overlap.safetensors", raw('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}', 24))
write("safetensors", "regression-gap.safetensors", raw('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[24,40]}}', 40))
write("safetensors", "regression-duplicate.safetensors", raw('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"a":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}}', 32))
write("safetensors", "regression-negative-shape.safetensors", raw('{"a":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}', 16))
write("safetensors", "regression-overflowing-shape.safetensors", raw('{"a":{"dtype":"F32","shape":[1073741824,1073741824,1073741824,16],"data_offsets":[0,0]}}', 0))
write("safetensors", "regression-number-metadata.safetensors", raw('{"__metadata__":{"format":1},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', 16))
write("safetensors", "regression-invalid-utf8.safetensors", raw(b'{"a\xff":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', 16))
write("safetensors", "regression-lone-surrogate.safetensors", raw('{"a\\ud800":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', 16))
nan_model = [(n, s, list(v)) for n, s, v in model]
nan_model[2][2][5] = float("nan")
write("safetensors", "regression-nan-weight.safetensors", safetensors(nan_model, model_meta))
# Finding 6: a tiny file whose metadata asks for a 392-million-weight layer.
write("safetensors", "regression-dense500000.safetensors",
      safetensors([("linear_1.weight", [2, 4], [0.0] * 8)], {"format": "cnnnative-sequential/1", "spec": "flatten-dense500000", "input_shape": "1,28,28"}))


# ---------------------------------------------------------------- PGM and PNG
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, colour_type, rows):
    """rows: raw scanlines without the filter byte; colour_type 0 grey (1 byte/pixel), 6 RGBA (4 bytes/pixel)."""
    raw_data = b"".join(b"\x00" + bytes(r) for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw_data)) + chunk(b"IEND", b""))


grey = [[(x * 16 + y * 3) % 256 for x in range(8)] for y in range(8)]
write("picture", "grey-8x8.png", png(8, 8, 0, grey))
write("picture", "rgba-6x5.png", png(6, 5, 6, [[(x * 40 + c * 60 + y * 7) % 256 for x in range(6) for c in range(4)] for y in range(5)]))
write("picture", "p5-8x8.pgm", b"P5\n8 8\n255\n" + bytes(v for r in grey for v in r))
write("picture", "p5-16bit-3x2.pgm", b"P5 3 2 65535\n" + b"".join(struct.pack(">H", v * 9000) for v in range(6)))
write("picture", "p2-4x3.pgm", b"P2\n# a comment\n4 3\n15\n" + b"\n".join(b" ".join(str((x + y) % 16).encode() for x in range(4)) for y in range(3)) + b"\n")
# Finding 6: 30000x30000 claimed by a few bytes, in both formats.
write("picture", "regression-huge.pgm", b"P5\n30000 30000\n255\n" + bytes(64))
write("picture", "regression-huge.png", png(30000, 30000, 0, [[0] * 30000] * 4))
# Found by fuzzing: a truncated PNG just under the pixel limit (2096x30000) took seconds while Skia filled the
# rows it lacks.
write("picture", "regression-truncated-63-mpixel.png", png(2096, 30000, 0, [[0] * 2096] * 4))
# Finding 8: an IDX labels file decoded as a WBMP picture.
write("picture", "regression-labels-as-picture.idx", idx(0x801, [10], list(range(10))))


# ---------------------------------------------------------------- model specs (one per line)
specs = ["lenet5", "convnet", "conv8k3x5s1x2p1x2nobias-tanh-avgpool3s2-flatten-dense10nobias-softmax",
         "conv4k3s2-sigmoid-maxpool2x1s1-dense10-softmax", "conv32k5p2-relu-maxpool2-flatten-dense64-relu-dropout0.4-dense10",
         "flatten-dense7-relu-dense3",
         # Finding 6: sizes far past the memory budget, and sizes that overflow 64 bits.
         "flatten-dense500000", "conv8k3p1000000000-dense10", "dense2147483647-dense2"]
write("spec", "specs.txt", ("\n".join(specs) + "\n").encode())
