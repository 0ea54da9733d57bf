"""Writes the parts of the TorchScript helper through which layerskip-djl reaches PyTorch
capabilities that DJL 0.36's Java API does not expose (BF16 tensors, oneDNN's prepacked weights and
FBGEMM's int8 GEMM; the last two are described in EngineOps' Javadoc and docs/int8.md).

1. BF16 tensors. DJL's JNI maps Java data types to PyTorch's with a switch that has no case for
   bfloat16 (creating or casting to DataType.BFLOAT16 aborts the JVM), yet a tensor that already is
   BF16 travels through every other call. forward(x) makes one.
2. oneDNN's prepacked linear weights (mkldnn::_reorder_linear_weight, mkldnn::_linear_pointwise).
   PyTorch's default CPU products re-lay out the weight on every call, so products over several rows
   (verification of drafts, prefill, batches) cost several one-row products; with the weight laid out
   once at load time they cost about one, and every row count gives bit-identical rows.

The module's methods are TorchScript source (code/__torch__.py, committed as text, edited by hand and
compiled by the libtorch that loads it: PyTorch 2.7.1 from the pytorch-native-cpu jar, where the
mkldnn operators are resolved; dtype codes there: 6 = float32, 15 = bfloat16; BF16 checkpoint bits become a
BF16 view of the mapped file through set_(empty BF16, x, offset, size, stride), since TorchScript hides the
view(dtype) overload). Only the two tiny
pickles that describe the module object (data.pkl, constants.pkl) and the format version come from
PyTorch: this script saves a placeholder module with Debian's python3-torch (1.13) and writes those
parts beside the source. The Java class EngineOps zips
the parts into a TorchScript archive in memory when it loads. Run once; tests never run it:

    python3 scripts/torchscript/make_engine_ops.py src/core/main/resources/dev/layerskip/model/engine-ops
"""
import os
import sys
import tempfile
import zipfile

import torch


class EngineOps(torch.nn.Module):
    """A placeholder of the same class name: only its pickled description (data.pkl) is kept; the
    methods come from the hand-written TorchScript source code/__torch__.py beside it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def main(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        placeholder = os.path.join(tmp, "placeholder.pt")
        torch.jit.script(EngineOps()).save(placeholder)
        with zipfile.ZipFile(placeholder) as archive:
            for info in archive.infolist():
                name = info.filename.split("/", 1)[1]
                if name in ("data.pkl", "constants.pkl", "version"):
                    with open(os.path.join(out, name), "wb") as f:
                        f.write(archive.read(info.filename))
    print("wrote", out, "(code/__torch__.py, the module's TorchScript source, is edited by hand)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "engine-ops")
