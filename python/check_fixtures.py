"""Read the fixtures back and recompute them in float64 NumPy, without Keras.

    python/.venv/bin/python python/check_fixtures.py

A second, independent reading of each fixture: it checks the structure (shapes against data
lengths, weight names), runs every forward case from the JSON and the stored weights alone,
checks `gradients` against central differences of the loss, and replays each `training` section
(central-difference gradients, Keras 3's optimizer update rules). It is what a reader in another
language has to do, in miniature, and it fails if a fixture asks for a tolerance that Keras's own
float32 numbers do not meet against the float64 reference.
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
    "hard_sigmoid": lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0,  # Keras 3: relu6(x + 3) / 6
    "softmax": lambda x: np.exp(x - x.max(-1, keepdims=True))
    / np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True),
}


def array(t: dict) -> np.ndarray:
    assert len(t["data"]) == int(np.prod(t["shape"])), f"shape {t['shape']} vs {len(t['data'])}"
    return np.array(t["data"], dtype=np.float64 if t.get("dtype", "float32") == "float32"
                    else np.int64).reshape(t["shape"])


class Weights:
    """Hands out the stored weights in order, checking each name's last parts."""

    def __init__(self, names: list[str], values: list[np.ndarray], embedded=None):
        self.names, self.values, self.i = names, values, 0
        self.embedded = embedded  # replaces the Embedding layer's lookup result when given

    def take(self, suffix: str) -> np.ndarray:
        name = self.names[self.i]
        assert name.endswith(suffix), f"expected a weight ending {suffix}, got {name}"
        self.i += 1
        return self.values[self.i - 1]


def simple_rnn_cell(cfg: dict, weights: Weights):
    """h' = act(x W + h U + b); one state."""
    kernel = weights.take("/kernel")
    recurrent = weights.take("/recurrent_kernel")
    bias = weights.take("/bias") if cfg["use_bias"] else 0.0
    act = ACTIVATIONS[cfg["activation"]]

    def step(x, states):
        h = act(x @ kernel + states[0] @ recurrent + bias)
        return h, [h]

    return [kernel.shape[1]], step


def lstm_cell(cfg: dict, weights: Weights):
    """Keras 3 LSTMCell (implementation 2): z = x W + h U + b split as i, f, c, o;
    c' = f c + i act(z_c), h' = o act(c'). States [h, c]."""
    kernel = weights.take("/kernel")
    recurrent = weights.take("/recurrent_kernel")
    bias = weights.take("/bias") if cfg["use_bias"] else 0.0
    units = recurrent.shape[0]
    assert kernel.shape[1] == recurrent.shape[1] == 4 * units, "LSTM kernel shapes"
    act, gate = ACTIVATIONS[cfg["activation"]], ACTIVATIONS[cfg["recurrent_activation"]]

    def step(x, states):
        h, c = states
        z = x @ kernel + h @ recurrent + bias
        zi, zf, zc, zo = (z[:, k * units:(k + 1) * units] for k in range(4))
        c = gate(zf) * c + gate(zi) * act(zc)
        h = gate(zo) * act(c)
        return h, [h, c]

    return [units, units], step


def gru_cell(cfg: dict, weights: Weights):
    """Keras 3 GRUCell (implementation 2), gates z, r, h. reset_after: bias [2, 3u], row 0 on
    the input side, row 1 on the recurrent side, hh = act(x_h + r (h U_h + b1_h)); otherwise
    bias [3u] on the input side, hh = act(x_h + (r h) U_h). h' = z h + (1 - z) hh."""
    kernel = weights.take("/kernel")
    recurrent = weights.take("/recurrent_kernel")
    units = recurrent.shape[0]
    assert kernel.shape[1] == recurrent.shape[1] == 3 * units, "GRU kernel shapes"
    zeros = np.zeros(3 * units)
    in_bias, rec_bias = zeros, zeros
    if cfg["use_bias"]:
        bias = weights.take("/bias")
        if cfg["reset_after"]:
            assert bias.shape == (2, 3 * units), f"GRU bias shape {bias.shape}"
            in_bias, rec_bias = bias[0], bias[1]
        else:
            assert bias.shape == (3 * units,), f"GRU bias shape {bias.shape}"
            in_bias = bias
    act, gate = ACTIVATIONS[cfg["activation"]], ACTIVATIONS[cfg["recurrent_activation"]]
    u = units

    def step(x, states):
        h = states[0]
        xz = x @ kernel + in_bias
        if cfg["reset_after"]:
            hz = h @ recurrent + rec_bias
            z = gate(xz[:, :u] + hz[:, :u])
            r = gate(xz[:, u:2 * u] + hz[:, u:2 * u])
            hh = act(xz[:, 2 * u:] + r * hz[:, 2 * u:])
        else:
            hz = h @ recurrent[:, :2 * u]
            z = gate(xz[:, :u] + hz[:, :u])
            r = gate(xz[:, u:2 * u] + hz[:, u:2 * u])
            hh = act(xz[:, 2 * u:] + (r * h) @ recurrent[:, 2 * u:])
        h = z * h + (1 - z) * hh
        return h, [h]

    return [units], step


