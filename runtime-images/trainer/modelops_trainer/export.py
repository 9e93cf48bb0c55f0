"""Builds the served ONNX model: raw feature columns in, labels and probabilities out.

Graph: one input per feature (float32 [N,1] for number/integer/boolean, string [N,1] for
category/string) -> impute + standardise, or one-hot (ai.onnx.ml OneHotEncoder, unknown and
missing -> all zeros) -> Concat -> the MLP exported by torch.onnx -> softmax / de-standardise
-> outputs. The MLP comes from the TorchScript-based exporter (torch 1.13 has no other);
the preprocessing nodes are written with onnx.helper because torch cannot trace strings.
"""

from __future__ import annotations

import inspect
import io

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from .preprocess import Feature, NumericFeature

OPSET = 17
ML_OPSET = 2  # LabelEncoder with int64 keys needs ai.onnx.ml 2
# Internal names carry a prefix no column name in a sane schema has, so a feature called
# "features" or "label" cannot collide with a tensor inside the graph.
P = "modelops/"


def build(head: torch.nn.Module, features: list[Feature], task: str, class_labels: list[str], n_inputs: int, producer_version: str) -> onnx.ModelProto:
    head = head.cpu().eval()
    buffer = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            head,
            (torch.zeros(2, n_inputs),),
            buffer,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {0: "N"}, "y": {0: "N"}},
            opset_version=OPSET,
            do_constant_folding=True,
            **_legacy_exporter(),
        )
    mlp = onnx.compose.add_prefix(onnx.load_from_string(buffer.getvalue()), P + "mlp/")
    mlp_in, mlp_out = P + "mlp/x", P + "mlp/y"

    nodes: list[onnx.NodeProto] = []
    inits: list[TensorProto] = []
    inputs: list[onnx.ValueInfoProto] = []
    columns: list[str] = []
    for i, f in enumerate(features):
        p = f"{P}f{i}/"
        if isinstance(f, NumericFeature):
            inputs.append(helper.make_tensor_value_info(f.name, TensorProto.FLOAT, ["N", 1]))
            inits += [
                numpy_helper.from_array(np.array(f.fill, np.float32), p + "fill"),
                numpy_helper.from_array(np.array(f.mean, np.float32), p + "mean"),
                numpy_helper.from_array(np.array(f.std, np.float32), p + "std"),
            ]
            nodes += [
                helper.make_node("IsNaN", [f.name], [p + "missing"]),
                helper.make_node("Where", [p + "missing", p + "fill", f.name], [p + "imputed"]),
                helper.make_node("Sub", [p + "imputed", p + "mean"], [p + "centered"]),
                helper.make_node("Div", [p + "centered", p + "std"], [p + "out"]),
            ]
        else:
            inputs.append(helper.make_tensor_value_info(f.name, TensorProto.STRING, ["N", 1]))
            inits.append(numpy_helper.from_array(np.array([-1, len(f.categories)], np.int64), p + "shape"))
            nodes += [
                # [N,1] -> [N,1,C]; zeros=1: a value outside the vocabulary encodes as all zeros.
                helper.make_node(
                    "OneHotEncoder", [f.name], [p + "onehot"], domain="ai.onnx.ml",
                    cats_strings=list(f.categories), zeros=1,
                ),
                helper.make_node("Reshape", [p + "onehot", p + "shape"], [p + "out"]),
            ]
        columns.append(p + "out")
    nodes.append(helper.make_node("Concat", columns, [mlp_in], axis=1))
    nodes += list(mlp.graph.node)
    inits += list(mlp.graph.initializer)

    if task == "classification":
        outputs = [
            helper.make_tensor_value_info("label", TensorProto.STRING, ["N"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(class_labels)]),
        ]
        nodes += [
            helper.make_node("Identity", [mlp_out], ["probabilities"]),
            helper.make_node("ArgMax", [mlp_out], [P + "class_index"], axis=1, keepdims=0),
            helper.make_node(
                "LabelEncoder", [P + "class_index"], ["label"], domain="ai.onnx.ml",
                keys_int64s=list(range(len(class_labels))), values_strings=list(class_labels), default_string="",
            ),
        ]
    else:
        outputs = [helper.make_tensor_value_info("prediction", TensorProto.FLOAT, ["N"])]
        nodes.append(helper.make_node("Identity", [mlp_out], ["prediction"]))

    graph = helper.make_graph(nodes, "modelops_tabular_mlp", inputs, outputs, initializer=inits)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)],
        producer_name="modelops-trainer",
        producer_version=producer_version,
    )
    # Readers older than this onnx release (e.g. onnxruntime 1.14+) all accept IR version 8.
    model.ir_version = 8
    # Not full_check: onnx 1.12 has no shape inference for OneHotEncoder, onnxruntime does.
    onnx.checker.check_model(model)
    return model


def _legacy_exporter() -> dict:
    """torch >= 2.9 defaults to the dynamo exporter (needs onnxscript); the TorchScript one
    produces the same plain MLP graph on every torch from 1.13 (Debian) to the GPU image's."""
    return {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
