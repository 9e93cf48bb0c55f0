"""modelops trainer runtime: trains a tabular MLP and exports it, preprocessing included, to ONNX.

The container contract it implements is written in docs/contracts.md.
"""

__version__ = "0.1.0"