CELLS = {"SimpleRNN": simple_rnn_cell, "SimpleRNNCell": simple_rnn_cell,
         "LSTM": lstm_cell, "LSTMCell": lstm_cell, "GRU": gru_cell, "GRUCell": gru_cell}


def run_rnn(layer: dict, x: np.ndarray, weights: Weights) -> list[np.ndarray]:
    """SimpleRNN, LSTM, GRU, or RNN over one cell or StackedRNNCells. With return_state the
    outputs are the output, then every cell's states in cell order (LSTM: h, then c)."""
    name, cfg = layer["class_name"], layer["config"]
    if name != "RNN":
        cells = [CELLS[name](cfg, weights)]
    elif cfg["cell"]["class_name"] == "StackedRNNCells":
        cells = [CELLS[c["class_name"]](c["config"], weights)
                 for c in cfg["cell"]["config"]["cells"]]
    else:
        cells = [CELLS[cfg["cell"]["class_name"]](cfg["cell"]["config"], weights)]
    states = [[np.zeros((x.shape[0], units)) for units in sizes] for sizes, _ in cells]
    steps = range(x.shape[1] - 1, -1, -1) if cfg["go_backwards"] else range(x.shape[1])
    seq = []
    for t in steps:  # outputs in processing order
        inp = x[:, t]
        for k, (_, step) in enumerate(cells):
            inp, states[k] = step(inp, states[k])
        seq.append(inp)
    out = np.stack(seq, axis=1) if cfg["return_sequences"] else seq[-1]
    return [out] + ([s for cell_states in states for s in cell_states]
                    if cfg["return_state"] else [])


def run_layer(layer: dict, x: np.ndarray, weights: Weights) -> list[np.ndarray]:
    name, cfg = layer["class_name"], layer["config"]
    if name in ("InputLayer", "Dropout"):
        return [x]
    if name == "Dense":
        y = x @ weights.take("/kernel") + (weights.take("/bias") if cfg["use_bias"] else 0.0)
        return [ACTIVATIONS[cfg["activation"]](y)]
    if name == "Embedding":
        table = weights.take("/embeddings")
        return [table[x] if weights.embedded is None else weights.embedded]
    if name in ("SimpleRNN", "LSTM", "GRU", "RNN"):
        return run_rnn(layer, x, weights)
    raise ValueError(f"check_fixtures: no reference for layer class {name}")


def run(fx: dict, inputs: list[np.ndarray], values: list[np.ndarray] | None = None,
        embedded: np.ndarray | None = None) -> list[np.ndarray]:
    names = [w["name"] for w in fx["weights"]]
    weights = Weights(names, values if values is not None else [array(w) for w in fx["weights"]],
                      embedded)
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


def loss_value(name: str, from_logits: bool, y: np.ndarray, p: np.ndarray) -> float:
    """Keras's losses, reduced by the mean over the batch and every other axis."""
    eps = 1e-7  # Keras clips probabilities to [eps, 1 - eps]
    if name == "mean_squared_error":
        return float(np.mean((y - p) ** 2))
    if name == "binary_crossentropy":
        if from_logits:
            return float(np.mean(np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p)))))
        p = np.clip(p, eps, 1 - eps)
        return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
    if from_logits:
        logp = p - p.max(-1, keepdims=True)
        logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    else:
        logp = np.log(np.clip(p / p.sum(-1, keepdims=True), eps, 1 - eps))
    if name == "categorical_crossentropy":
        return float(np.mean(-(y * logp).sum(-1)))
    if name == "sparse_categorical_crossentropy":
        return float(np.mean(-np.take_along_axis(logp, y[..., None], -1)))
    raise ValueError(f"check_fixtures: no reference for loss {name}")


