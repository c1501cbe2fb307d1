#!/usr/bin/python3
"""Golden fixtures for lowrank's GRU and LSTM: small torch.nn.GRU and
torch.nn.LSTM models, their inputs, and PyTorch's outputs and final states.

Run with Debian's python3-torch (the tests need no Python):

    /usr/bin/python3 testdata/torch/gen.py

For each case NAME it writes

    NAME.safetensors     the model's state_dict, laid out exactly as
                         safetensors.torch.save_file(model.state_dict()) lays it out
    NAME.io.safetensors  x (T, B, I), h0 (and c0) (L, B, H or P), and PyTorch's
                         out (T, B, H or P), h_n (and c_n), and for a model with
                         a readout, readout (T, B, O) = fc(out)

Torch 1.13 in Debian has no safetensors package, so the format is written
here: an 8-byte little-endian header length, a compact JSON header (tensors
by descending element width, then by name; no "__metadata__" in model files,
as save_file writes none), padded with spaces to a multiple of 8 bytes, then
the raw little-endian tensors in header order. That is the byte layout of
the reference writer, so a file written by save_file and one written here
have the same bytes for the same tensors.

The sizes are chosen for the kernels: hidden sizes that are not multiples of
16 (a partial last panel), two stacked layers, proj_size, a module prefix
("rnn.") with an nn.Linear readout ("fc."), and a bidirectional model, which
lowrank must refuse (it cannot stream).
"""

import json
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
T, B = 7, 2  # time steps, sequences


def save(path, tensors, metadata=None):
    """Writes tensors (name -> torch.Tensor, float32 only) in safetensors format."""
    names = sorted(tensors)  # every tensor is F32: the width ties, the name decides
    header = {}
    if metadata:
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    blobs, offset = [], 0
    for name in names:
        t = tensors[name].detach().contiguous()
        assert t.dtype == torch.float32, name
        raw = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


class WithReadout(torch.nn.Module):
    """An enclosing module: its state_dict prefixes the GRU's tensors with
    "rnn." and adds the readout's "fc.weight" and "fc.bias"."""

    def __init__(self, rnn, out):
        super().__init__()
        self.rnn = rnn
        self.fc = torch.nn.Linear(rnn.hidden_size, out)

    def forward(self, x, h0):
        out, h_n = self.rnn(x, h0)
        return out, h_n, self.fc(out)


def case(name, module, input_size, seed):
    torch.manual_seed(seed)
    for p in module.parameters():
        # PyTorch's default init is uniform in ±1/√H, which leaves every
        # gate near ½; wider weights reach the saturating ranges too.
        torch.nn.init.uniform_(p, -2.0 / np.sqrt(p.shape[-1]), 2.0 / np.sqrt(p.shape[-1]))
    rnn = module.rnn if isinstance(module, WithReadout) else module
    lstm = isinstance(rnn, torch.nn.LSTM)
    d = 2 if rnn.bidirectional else 1
    out_size = rnn.proj_size if lstm and rnn.proj_size > 0 else rnn.hidden_size
    x = torch.randn(T, B, input_size) * 1.5
    h0 = torch.randn(d * rnn.num_layers, B, out_size) * 0.5
    io = {"x": x, "h0": h0}
    with torch.no_grad():
        if lstm:
            c0 = torch.randn(d * rnn.num_layers, B, rnn.hidden_size) * 0.5
            io["c0"] = c0
            out, (h_n, c_n) = rnn(x, (h0, c0))
            io["c_n"] = c_n
        elif isinstance(module, WithReadout):
            out, h_n, readout = module(x, h0)
            io["readout"] = readout
        else:
            out, h_n = rnn(x, h0)
    io["out"], io["h_n"] = out, h_n
    save(os.path.join(HERE, name + ".safetensors"), module.state_dict())
    meta = {
        "generator": "testdata/torch/gen.py",
        "torch": torch.__version__,
        "module": repr(module).replace("\n", " "),
        "seed": str(seed),
    }
    save(os.path.join(HERE, name + ".io.safetensors"), io, meta)
    print(name, {k: tuple(v.shape) for k, v in module.state_dict().items()})


def main():
    torch.set_num_threads(1)
    case("gru1", torch.nn.GRU(6, 20), 6, 1)
    case("gru2", torch.nn.GRU(5, 33, num_layers=2), 5, 2)
    case("lstm1", torch.nn.LSTM(6, 20), 6, 3)
    case("lstm2", torch.nn.LSTM(5, 17, num_layers=2), 5, 4)
    case("lstmproj", torch.nn.LSTM(6, 20, num_layers=2, proj_size=9), 6, 5)
    case("prefix", WithReadout(torch.nn.GRU(6, 20), 3), 6, 6)
    case("bidir", torch.nn.GRU(6, 8, bidirectional=True), 6, 7)


if __name__ == "__main__":
    if not sys.executable.startswith("/usr/bin/"):
        print("note: run with Debian's /usr/bin/python3 (python3-torch)", file=sys.stderr)
    main()
