"""The Python server a user would otherwise pick: FastAPI + uvicorn + onnxruntime, serving the
same model on the same Open Inference Protocol V2 JSON route, for the comparison in
docs/performance-server.md. Deliberately the idiomatic version (pydantic request models), not a
tuned one.

    MODEL_PATH=.../model.onnx uvicorn python_server:app --port 18082 --no-access-log
"""

import os

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, Response
from pydantic import BaseModel

DTYPES = {"FP32": np.float32, "FP64": np.float64, "INT64": np.int64, "INT32": np.int32}
ORT_TO_V2 = {"tensor(float)": "FP32", "tensor(double)": "FP64", "tensor(int64)": "INT64", "tensor(int32)": "INT32"}

options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
session = ort.InferenceSession(os.environ["MODEL_PATH"], options, providers=["CPUExecutionProvider"])
outputs_meta = session.get_outputs()


class Tensor(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: list


class InferRequest(BaseModel):
    id: str | None = None
    inputs: list[Tensor]


app = FastAPI()


@app.get("/v2/health/live")
async def live():
    return Response(status_code=200)


@app.post("/v2/models/{name}/infer")
async def infer(name: str, req: InferRequest):
    feeds = {t.name: np.asarray(t.data, dtype=DTYPES[t.datatype]).reshape(t.shape) for t in req.inputs}
    results = session.run(None, feeds)
    return {
        "model_name": name,
        "model_version": "1",
        "id": req.id,
        "outputs": [
            {"name": m.name, "datatype": ORT_TO_V2[m.type], "shape": list(v.shape), "data": v.ravel().tolist()}
            for m, v in zip(outputs_meta, results)
        ],
    }