def check_gradients(fx: dict, samples_per_weight: int = 25) -> float:
    """Central differences of the float64 reference loss against the stored gradients, on up
    to `samples_per_weight` elements of each weight. Returns the worst |error| / tolerance."""
    g = fx["gradients"]
    x, y = array(g["x"]), array(g["y"])
    values = [array(w) for w in fx["weights"]]
    index = {w["name"]: i for i, w in enumerate(fx["weights"])}

    def loss(vals):
        return loss_value(g["loss"], g["from_logits"], y, run(fx, [x], vals)[0])

    assert abs(loss(values) - g["loss_value"]) <= 1e-5 * max(1.0, abs(g["loss_value"])), (
        f"loss {loss(values)} vs stored {g['loss_value']}")
    rng, h, worst = np.random.default_rng(0), 1e-6, 0.0
    for grad in g["grads"]:
        k = index[grad["name"]]
        stored = np.array(grad["data"]).reshape(grad["shape"])
        flat = np.arange(stored.size)
        if stored.size > samples_per_weight:
            flat = rng.choice(flat, samples_per_weight, replace=False)
        for j in flat:
            up = [v.copy() for v in values]
            down = [v.copy() for v in values]
            up[k].flat[j] += h
            down[k].flat[j] -= h
            numeric = (loss(up) - loss(down)) / (2 * h)
            err = abs(stored.flat[j] - numeric) / (g["atol"] + g["rtol"] * abs(numeric))
            assert err <= 1, f"grad {grad['name']}[{j}]: {stored.flat[j]} vs {numeric}"
            worst = max(worst, err)
    return worst


def numeric_grads(loss, values: list[np.ndarray], h: float = 1e-6) -> list[np.ndarray]:
    """d(loss)/d(every weight element) by central differences, in float64."""
    grads = []
    for k, v in enumerate(values):
        g = np.zeros_like(v)
        for j in range(v.size):
            old = v.flat[j]
            v.flat[j] = old + h
            up = loss(values)
            v.flat[j] = old - h
            down = loss(values)
            v.flat[j] = old
            g.flat[j] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def clip(grads: list[np.ndarray], cfg: dict) -> list[np.ndarray]:
    if cfg.get("clipnorm"):
        return [g * cfg["clipnorm"] / max(np.sqrt((g * g).sum()), cfg["clipnorm"]) for g in grads]
    if cfg.get("global_clipnorm"):
        norm = np.sqrt(sum((g * g).sum() for g in grads))
        return [g * cfg["global_clipnorm"] * min(1 / norm, 1 / cfg["global_clipnorm"]) for g in grads]
    if cfg.get("clipvalue"):
        return [np.clip(g, -cfg["clipvalue"], cfg["clipvalue"]) for g in grads]
    return grads


def optimizer_step(name: str, cfg: dict, state: dict, t: int, w: np.ndarray, g: np.ndarray,
                   k: int, g2: np.ndarray, gabs: np.ndarray):
    """Keras 3's update rule for one variable `w` (updated in place) at step t (1-based).

    `g2` and `gabs` stand for g * g and |g|. They differ for an Embedding table: Keras gets its
    gradient as IndexedSlices, one row per lookup, and squares (or takes |.| of) each row before
    rows of the same id are summed, so g2 is the sum of the squared rows, not the square of
    their sum."""
    lr, s = cfg["learning_rate"], state.setdefault(k, {})
    if name == "SGD":
        if cfg["momentum"] == 0:
            w -= lr * g
            return
        m = s["m"] = cfg["momentum"] * s.get("m", 0.0) - lr * g
        w += cfg["momentum"] * m - lr * g if cfg["nesterov"] else m
    elif name == "Adam":
        b1, b2 = cfg["beta_1"], cfg["beta_2"]
        s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - b1)
        s["v"] = s.get("v", 0.0) + (g2 - s.get("v", 0.0)) * (1 - b2)
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        w -= alpha * s["m"] / (np.sqrt(s["v"]) + cfg["epsilon"])
    elif name == "Adamax":
        b1 = cfg["beta_1"]
        s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - b1)
        s["u"] = np.maximum(cfg["beta_2"] * s.get("u", 0.0), gabs)
        w -= lr * s["m"] / ((1 - b1**t) * (s["u"] + cfg["epsilon"]))
    elif name == "Adagrad":
        s["acc"] = s.get("acc", cfg["initial_accumulator_value"]) + g2
        w -= lr * g / np.sqrt(s["acc"] + cfg["epsilon"])
    elif name == "RMSprop":
        rho = cfg["rho"]
        s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g2
        denom = s["v"] + cfg["epsilon"]
        if cfg["centered"]:
            s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
            denom = denom - s["a"] ** 2
        inc = lr * g / np.sqrt(denom)
        if cfg["momentum"] > 0:
            inc = s["mom"] = cfg["momentum"] * s.get("mom", 0.0) + inc
        w -= inc
    else:
        raise ValueError(f"check_fixtures: no reference for optimizer {name}")


