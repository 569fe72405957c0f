"""Read the fixtures back and recompute every forward case in float64 NumPy, without Keras.

    python/.venv/bin/python python/check_fixtures.py

A second, independent reading of each fixture: it checks the structure (shapes against data
lengths, weight names), then runs the model from the JSON and the stored weights alone, and
prints how far Keras's float32 outputs are from the float64 reference. It is what a reader in
another language has to do, in miniature, and it fails if a fixture asks for an `atol` that
Keras itself does not meet.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

FIXTURE_DIR = Path(__file__).resolve().parent.parent / "__tests__" / "fixtures" / "keras"

ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "linear": lambda x: x,
    "softmax": lambda x: np.exp(x - x.max(-1, keepdims=True))
    / np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True),
}


def array(t: dict) -> np.ndarray:
    assert len(t["data"]) == int(np.prod(t["shape"])), f"shape {t['shape']} vs {len(t['data'])}"
    return np.array(t["data"], dtype=np.float64 if t.get("dtype", "float32") == "float32"
                    else np.int64).reshape(t["shape"])


class Weights:
    """Hands out the stored weights in order, checking each name's last parts."""

    def __init__(self, entries: list[dict]):
        self.entries, self.i = entries, 0

    def take(self, suffix: str) -> np.ndarray:
        w = self.entries[self.i]
        assert w["name"].endswith(suffix), f"expected a weight ending {suffix}, got {w['name']}"
        self.i += 1
        return array(w)


def cell_step_fn(cfg: dict, weights: Weights):
    kernel = weights.take("/kernel")
    recurrent = weights.take("/recurrent_kernel")
    bias = weights.take("/bias") if cfg["use_bias"] else 0.0
    act = ACTIVATIONS[cfg["activation"]]
    return kernel.shape[1], lambda x, h: act(x @ kernel + h @ recurrent + bias)


def run_rnn(layer: dict, x: np.ndarray, weights: Weights) -> list[np.ndarray]:
    cfg = layer["config"]
    if layer["class_name"] == "SimpleRNN":
        cells = [cell_step_fn(cfg, weights)]
    else:  # RNN with a StackedRNNCells cell
        assert cfg["cell"]["class_name"] == "StackedRNNCells", cfg["cell"]["class_name"]
        cells = [cell_step_fn(c["config"], weights) for c in cfg["cell"]["config"]["cells"]]
    states = [np.zeros((x.shape[0], units)) for units, _ in cells]
    steps = range(x.shape[1] - 1, -1, -1) if cfg["go_backwards"] else range(x.shape[1])
    seq = []
    for t in steps:  # outputs in processing order
        inp = x[:, t]
        for k, (_, step) in enumerate(cells):
            states[k] = inp = step(inp, states[k])
        seq.append(inp)
    out = np.stack(seq, axis=1) if cfg["return_sequences"] else seq[-1]
    return [out] + (states if cfg["return_state"] else [])


def run_layer(layer: dict, x: np.ndarray, weights: Weights) -> list[np.ndarray]:
    name, cfg = layer["class_name"], layer["config"]
    if name in ("InputLayer", "Dropout"):
        return [x]
    if name == "Dense":
        y = x @ weights.take("/kernel") + (weights.take("/bias") if cfg["use_bias"] else 0.0)
        return [ACTIVATIONS[cfg["activation"]](y)]
    if name == "Embedding":
        return [weights.take("/embeddings")[x]]
    if name in ("SimpleRNN", "RNN"):
        return run_rnn(layer, x, weights)
    raise ValueError(f"check_fixtures: no reference for layer class {name}")


def run(fx: dict, inputs: list[np.ndarray]) -> list[np.ndarray]:
    weights = Weights(fx["weights"])
    if "layer" in fx:
        outs = run_layer(fx["layer"], inputs[0], weights)
    else:
        model = fx["model"]
        assert model["class_name"] in ("Sequential", "Functional"), model["class_name"]
        # Every model here is a chain; a Functional model lists its layers in call order.
        outs = inputs
        for layer in model["config"]["layers"]:
            outs = run_layer(layer, outs[0], weights)
    assert weights.i == len(fx["weights"]), "not every stored weight was used"
    return outs


def check(path: Path) -> float:
    fx = json.loads(path.read_text(encoding="utf-8"))
    assert fx["format"] == "keras-reference-fixture" and fx["version"] == 1
    assert fx["name"] == path.stem, f"name {fx['name']} differs from file name"
    worst = 0.0
    for case in fx["cases"]:
        got = run(fx, [array(t) for t in case["inputs"]])
        want = [array(t) for t in case["outputs"]]
        assert [g.shape for g in got] == [w.shape for w in want], "output shapes differ"
        err = max(float(np.abs(g - w).max()) for g, w in zip(got, want))
        assert err <= case["atol"], f"case {case['name']}: |keras - float64| = {err:.2e}"
        worst = max(worst, err)
    names = [w["name"] for w in fx["weights"]]
    for section in ("gradients", "training"):
        if section in fx:
            key = "grads" if section == "gradients" else "final_weights"
            got_names = [g["name"] for g in fx[section][key]]
            assert set(got_names) <= set(names), f"{section} names unknown: {got_names}"
            for g in fx[section][key]:
                assert len(g["data"]) == int(np.prod(g["shape"])), f"{section} {g['name']}"
    return worst


def main() -> int:
    paths = sorted(FIXTURE_DIR.glob("*.json"))
    failed = 0
    for path in paths:
        try:
            print(f"ok   {path.stem}: max |keras - float64| {check(path):.1e}")
        except (AssertionError, ValueError, KeyError) as e:
            failed += 1
            print(f"FAIL {path.stem}: {e}")
    total = sum(p.stat().st_size for p in paths)
    print(f"{len(paths) - failed} passed, {failed} failed ({total / 1e6:.2f} MB in {len(paths)} files)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
