"""docs/examples/pytorch_bnn.py — notebook-style walk-through (run top to bottom, or cell by cell
in Jupyter: each `# %%` is a cell):

  train a small BNN in PyTorch on Fashion-MNIST → torch.onnx.export → rramsim.import_onnx →
  accuracy vs write BER in rramsim's engine (Monte-Carlo) →
  the model on the simulated RRAM system → a matplotlib plot.

Run from the repository root after building (cmake --build build/release):
  PYTHONPATH=python /usr/bin/python3 docs/examples/pytorch_bnn.py [--steps 300] [--out DIR]
About a minute on two cores. Writes DIR/accuracy_vs_ber.png (default build/example).
"""
# %% setup
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import rramsim

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=300)
ap.add_argument("--out", default="build/example")
args = ap.parse_args()
os.makedirs(args.out, exist_ok=True)
torch.manual_seed(0)

# %% a BNN in plain PyTorch: ±1 weights and activations with a straight-through estimator
def binarize(x):
    return x + (torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x)) - x).detach()


class BinLinear(nn.Linear):
    def forward(self, x):
        return F.linear(x, binarize(self.weight), self.bias)


class Sign(nn.Module):
    def forward(self, x):
        return binarize(x)


net = nn.Sequential(nn.Flatten(),
                    BinLinear(784, 512), nn.BatchNorm1d(512), Sign(),
                    BinLinear(512, 512), nn.BatchNorm1d(512), Sign(),
                    BinLinear(512, 10), nn.BatchNorm1d(10))

# %% data: rramsim reads the IDX files (uint8 images, N×28×28×1) — PyTorch sees x = pixel/255
x_train, y_train = rramsim.load_dataset("fashion-mnist", "train")
x_test, y_test = rramsim.load_dataset("fashion-mnist", "test")


def to_torch(x):
    return torch.from_numpy(x.astype(np.float32) / 255.0).permute(0, 3, 1, 2)  # NHWC → NCHW


# %% train a few hundred steps
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
rng = np.random.default_rng(0)
net.train()
for step in range(args.steps):
    i = rng.integers(0, len(x_train), 128)
    loss = F.cross_entropy(net(to_torch(x_train[i])), torch.from_numpy(y_train[i].astype(np.int64)))
    opt.zero_grad()
    loss.backward()
    opt.step()
net.eval()
with torch.no_grad():
    torch_pred = net(to_torch(x_test)).argmax(1).numpy()
print("PyTorch eval accuracy: %.2f %%" % (100 * (torch_pred == y_test).mean()))

# %% export ONNX and import it into rramsim (batch norm + sign → integer thresholds, the pixel/255
# input scaling → the first layer's thresholds, the output batch norm → a per-class affine)
onnx_path = os.path.join(args.out, "bnn.onnx")
torch.onnx.export(net, torch.zeros(1, 1, 28, 28), onnx_path, opset_version=13,
                  input_names=["image"], output_names=["scores"],
                  dynamic_axes={"image": {0: "n"}, "scores": {0: "n"}})
model, report = rramsim.import_onnx(onnx_path, input_scale="unit")
model.save(os.path.join(args.out, "bnn.bnn"))
print(model, report["near_ties"], "near-tie thresholds")

clean = rramsim.evaluate(model, x_test, y_test)
print("rramsim clean accuracy: %.2f %%, agreement with PyTorch: %.2f %%"
      % (100 * clean["accuracy"]["mean"], 100 * (clean["pred"] == torch_pred).mean()))

# %% accuracy vs write BER: Monte-Carlo (5 fault draws per BER, the same as
# `rramsim eval --ber-sweep ... --reps 5 --seed 1`)
bers = [0, 0.001, 0.003, 0.01, 0.02, 0.033, 0.05, 0.08]
sweep = rramsim.ber_sweep(model, x_test, y_test, bers, reps=5, seed=1)
try:
    import pandas as pd
    print(pd.DataFrame(rramsim.sweep_frame(sweep)).to_string(index=False))
except ImportError:
    print(rramsim.sweep_frame(sweep))

# %% the model on the simulated low-power RRAM system (a child rramsim process: SystemC)
system = os.path.join(os.path.dirname(__file__), "..", "..", "configs", "systems", "low_power.json")
sim = rramsim.run_system(model, "--system", system, "--limit", 200, "--quiet")
res = sim["summary"]["results"]
print("simulated low-power RRAM, 200 images: accuracy %.3f (clean %.3f), %d + %d write flips, "
      "%.1f nJ and %.2f us per image" % (
          res["accuracy"]["value"], res["clean_accuracy"]["value"],
          res["bit_errors"]["write_01"]["value"], res["bit_errors"]["write_10"]["value"],
          res["inference"]["energy_per_image"]["value"] / 1e3,
          res["inference"]["latency_per_image"]["value"] / 1e3))

# %% plot
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(5, 3.5))
b = np.array(bers)
ax.errorbar(np.maximum(b, 3e-4), 100 * sweep["mean"], yerr=100 * sweep["std"], marker="o",
            label="rramsim Monte-Carlo (5 reps)")
ax.axhline(100 * (torch_pred == y_test).mean(), color="grey", lw=0.8, label="PyTorch, no errors")
ax.set_xscale("log")
ax.set_xlabel("weight write BER (BER 0 drawn at 3e-4)")
ax.set_ylabel("Fashion-MNIST test accuracy (%)")
ax.legend(fontsize=8)
fig.tight_layout()
png = os.path.join(args.out, "accuracy_vs_ber.png")
fig.savefig(png, dpi=120)
print("wrote", png)