def accuracy(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Keras's "accuracy" as it resolves it from the shapes, per sample (and step)."""
    if p.shape[-1] == 1:
        return (y == (p > 0.5)).astype(float)[..., 0]
    if y.ndim < p.ndim:
        return (p.argmax(-1) == y).astype(float)
    return (p.argmax(-1) == y.argmax(-1)).astype(float)


def check_training(fx: dict) -> float:
    """Replay the fit in float64 (gradients by central differences, Keras's update rules) and
    compare the per-epoch history and the final weights. Returns the worst relative error."""
    tr = fx["training"]
    opt = tr["compile"]["optimizer"]
    loss_name, from_logits = tr["compile"]["loss"], tr["compile"]["from_logits"]
    x, y = array(tr["x"]), array(tr["y"])
    values = [array(w) for w in fx["weights"]]
    state, t, worst = {}, 0, 0.0
    bs = tr["fit"]["batch_size"]
    tables = [i for i, w in enumerate(fx["weights"]) if w["name"].endswith("/embeddings")]
    table = tables[0] if tables else None
    for epoch in range(tr["fit"]["epochs"]):
        sums = {"loss": 0.0, "accuracy": 0.0}
        for start in range(0, len(x), bs):
            xb, yb = x[start:start + bs], y[start:start + bs]

            def loss(vals):
                return loss_value(loss_name, from_logits, yb, run(fx, [xb], vals)[0])

            pred = run(fx, [xb], values)[0]
            sums["loss"] += loss(values) * len(xb)
            sums["accuracy"] += accuracy(yb, pred).mean() * len(xb)
            t += 1
            grads = clip(numeric_grads(loss, values), opt["config"])
            squares, absolutes = [g * g for g in grads], [np.abs(g) for g in grads]
            if table is not None:  # per-lookup rows, as Keras's IndexedSlices gradient has them
                rows = numeric_grads(lambda e: loss_value(loss_name, from_logits, yb,
                                                          run(fx, [xb], values, e[0])[0]),
                                     [values[table][xb]])[0]
                for agg, f in ((squares, np.square), (absolutes, np.abs)):
                    agg[table] = np.zeros_like(values[table])
                    np.add.at(agg[table], xb, f(rows))
            for k, (w, g) in enumerate(zip(values, grads)):
                optimizer_step(opt["class_name"], opt["config"], state, t, w, g, k, squares[k],
                               absolutes[k])
        for key, history in tr["history"].items():
            want, got = history[epoch], sums[key] / len(x)
            err = abs(got - want) / abs(want)
            assert err <= tr["rtol"], f"history {key}[{epoch}]: float64 {got} vs keras {want}"
            worst = max(worst, err)
    for w, final in zip(values, tr["final_weights"]):
        stored = np.array(final["data"]).reshape(final["shape"])
        err = float((np.abs(w - stored) / (tr["atol"] / tr["rtol"] + np.abs(stored))).max())
        assert err <= tr["rtol"], f"final {final['name']}: relative error {err:.1e}"
        worst = max(worst, err)
    return worst


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
    if "gradients" in fx:
        grad_worst = check_gradients(fx)
        print(f"     {fx['name']}: gradients within {grad_worst:.2f} of their tolerance")
    if "training" in fx:
        print(f"     {fx['name']}: training replay, worst relative error "
              f"{check_training(fx):.1e}")
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
