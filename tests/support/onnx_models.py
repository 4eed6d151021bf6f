"""Small ONNX models with the input and output shapes of real face models.

No InsightFace pack or SFace file can be downloaded here, so the loading and inference
code of those engines is tested on these: same tensor shapes and layouts, tiny weights.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 13)]


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="lfr-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def embedder_model(path: Path, dimension: int, seed: int = 0) -> Path:
    """[1,3,112,112] -> [1,dimension]: 8x8 average pooling then a fixed random projection
    (like ArcFace's w600k_*.onnx with 512, or SFace with 128)."""
    rng = np.random.default_rng(seed)
    weight = rng.normal(size=(3 * 14 * 14, dimension)).astype(np.float32)
    nodes = [
        helper.make_node(
            "AveragePool", ["input.1"], ["pooled"], kernel_shape=[8, 8], strides=[8, 8]
        ),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "weight"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes,
        "embedder",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, 112, 112])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, dimension])],
        [numpy_helper.from_array(weight, "weight")],
    )
    return _save(graph, path)


# Landmark offsets (in strides) from the anchor: a face-like layout of eyes, nose, mouth.
KPS_OFFSETS = np.array([-0.4, -0.3, 0.4, -0.3, 0.0, 0.1, -0.3, 0.5, 0.3, 0.5], np.float32)


def scrfd_model(path: Path) -> Path:
    """[1,3,640,640] -> the nine SCRFD outputs (scores, box and landmark distances at
    strides 8, 16, 32, two anchors per cell). A cell scores high where the input is
    bright, so a white square on black is "a face"; boxes are 2 strides wide."""
    outputs: dict[str, list[str]] = {"score": [], "bbox": [], "kps": []}
    nodes, inits, infos = [], [], []
    for stride in (8, 16, 32):
        for kind, channels, bias in (
            ("score", 2, np.full(2, 0.0, np.float32)),
            ("bbox", 8, np.ones(8, np.float32)),
            ("kps", 20, np.tile(KPS_OFFSETS, 2)),
        ):
            name = f"{kind}_{stride}"
            scale = 20.0 / (3 * stride * stride) if kind == "score" else 0.0
            weight = np.full((channels, 3, stride, stride), scale, np.float32)
            inits += [
                numpy_helper.from_array(weight, f"{name}_w"),
                numpy_helper.from_array(bias, f"{name}_b"),
            ]
            nodes.append(
                helper.make_node(
                    "Conv",
                    ["input.1", f"{name}_w", f"{name}_b"],
                    [f"{name}_conv"],
                    kernel_shape=[stride, stride],
                    strides=[stride, stride],
                )
            )
            nodes.append(
                helper.make_node("Transpose", [f"{name}_conv"], [f"{name}_t"], perm=[0, 2, 3, 1])
            )
            width = channels // 2
            inits.append(numpy_helper.from_array(np.array([-1, width], np.int64), f"{name}_shape"))
            last = f"{name}_r" if kind == "score" else name
            nodes.append(helper.make_node("Reshape", [f"{name}_t", f"{name}_shape"], [last]))
            if kind == "score":
                nodes.append(helper.make_node("Sigmoid", [last], [name]))
            cells = (640 // stride) ** 2 * 2
            infos.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [cells, width]))
            outputs[kind].append(name)
    order = outputs["score"] + outputs["bbox"] + outputs["kps"]
    by_name = {info.name: info for info in infos}
    graph = helper.make_graph(
        nodes,
        "scrfd",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, 640, 640])],
        [by_name[name] for name in order],
        inits,
    )
    return _save(graph, path)
