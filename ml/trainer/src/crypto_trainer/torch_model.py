"""PyTorch candidate: an MLP over one feature row, all horizons at once, trained on absolute error.

Why an MLP and not a GRU over a window of rows: the predictor feeds a model one feature row at a
time (contract input [N, F]); a window model would need the predictor to keep and send past rows, a
contract change. Lagged information reaches the model through the lagged features instead.

The network standardises its inputs with the training rows' mean and deviation (buffers, fitted on
the fit rows only) and rescales its outputs by the per-horizon target deviation, so the exported
graph takes raw features and returns log returns. Trained in float32 for speed; the fitted network
is then kept in float64, which is the native model the ONNX export is checked against. Exported with
`torch.onnx.export(..., dynamo=False)` (the TorchScript exporter: no onnxscript, works offline).
"""

from __future__ import annotations

import copy
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx.onnx_pb import ModelProto
from torch import nn

from .errors import ErrorCode, TrainerError
from .mlp_model import minibatch_size, target_scale
from .models import MODEL_KIND_TORCH_MLP, CandidateSettings, FitData, threads_for


class LogReturnMlp(nn.Module):
    mean: torch.Tensor
    std: torch.Tensor
    y_scale: torch.Tensor

    def __init__(self, mean: np.ndarray, std: np.ndarray, y_scale: np.ndarray, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        self.register_buffer("y_scale", torch.as_tensor(y_scale, dtype=torch.float32))
        layers: list[nn.Module] = []
        width = len(mean)
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, len(y_scale)))
        self.body = nn.Sequential(*layers)

    def scaled(self, x: torch.Tensor) -> torch.Tensor:
        """Output in units of each horizon's target deviation (what the loss is computed on)."""
        out: torch.Tensor = self.body((x - self.mean) / self.std)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scaled(x) * self.y_scale


@dataclass
class TorchMlpCandidate:
    network: LogReturnMlp  # float64, eval mode
    fitted_params: dict[str, str | int | float]
    kind: str = MODEL_KIND_TORCH_MLP

    def predict(self, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = self.network(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64)))
        return np.asarray(out.numpy(), dtype=np.float64).reshape(len(x), -1)

    def to_onnx(self, n_features: int, input_type: str) -> ModelProto:
        if input_type != "float64":
            raise TrainerError(ErrorCode.CONFIG, f"the PyTorch candidate exports float64 inputs only, not {input_type}")
        with tempfile.TemporaryDirectory(prefix="torch-onnx-") as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
            path = Path(tmp) / "model.onnx"
            torch.onnx.export(
                self.network,
                (torch.zeros(1, n_features, dtype=torch.float64),),
                path,
                input_names=["features"],
                output_names=["log_returns"],
                dynamic_axes={"features": {0: "rows"}, "log_returns": {0: "rows"}},
                opset_version=17,
                dynamo=False,
            )
            model = onnx.load_from_string(path.read_bytes())
        model.ir_version = min(model.ir_version, 8)
        return model

    def params(self) -> dict[str, str | int | float]:
        return dict(self.fitted_params)


def fit_torch_mlp(data: FitData, settings: CandidateSettings) -> TorchMlpCandidate:
    torch.manual_seed(settings.seed)
    torch.set_num_threads(threads_for(len(data.x_fit), settings))
    mean = data.x_fit.mean(axis=0)
    std = data.x_fit.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    y_scale = target_scale(data.y_fit)
    network = LogReturnMlp(mean, std, y_scale, settings.torch_hidden)
    x_fit = torch.from_numpy(data.x_fit.astype(np.float32))
    y_fit = torch.from_numpy((data.y_fit / y_scale).astype(np.float32))
    x_stop = torch.from_numpy(data.x_stop.astype(np.float32))
    y_stop = torch.from_numpy((data.y_stop / y_scale).astype(np.float32))
    optimiser = torch.optim.Adam(network.parameters(), lr=settings.torch_learning_rate, weight_decay=1e-5)
    loss_fn = nn.L1Loss()  # the gate scores MAE: fit the conditional median
    generator = torch.Generator().manual_seed(settings.seed)
    batch = minibatch_size(len(x_fit), settings.torch_batch_size)
    best_loss, best_epoch, best_state = float("inf"), 0, copy.deepcopy(network.state_dict())
    epochs = 0
    for epoch in range(1, settings.torch_max_epochs + 1):
        network.train()
        order = torch.randperm(len(x_fit), generator=generator)  # minibatch order within the fit rows only
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            optimiser.zero_grad()
            loss = loss_fn(network.scaled(x_fit[rows]), y_fit[rows])
            loss.backward()
            optimiser.step()
        epochs = epoch
        network.eval()
        with torch.no_grad():
            stop_loss = float(loss_fn(network.scaled(x_stop), y_stop))
        if stop_loss < best_loss:
            best_loss, best_epoch, best_state = stop_loss, epoch, copy.deepcopy(network.state_dict())
        elif epoch - best_epoch >= settings.torch_patience:
            break
    network.load_state_dict(best_state)
    network = network.double().eval()
    return TorchMlpCandidate(
        network,
        {
            "hidden": ",".join(map(str, settings.torch_hidden)),
            "epochs_run": epochs,
            "best_epoch": best_epoch,
            "batch_size": settings.torch_batch_size,
            "learning_rate": settings.torch_learning_rate,
            "loss": "l1 on targets / train std",
            "torch_version": str(torch.__version__),
        },
    )
