"""Read the fixtures back and recompute them in float64 NumPy, without Keras.

    python/.venv/bin/python python/check_fixtures.py

A second, independent reading of each fixture: it checks the structure (shapes against data
lengths, weight names), runs every forward case from the JSON and the stored weights alone,
checks `gradients` against central differences of the loss, and replays each `training` section
(central-difference gradients, Keras 3's optimizer update rules). It is what a reader in another
language has to do, in miniature, and it fails if a fixture asks for a tolerance that Keras's own
float32 numbers do not meet against the float64 reference.

Keras masks (the mask_* fixtures) are replayed as Keras 3 computes them: Embedding(mask_zero)
and Masking make the mask, Dense and Dropout pass it on, an RNN passes it on (unreversed) only
with return_sequences, a masked RNN step keeps every state and repeats the previous output
(zeros with zero_output_for_mask), and the loss and metrics of a masked output are averaged over
its unmasked entries. Then `check_wrong_readers` proves the mask fixtures sensitive: a reader
that ignores masks, or gets one of those rules wrong, fails them by far more than their
tolerances.

Bidirectional (the bidirectional_* fixtures) is replayed as keras/src/layers/rnn/bidirectional.py
computes it: the forward layer and the backward one (go_backwards) on the same input and mask,
weights forward then backward, the backward sequence flipped back to input order, the merge,
the states forward then backward, zero_output_for_mask forced to return_sequences. Then
`check_wrong_bidirectional_readers` proves every fixture concerned fails a reader that gets one
of those wrong.

States: a fixture's `calls` (the stateful_* fixtures) run in order on one model from zero states,
each stateful layer (each direction of a stateful Bidirectional) starting from the states its
last call left, `reset_states` zeroing them; under a mask the carried states are the kept ones
and the output before a call's first unmasked step is zeros. A layer fixture's inputs after x
(the initial_state_* fixtures) are the layer's initial states, flat in Keras's order (each
cell's in turn; Bidirectional: forward half, backward half). `check_wrong_state_readers` proves
every fixture concerned fails a reader that does not carry, ignores resets, carries only some
layers or states, gets a masked sample's state or output wrong, or ignores or reorders the
initial states.

gradient_flow (the gradient_flow_* fixtures): the entries must be the model's recurrent cells in
model order, named as Keras names them, and each norm of d(loss)/d(h_t) (d(loss)/d(c_t) for an
LSTM cell) must match central differences of the float64 loss with that state moved
(`Probe`, `check_gradient_flow`) to the section's rtol.
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
        self.scope = None  # a layer name ("forward_lstm"): every weight taken must be under it

    def take(self, suffix: str) -> np.ndarray:
        name = self.names[self.i]
        assert name.endswith(suffix), f"expected a weight ending {suffix}, got {name}"
        assert self.scope is None or f"/{self.scope}/" in f"/{name}", (
            f"expected a weight of {self.scope}, got {name}")
        self.i += 1
        return self.values[self.i - 1]


def simple_rnn_cell(cfg: dict, weights: Weights):
    """h' = act(x W + h U + b); one state."""
    kernel = weights.take("/kernel")
    recurrent = weights.take("/recurrent_kernel")
    bias = weights.take("/bias") if cfg["use_bias"] else 0.0
    act = ACTIVATIONS[cfg["activation"]]

    def step(x, states, dc=None):
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

    def step(x, states, dc=None):
        h, c = states
        z = x @ kernel + h @ recurrent + bias
        zi, zf, zc, zo = (z[:, k * units:(k + 1) * units] for k in range(4))
        c = gate(zf) * c + gate(zi) * act(zc)
        if dc is not None:  # a gradient_flow probe: c_t moved before h_t is made from it
            c = c + dc
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

    def step(x, states, dc=None):
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


# How this reader treats Keras masks. All True is what Keras 3 does; `wrong_readers()` turns one
# off at a time to prove that the mask_* fixtures fail a reader that gets that one thing wrong.
KERAS_READER = {
    "masks": True,                   # Embedding(mask_zero=True) and Masking make a mask
    "masking_zeroes": True,          # Masking outputs 0 at masked steps (not the input values)
    "zero_output_for_mask": True,    # honour zero_output_for_mask (else repeat the previous)
    "masked_output_repeats": True,   # a masked step repeats the previous output (else zeros)
    "output_mask_as_input": True,    # go_backwards + return_sequences: mask passed on unreversed
    "masked_loss": True,             # the loss is sum(loss * mask) / sum(mask)
}
# How this reader treats Bidirectional; `check_wrong_bidirectional_readers()` turns one off at a
# time to prove that the bidirectional_* fixtures fail a reader that gets that one thing wrong.
KERAS_BIDIRECTIONAL = {
    "bidi_weight_order": True,       # forward layer's weights first, then the backward layer's
    "bidi_backward_reversed": True,  # the backward layer reads the input reversed (go_backwards)
    "bidi_flip_back": True,          # return_sequences: backward sequence flipped to input order
    "bidi_backward_last": True,      # else: the backward output after its LAST step (input 0)
    "bidi_merge": True,              # merge_mode as Keras: concat [fwd, bwd], sum, ave, mul
    "bidi_state_order": True,        # return_state: forward states, then backward states
    "bidi_backward_mask": True,      # the backward layer reverses the mask with its input
    "bidi_zero_output": True,        # zero_output_for_mask = return_sequences on both layers
    "bidi_output_mask": True,        # return_sequences: the input mask is passed on
}
# How this reader treats states: a stateful model's states carried over `calls`, and initial
# states given to a layer; `check_wrong_state_readers()` turns one off at a time to prove that
# the stateful_* and initial_state_* fixtures fail a reader that gets that one thing wrong.
KERAS_STATES = {
    "stateful_carry": True,          # a stateful layer starts each call from the last one's states
    "stateful_reset": True,          # reset_states zeroes them
    "stateful_every_layer": True,    # every stateful layer carries (else only the model's first)
    "stateful_all_states": True,     # every state carried (else only each cell's h, c zeroed)
    "stateful_masked_state": True,   # a masked sample carries the state kept (not its last output)
    "masked_output_starts_zero": True,  # before a call's first unmasked step the output is zeros
                                        # (else the carried or initial h)
    "initial_state": True,           # the extra inputs of a layer fixture are its initial states
    "initial_state_order": True,     # in Keras's order (else the list reversed)
}
KERAS_READER.update(KERAS_BIDIRECTIONAL)
KERAS_READER.update(KERAS_STATES)
MASK_FLAGS = [flag for flag in KERAS_READER
              if flag not in KERAS_BIDIRECTIONAL and flag not in KERAS_STATES]


class Reader(dict):
    """The switches of this reader. It remembers which ones were read: a switch that running a
    fixture never reads cannot change what the reader computes for it."""

    def __init__(self, flags: dict):
        super().__init__(flags)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> bool:
        self.read.add(key)
        return super().__getitem__(key)


READER = Reader(KERAS_READER)


class Probe:
    """What a gradient_flow replay asks of a forward pass. Every recurrent cell the pass runs
    is an entry, numbered in the order met (model order; per cell of StackedRNNCells; a
    Bidirectional's forward layer, then its backward one) and named as the section names it:
    the layer's name, "<layer>/<cell>" for each cell of StackedRNNCells, prefixed with
    "<bidirectional>/" inside a Bidirectional. `entries` lists (name, steps, state sizes).

    `target` (entry, input step t, state k, delta [batch, units]) moves that state by delta:
    the carried h_t of a cell (what its output at t, the cell above and the next step read) or
    an LSTM cell's c_t (for a sample unmasked at t, before h_t is made from it; for a masked
    one, the carried c). The loss then changes by delta times d(loss)/d(state)."""

    def __init__(self, target=None):
        self.entries: list[tuple[str, int, int]] = []
        self.prefix = ""
        self.target = target

    def deltas(self, entry: int, t: int, count: int) -> list:
        out = [None] * count
        if self.target is not None and self.target[:2] == (entry, t):
            out[self.target[2]] = self.target[3]
        return out


PROBE: Probe | None = None  # set while a gradient_flow section is replayed


class States:
    """The states of a model's stateful layers, carried from one call to the next (a
    fixture's `calls`), by layer position (a Bidirectional's two layers apart)."""

    def __init__(self):
        self.carried: dict = {}
        self.first = None  # the first stateful layer met (for the stateful_every_layer reader)


def split_states(sizes: list[list[int]], flat: list[np.ndarray],
                 batch: int) -> list[list[np.ndarray]]:
    """Initial states given flat, in Keras's order, regrouped per cell (each cell's states in
    order: an LSTM's h, c), each checked to be [batch, units]."""
    assert len(flat) == sum(len(s) for s in sizes), (
        f"{len(flat)} initial states for a layer with {sum(len(s) for s in sizes)}")
    out, i = [], 0
    for cell_sizes in sizes:
        out.append([])
        for units in cell_sizes:
            assert flat[i].shape == (batch, units), (
                f"initial state {i} of shape {flat[i].shape}, expected {(batch, units)}")
            out[-1].append(flat[i].astype(np.float64))
            i += 1
    return out


def run_rnn(layer: dict, x: np.ndarray, mask: np.ndarray | None, weights: Weights,
            passes_mask: bool = True, initial: list[np.ndarray] | None = None,
            memory: States | None = None,
            key=None) -> tuple[list[np.ndarray], np.ndarray | None]:
    """SimpleRNN, LSTM, GRU, or RNN over one cell or StackedRNNCells. With return_state the
    outputs are the output, then every cell's states in cell order (LSTM: h, then c).

    Under a mask [batch, T] (Keras's TensorFlow backend, keras/src/backend/tensorflow/rnn.py):
    go_backwards reverses the mask with the inputs; at a masked step every state of every cell
    keeps its value and the output is the previous step's output (zeros before the first
    unmasked step), or zeros with zero_output_for_mask. The last output is the output at the
    final processed step. The mask passed on (return_sequences only) is the input's, as it is
    (passes_mask=False: none, for a layer inside a Bidirectional, which passes its own).

    States start at zeros, or at `initial` (flat, Keras's order: each cell's in turn), or for a
    stateful layer with `memory` at the states its last call left (under `key`), and a stateful
    layer leaves its final states there. Under a mask the output before the first unmasked step
    is zeros whatever the states start at."""
    name, cfg = layer["class_name"], layer["config"]
    if name != "RNN":
        cells = [CELLS[name](cfg, weights)]
    elif cfg["cell"]["class_name"] == "StackedRNNCells":
        cells = [CELLS[c["class_name"]](c["config"], weights)
                 for c in cfg["cell"]["config"]["cells"]]
    else:
        cells = [CELLS[cfg["cell"]["class_name"]](cfg["cell"]["config"], weights)]
    states = [[np.zeros((x.shape[0], units)) for units in sizes] for sizes, _ in cells]
    probe, first_entry = PROBE, 0
    if probe is not None:
        first_entry = len(probe.entries)
        stacked = name == "RNN" and cfg["cell"]["class_name"] == "StackedRNNCells"
        cell_names = ([c["config"]["name"] for c in cfg["cell"]["config"]["cells"]] if stacked
                      else [None])
        for (sizes, _), cell_name in zip(cells, cell_names):
            suffix = f"/{cell_name}" if cell_name is not None else ""
            probe.entries.append((f"{probe.prefix}{cfg['name']}{suffix}", x.shape[1],
                                  list(sizes)))
    if initial is not None and READER["initial_state"]:
        states = split_states([sizes for sizes, _ in cells], initial, x.shape[0])
    stateful = cfg.get("stateful", False) and memory is not None
    if stateful:
        if memory.first is None:
            memory.first = key
        if (key in memory.carried and READER["stateful_carry"]
                and (memory.first == key or READER["stateful_every_layer"])):
            states = memory.carried[key]
            assert [s.shape for c in states for s in c] == [
                (x.shape[0], u) for sizes, _ in cells for u in sizes], "batch size changed"
    steps = range(x.shape[1] - 1, -1, -1) if cfg["go_backwards"] else range(x.shape[1])
    zero_output = ((cfg.get("zero_output_for_mask", False) and READER["zero_output_for_mask"])
                   or not READER["masked_output_repeats"])
    seq = []
    for t in steps:  # outputs in processing order
        inp = x[:, t]
        new_states, moves = [], []
        for k, (sizes, step) in enumerate(cells):
            move = (probe.deltas(first_entry + k, t, len(sizes)) if probe is not None
                    else [None] * len(sizes))
            moves.append(move)
            inp, cell_states = step(inp, states[k], move[1] if len(move) > 1 else None)
            if move[0] is not None:  # the probe's h_t: what the cell above reads, and the output
                inp = inp + move[0]
                cell_states = [cell_states[0] + move[0]] + cell_states[1:]
            new_states.append(cell_states)
        if mask is None:
            states = new_states
        else:
            keep = mask[:, t][:, None]
            states = [[np.where(keep, new, old) for new, old in zip(news, olds)]
                      for news, olds in zip(new_states, states)]
            for k, move in enumerate(moves):  # a masked sample's probed state: the carried one
                states[k] = [s if d is None else s + np.where(keep, 0.0, d)
                             for s, d in zip(states[k], move)]
            if seq and not zero_output:
                previous = seq[-1]
            elif not seq and not zero_output and not READER["masked_output_starts_zero"]:
                previous = states[-1][0]  # the carried (or initial) h of the top cell
            else:
                previous = np.zeros_like(inp)
            if moves[-1][0] is not None and not zero_output:
                previous = previous + moves[-1][0]  # the output at t is the carried h_t
            inp = np.where(keep, inp, previous)
        seq.append(inp)
    out = np.stack(seq, axis=1) if cfg["return_sequences"] else seq[-1]
    if stateful:
        carried = [list(cell_states) for cell_states in states]
        if not READER["stateful_all_states"]:  # only each cell's first state (h) kept
            carried = [[c[0]] + [np.zeros_like(s) for s in c[1:]] for c in carried]
        if not READER["stateful_masked_state"]:  # the last output carried as the top cell's h
            carried[-1][0] = seq[-1]
        memory.carried[key] = carried
    out_mask = None
    if mask is not None and cfg["return_sequences"] and passes_mask:
        reverse = cfg["go_backwards"] and not READER["output_mask_as_input"]
        out_mask = mask[:, ::-1] if reverse else mask
    return [out] + ([s for cell_states in states for s in cell_states]
                    if cfg["return_state"] else []), out_mask


def run_bidirectional(layer: dict, x: np.ndarray, mask: np.ndarray | None, weights: Weights,
                      initial: list[np.ndarray] | None = None, memory: States | None = None,
                      key=None) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Keras's Bidirectional (keras/src/layers/rnn/bidirectional.py), TensorFlow backend.

    `config.layer` is the forward layer (Keras names it forward_<name>) and
    `config.backward_layer` the backward one (backward_<name>, a copy of the wrapped layer with
    go_backwards=True, or the user's own layer under its own name). Both read the same input
    and the same mask; each runs as its own config says (the backward one reverses input and
    mask, its sequence comes out in processing order). Keras forces zero_output_for_mask =
    return_sequences on both when it builds the wrapper, whatever the config says. Weights: all
    of the forward layer's, then all of the backward layer's. With return_sequences the
    backward sequence is flipped back to input order; then merge_mode: concat [forward,
    backward] on the last axis, sum, ave ((f + b) / 2), mul, or None (both, forward first).
    Outputs: the merged output (or both), then with return_state the forward layer's states,
    then the backward layer's. The mask passed on is the input's with return_sequences.
    Initial states: the first half of the list is the forward layer's, the second the backward
    layer's. Stateful: each layer carries its own states."""
    cfg = layer["config"]
    forward_layer, backward_layer = cfg["layer"], cfg["backward_layer"]
    fc, bc = forward_layer["config"], backward_layer["config"]
    assert fc["go_backwards"] != bc["go_backwards"], "Bidirectional: same go_backwards twice"
    for key in ("stateful", "return_sequences", "return_state"):
        assert fc[key] == bc[key], f"Bidirectional: {key} differs between the two layers"
    half = len(initial) // 2 if initial is not None else 0
    initials = {False: initial[:half] if initial is not None else None,
                True: initial[half:] if initial is not None else None}
    sequences = fc["return_sequences"]

    def inner(sub: dict, backward: bool) -> dict:
        c = dict(sub["config"])
        if "zero_output_for_mask" in c:
            c["zero_output_for_mask"] = sequences and (mask is None or READER["bidi_zero_output"])
        if backward and not READER["bidi_backward_reversed"]:
            c["go_backwards"] = False
        return {**sub, "config": c}

    def run(sub: dict, backward: bool) -> list[np.ndarray]:
        sub_mask = mask
        if backward and mask is not None and not READER["bidi_backward_mask"]:
            sub_mask = mask[:, ::-1]  # reversing the input by hand but not the mask
        if READER["bidi_weight_order"]:  # (a model loaded from JSON has no outer scopes)
            weights.scope = sub["config"]["name"]
        if PROBE is not None:
            PROBE.prefix = f"{cfg['name']}/"
        try:
            if backward and not sequences and not READER["bidi_backward_last"]:
                # Run as a sequence, flip it to input order and take its last step, as for
                # the forward layer: the backward output after its first step.
                wrong = inner(sub, backward)
                wrong["config"]["return_sequences"] = True
                out, *states = run_rnn(wrong, x, sub_mask, weights, passes_mask=False,
                                       initial=initials[backward], memory=memory,
                                       key=(key, backward))[0]
                return [out[:, ::-1][:, -1]] + states
            return run_rnn(inner(sub, backward), x, sub_mask, weights, passes_mask=False,
                           initial=initials[backward], memory=memory, key=(key, backward))[0]
        finally:
            weights.scope = None
            if PROBE is not None:
                PROBE.prefix = ""

    if READER["bidi_weight_order"]:
        y, y_rev = run(forward_layer, False), run(backward_layer, True)
    else:
        y_rev = run(backward_layer, True)
        y = run(forward_layer, False)
    (f, *f_states), (b, *b_states) = y, y_rev
    if sequences and READER["bidi_flip_back"]:
        b = b[:, ::-1]
    mode = cfg["merge_mode"]
    if not READER["bidi_merge"]:  # plausible slips: halves swapped, no halving, a sum
        mode = {"concat": "concat_swapped", "ave": "sum", "sum": "ave", "mul": "sum",
                None: "swapped"}[mode]
    if mode == "concat":
        merged = [np.concatenate([f, b], axis=-1)]
    elif mode == "concat_swapped":
        merged = [np.concatenate([b, f], axis=-1)]
    elif mode == "sum":
        merged = [f + b]
    elif mode == "ave":
        merged = [(f + b) / 2]
    elif mode == "mul":
        merged = [f * b]
    elif mode is None:
        merged = [f, b]
    elif mode == "swapped":
        merged = [b, f]
    else:
        raise ValueError(f"check_fixtures: no reference for merge_mode {mode}")
    states = f_states + b_states
    if states and not READER["bidi_state_order"]:
        states = b_states + f_states
    out_mask = mask if sequences and mask is not None and READER["bidi_output_mask"] else None
    return merged + states, out_mask


def run_layer(layer: dict, x: np.ndarray, mask: np.ndarray | None, weights: Weights,
              initial: list[np.ndarray] | None = None, memory: States | None = None,
              key=None) -> tuple[list[np.ndarray], np.ndarray | None]:
    """One layer: its outputs and the mask it passes on ([batch, T] bool, or None). `initial`:
    a recurrent layer's initial states; `memory`, `key`: where a stateful one keeps its states
    between calls."""
    if initial is not None and layer["class_name"] not in ("SimpleRNN", "LSTM", "GRU", "RNN",
                                                            "Bidirectional"):
        raise ValueError(f"check_fixtures: a {layer['class_name']} takes no initial states")
    name, cfg = layer["class_name"], layer["config"]
    if name in ("InputLayer", "Dropout"):  # Dropout passes the mask on
        return [x], mask
    if name == "Dense":  # passes the mask on (a 3-D Dense's output is masked per step)
        y = x @ weights.take("/kernel") + (weights.take("/bias") if cfg["use_bias"] else 0.0)
        return [ACTIVATIONS[cfg["activation"]](y)], mask
    if name == "Embedding":
        assert mask is None, "a mask reaching an Embedding"
        table = weights.take("/embeddings")
        out = table[x] if weights.embedded is None else weights.embedded
        return [out], (x != 0) if cfg.get("mask_zero") and READER["masks"] else None
    if name == "Masking":
        # A step is masked when EVERY feature equals mask_value; Masking outputs those steps as 0.
        assert mask is None, "a mask reaching a Masking layer"
        if not READER["masks"]:
            return [x], None
        keep = np.any(x != cfg["mask_value"], axis=-1)
        return [np.where(keep[..., None], x, 0.0) if READER["masking_zeroes"] else x], keep
    if name in ("SimpleRNN", "LSTM", "GRU", "RNN"):
        return run_rnn(layer, x, mask, weights, initial=initial, memory=memory, key=key)
    if name == "Bidirectional":
        return run_bidirectional(layer, x, mask, weights, initial, memory, key)
    raise ValueError(f"check_fixtures: no reference for layer class {name}")


def forward(fx: dict, inputs: list[np.ndarray], values: list[np.ndarray] | None = None,
            embedded: np.ndarray | None = None,
            memory: States | None = None) -> tuple[list[np.ndarray], np.ndarray | None]:
    """The fixture's outputs, and the mask Keras attaches to the first one (None: no mask).
    A layer fixture's inputs after the first are the layer's initial states; `memory` carries
    a stateful model's states from one call to the next (None: every call from zeros)."""
    names = [w["name"] for w in fx["weights"]]
    weights = Weights(names, values if values is not None else [array(w) for w in fx["weights"]],
                      embedded)
    if "layer" in fx:
        initial = list(inputs[1:]) or None
        if initial is not None and not READER["initial_state_order"]:
            initial = initial[::-1]
        outs, mask = run_layer(fx["layer"], inputs[0], None, weights, initial)
    else:
        model = fx["model"]
        assert model["class_name"] in ("Sequential", "Functional"), model["class_name"]
        # Every model here is a chain; a Functional model lists its layers in call order.
        outs, mask = inputs, None
        assert len(inputs) == 1, f"a model of one input given {len(inputs)}"
        for i, layer in enumerate(model["config"]["layers"]):
            outs, mask = run_layer(layer, outs[0], mask, weights, memory=memory, key=i)
    assert weights.i == len(fx["weights"]), "not every stored weight was used"
    return outs, mask


def run(fx: dict, inputs: list[np.ndarray], values: list[np.ndarray] | None = None,
        embedded: np.ndarray | None = None, memory: States | None = None) -> list[np.ndarray]:
    return forward(fx, inputs, values, embedded, memory)[0]


def replay_calls(fx: dict) -> float:
    """The fixture's `calls` on one model from zero states, the stateful layers' states carried
    from call to call, reset by `reset_states`. Every call must give the batch size the model's
    InputLayer fixes (`batch_shape`) when it has stateful layers. Returns the worst
    |float64 - keras| over the calls in units of the section's atol."""
    assert "model" in fx, "calls on a layer fixture"
    layers = fx["model"]["config"]["layers"]
    batch = layers[0]["config"].get("batch_shape", [None])[0] if (
        layers[0]["class_name"] == "InputLayer") else None
    stateful = any(layer["config"].get("stateful", False) or (
        layer["class_name"] == "Bidirectional" and layer["config"]["layer"]["config"]["stateful"])
        for layer in layers)
    assert not stateful or batch is not None, "stateful layers without a fixed batch_shape"
    memory, worst = States(), 0.0
    for i, call in enumerate(fx["calls"]):
        if "reset_states" in call:
            assert call["reset_states"] is True, f"calls[{i}].reset_states"
            if READER["stateful_reset"]:
                memory = States()
            continue
        x, want = array(call["input"]), array(call["output"])
        assert not stateful or x.shape[0] == batch, (
            f"calls[{i}]: batch {x.shape[0]}, the model's batch_shape says {batch}")
        got = run(fx, [x], memory=memory)
        assert len(got) == 1 and got[0].shape == want.shape, f"calls[{i}]: output shapes differ"
        worst = max(worst, float(np.abs(got[0] - want).max()) / fx["atol"])
    return worst


def loss_entries(name: str, from_logits: bool, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Keras's losses before reduction: one value per sample (and step), the last axis reduced."""
    eps = 1e-7  # Keras clips probabilities to [eps, 1 - eps]
    if name == "mean_squared_error":
        return np.mean((y - p) ** 2, axis=-1)
    if name == "binary_crossentropy":
        if from_logits:
            return np.mean(np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p))), axis=-1)
        p = np.clip(p, eps, 1 - eps)
        return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1)
    if from_logits:
        logp = p - p.max(-1, keepdims=True)
        logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    else:
        logp = np.log(np.clip(p / p.sum(-1, keepdims=True), eps, 1 - eps))
    if name == "categorical_crossentropy":
        return -(y * logp).sum(-1)
    if name == "sparse_categorical_crossentropy":
        return -np.take_along_axis(logp, y[..., None], -1)[..., 0]
    raise ValueError(f"check_fixtures: no reference for loss {name}")


def masked_mean(values: np.ndarray, mask: np.ndarray | None) -> float:
    """Keras's default reduction ("sum_over_batch_size"): the mean over every entry; with the
    mask of y_pred, Keras (losses/loss.py apply_mask) weights unmasked entries total / valid and
    masked ones 0, then divides the sum by total: sum(values * mask) / sum(mask), 0 when nothing
    is unmasked."""
    if mask is None or not READER["masked_loss"]:
        return float(np.mean(values))
    assert mask.shape == values.shape, f"mask {mask.shape} vs loss values {values.shape}"
    valid = mask.sum()
    return float((values * mask).sum() / valid) if valid else 0.0


def loss_value(name: str, from_logits: bool, y: np.ndarray, p: np.ndarray,
               mask: np.ndarray | None = None) -> float:
    """Keras's loss reduced as Keras reduces it, under the mask of y_pred if it has one."""
    return masked_mean(loss_entries(name, from_logits, y, p), mask)


def model_loss(fx: dict, name: str, from_logits: bool, x: np.ndarray, y: np.ndarray,
               values: list[np.ndarray], embedded: np.ndarray | None = None) -> float:
    outs, mask = forward(fx, [x], values, embedded)
    return loss_value(name, from_logits, y, outs[0], mask)


def check_gradients(fx: dict, samples_per_weight: int = 25) -> float:
    """Central differences of the float64 reference loss against the stored gradients, on up
    to `samples_per_weight` elements of each weight. Returns the worst |error| / tolerance."""
    g = fx["gradients"]
    x, y = array(g["x"]), array(g["y"])
    values = [array(w) for w in fx["weights"]]
    index = {w["name"]: i for i, w in enumerate(fx["weights"])}

    def loss(vals):
        return model_loss(fx, g["loss"], g["from_logits"], x, y, vals)

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


def sample_losses(name: str, from_logits: bool, y: np.ndarray, p: np.ndarray,
                  mask: np.ndarray | None = None) -> np.ndarray:
    """Each sample's share of `loss_value` (they sum to it): the masked mean is linear in the
    entries and its denominator does not depend on the outputs."""
    values = loss_entries(name, from_logits, y, p)
    if mask is None or not READER["masked_loss"]:
        return values.reshape(len(values), -1).sum(axis=1) / values.size
    valid = mask.sum()
    weighted = (values * mask).reshape(len(values), -1).sum(axis=1)
    return weighted / valid if valid else np.zeros(len(values))


def gradient_flow_entries(fx: dict, x: np.ndarray, y: np.ndarray,
                          target=None) -> tuple[list, np.ndarray, float]:
    """One forward pass with a Probe: the recurrent entries met, each sample's share of the
    loss (mean_squared_error, ... as Keras reduces it, no from_logits) and the loss."""
    global PROBE
    PROBE = Probe(target)
    try:
        outs, mask = forward(fx, [x])
        entries = PROBE.entries
    finally:
        PROBE = None
    name = fx["gradient_flow"]["loss"]
    per_sample = sample_losses(name, False, y, outs[0], mask)
    return entries, per_sample, loss_value(name, False, y, outs[0], mask)


def check_gradient_flow(fx: dict, h: float = 1e-6) -> float:
    """Replay the gradient_flow section in float64: the entries must be the model's recurrent
    cells (names, order, one norm per step, cell_norms exactly for LSTM cells), the loss
    Keras's, and each norm the norm of d(loss)/d(state) by central differences: one unit of
    every sample moved at once (a sample's state moves only that sample's share of the loss),
    the state as `Probe` moves it. Returns the worst relative error of a norm."""
    gf = fx["gradient_flow"]
    x, y = array(gf["x"]), array(gf["y"])
    entries, _, loss = gradient_flow_entries(fx, x, y)
    assert abs(loss - gf["loss_value"]) <= 1e-5 * max(1.0, abs(gf["loss_value"])), (
        f"gradient_flow loss {loss} vs stored {gf['loss_value']}")
    assert [e["layer"] for e in gf["layers"]] == [name for name, _, _ in entries], (
        f"gradient_flow layers {[e['layer'] for e in gf['layers']]} vs the model's "
        f"{[name for name, _, _ in entries]}")
    batch, worst = x.shape[0], 0.0
    for i, (entry, (name, steps, sizes)) in enumerate(zip(gf["layers"], entries)):
        keys = ["step_norms", "cell_norms"][:len(sizes)]
        assert len(sizes) <= 2 and set(entry) == {"layer", *keys}, (
            f"gradient_flow {name}: keys {sorted(entry)} for {len(sizes)} states")
        for k, (key, units) in enumerate(zip(keys, sizes)):
            assert len(entry[key]) == steps, f"gradient_flow {name}: {len(entry[key])} {key}"
            for t in range(steps):
                grad = np.zeros((batch, units))
                for j in range(units):
                    delta = np.zeros((batch, units))
                    delta[:, j] = h
                    up = gradient_flow_entries(fx, x, y, (i, t, k, delta))[1]
                    down = gradient_flow_entries(fx, x, y, (i, t, k, -delta))[1]
                    grad[:, j] = (up - down) / (2 * h)
                norm = float(np.sqrt(np.sum(np.square(grad))))
                stored = entry[key][t]
                # (1e-9: central differences' noise, for a norm a mask makes zero)
                err = abs(stored - norm) / (abs(norm) + 1e-9 / gf["rtol"])
                assert err <= gf["rtol"], f"gradient_flow {name} {key}[{t}]: {stored} vs {norm}"
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


METRICS = {
    "accuracy": accuracy,
    "mae": lambda y, p: np.mean(np.abs(y - p), axis=-1),
    "mse": lambda y, p: np.mean((y - p) ** 2, axis=-1),
}


class RunningMean:
    """Keras's Mean metric over an epoch: total / count."""

    def __init__(self):
        self.total, self.count = 0.0, 0.0

    def add(self, total: float, count: float) -> None:
        self.total += total
        self.count += count

    def add_values(self, values: np.ndarray, mask: np.ndarray | None) -> None:
        """A metric's values [batch, ...] under the mask of y_pred, as Keras's MeanMetricWrapper
        adds them: the mask becomes 0/1 sample weights, each sample adds the mean over its steps
        of value * mask to total and the mean of its mask to count. Over the epoch that is
        sum(value * mask) / sum(mask); without a mask, the mean of the per-sample means."""
        b = len(values)
        weights = np.ones_like(values) if mask is None else mask.astype(float)
        self.add((values * weights).reshape(b, -1).mean(1).sum(),
                 weights.reshape(b, -1).mean(1).sum())

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


def check_training(fx: dict, strict: bool = True,
                   epochs: int | None = None) -> tuple[float, dict[str, float]]:
    """Replay the fit in float64 (gradients by central differences, Keras's update rules) and
    compare the per-epoch history and the final weights (strict=False: only measure, for
    `check_wrong_readers`; `epochs`: replay only the first ones and compare only their history,
    not the final weights). Returns the worst relative error, and
    for a model whose output carries a mask how far (in rtol) the two plausible wrong history
    formulas land from Keras's: the loss weighted by unmasked steps instead of by batch size,
    and a metric averaged per batch (weighted by batch size) instead of over the epoch's steps."""
    tr = fx["training"]
    opt = tr["compile"]["optimizer"]
    loss_name, from_logits = tr["compile"]["loss"], tr["compile"]["from_logits"]
    x, y = array(tr["x"]), array(tr["y"])
    values = [array(w) for w in fx["weights"]]
    state, t, worst, wrong = {}, 0, 0.0, {}
    bs = tr["fit"]["batch_size"]
    tables = [i for i, w in enumerate(fx["weights"]) if w["name"].endswith("/embeddings")]
    table = tables[0] if tables else None
    total_epochs = tr["fit"]["epochs"]
    replayed = total_epochs if epochs is None else min(epochs, total_epochs)
    for epoch in range(replayed):
        # Keras's trackers, and the wrong formulas next to them.
        means = {key: RunningMean() for key in tr["history"]}
        alt = {key: RunningMean() for key in tr["history"]}
        for start in range(0, len(x), bs):
            xb, yb = x[start:start + bs], y[start:start + bs]

            def loss(vals):
                return model_loss(fx, loss_name, from_logits, xb, yb, vals)

            outs, mask = forward(fx, [xb], values)
            batch_loss = loss(values)
            # The loss tracker: each batch's (masked) loss weighted by the batch's size.
            means["loss"].add(batch_loss * len(xb), len(xb))
            valid = float(mask.sum()) if mask is not None else float(len(xb))
            alt["loss"].add(batch_loss * valid, valid)
            for key in tr["history"]:
                if key == "loss":
                    continue
                if key not in METRICS:
                    raise ValueError(f"check_fixtures: no reference for metric {key}")
                metric = METRICS[key](yb, outs[0])
                means[key].add_values(metric, mask)
                alt[key].add(masked_mean(metric, mask) * len(xb), len(xb))
            if replayed < total_epochs and epoch == replayed - 1 and start + bs >= len(x):
                break  # the last update only shows in later epochs and the final weights
            t += 1
            grads = clip(numeric_grads(loss, values), opt["config"])
            squares, absolutes = [g * g for g in grads], [np.abs(g) for g in grads]
            if table is not None:  # per-lookup rows, as Keras's IndexedSlices gradient has them
                rows = numeric_grads(lambda e: model_loss(fx, loss_name, from_logits, xb, yb,
                                                          values, e[0]),
                                     [values[table][xb]])[0]
                for agg, f in ((squares, np.square), (absolutes, np.abs)):
                    agg[table] = np.zeros_like(values[table])
                    np.add.at(agg[table], xb, f(rows))
            for k, (w, g) in enumerate(zip(values, grads)):
                optimizer_step(opt["class_name"], opt["config"], state, t, w, g, k, squares[k],
                               absolutes[k])
        for key, history in tr["history"].items():
            want, got = history[epoch], means[key].result()
            err = abs(got - want) / abs(want)
            assert err <= tr["rtol"] or not strict, (
                f"history {key}[{epoch}]: float64 {got} vs keras {want}")
            worst = max(worst, err)
            if mask is not None:
                what = f"{key} step-weighted" if key == "loss" else f"{key} batch-weighted"
                off = abs(alt[key].result() - want) / abs(want) / tr["rtol"]
                wrong[what] = max(wrong.get(what, 0.0), off)
    for w, final in zip(values if replayed == total_epochs else [], tr["final_weights"]):
        stored = np.array(final["data"]).reshape(final["shape"])
        err = float((np.abs(w - stored) / (tr["atol"] / tr["rtol"] + np.abs(stored))).max())
        assert err <= tr["rtol"] or not strict, f"final {final['name']}: relative error {err:.1e}"
        worst = max(worst, err)
    return worst, wrong


def check(path: Path) -> float:
    fx = json.loads(path.read_text(encoding="utf-8"))
    assert fx["format"] == "keras-reference-fixture" and fx["version"] == 1
    assert fx["name"] == path.stem, f"name {fx['name']} differs from file name"
    worst = 0.0
    assert fx.get("cases") or fx.get("calls"), "neither cases nor calls"
    for case in fx.get("cases", []):
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
    if "calls" in fx:
        calls_worst = replay_calls(fx)
        assert calls_worst <= 1, f"calls: |keras - float64| = {calls_worst:.2f} x atol"
        worst = max(worst, calls_worst * fx["atol"])
        steps = sum("input" in call for call in fx["calls"])
        print(f"     {fx['name']}: {steps} calls replayed, states carried, within "
              f"{calls_worst:.2f} of their tolerance")
    if "gradients" in fx:
        grad_worst = check_gradients(fx)
        print(f"     {fx['name']}: gradients within {grad_worst:.2f} of their tolerance")
    if "gradient_flow" in fx:
        flow_worst = check_gradient_flow(fx)
        norms = [v for e in fx["gradient_flow"]["layers"] for key in ("step_norms", "cell_norms")
                 for v in e.get(key, [])]
        print(f"     {fx['name']}: gradient_flow, {len(norms)} norms from {min(norms):.1e} to "
              f"{max(norms):.1e}, worst relative error {flow_worst:.1e}")
    if "training" in fx:
        train_worst, wrong = check_training(fx)
        print(f"     {fx['name']}: training replay, worst relative error {train_worst:.1e}")
        for what, off in wrong.items():
            # A fixture whose output is masked must tell Keras's history formulas from these.
            assert off > 10, f"history {what} is only {off:.1f} rtol from Keras's"
            print(f"     {fx['name']}: history {what} would be {off:.0f} rtol off")
    return worst


def has_mask(fx: dict) -> bool:
    """Whether the fixture's model makes a Keras mask (Embedding mask_zero=True or Masking)."""
    layers = fx["model"]["config"]["layers"] if "model" in fx else [fx["layer"]]
    return any(layer["class_name"] == "Masking" or layer["config"].get("mask_zero", False)
               for layer in layers)


def distances(fx: dict, flag: str | None = None, enough: float = float("inf")) -> dict[str, float]:
    """How far this reader lands from Keras, in units of the fixture's own tolerances: every
    forward case (atol), the calls replayed (the worst call, in the section's atol), the
    gradients and gradient_flow sections' loss values (the 1e-5 relative that
    check_gradients and check_gradient_flow ask), and the training replay's history and final
    weights (rtol).

    The training replay is the costly part, so it first replays one epoch, and the whole fit
    only when that could change the verdict: when the first epoch's history is not already
    more than `enough` tolerances off (the whole fit is at least as far off) and the reader's
    switch `flag` (the one turned off) was read (unread, the reader computes what the right
    reader does, and that passed)."""
    out = {}
    for case in fx.get("cases", []):
        got = run(fx, [array(t) for t in case["inputs"]])
        want = [array(t) for t in case["outputs"]]
        out[f"case {case['name']}"] = max(float(np.abs(g - w).max())
                                          for g, w in zip(got, want)) / case["atol"]
    if "calls" in fx:
        out["calls"] = replay_calls(fx)
    if "gradients" in fx:
        g = fx["gradients"]
        loss = model_loss(fx, g["loss"], g["from_logits"], array(g["x"]), array(g["y"]),
                          [array(w) for w in fx["weights"]])
        out["gradients loss"] = (abs(loss - g["loss_value"])
                                 / (1e-5 * max(1.0, abs(g["loss_value"]))))
    if "gradient_flow" in fx:
        gf = fx["gradient_flow"]
        loss = gradient_flow_entries(fx, array(gf["x"]), array(gf["y"]))[2]
        out["gradient_flow loss"] = (abs(loss - gf["loss_value"])
                                     / (1e-5 * max(1.0, abs(gf["loss_value"]))))
    if "training" in fx:
        rtol = fx["training"]["rtol"]
        READER.read.clear()
        first = check_training(fx, strict=False, epochs=1)[0] / rtol
        if first > enough or (flag is not None and flag not in READER.read):
            out["training"] = first
        else:
            out["training"] = check_training(fx, strict=False)[0] / rtol
    return out


def check_wrong_readers(fixtures: list[dict], factor: float = 100.0) -> None:
    """The mask fixtures must fail a reader that gets masks wrong, by far more than their own
    tolerances: without masks at all, every case and section of every mask fixture lands more
    than `factor` tolerances away; each other mistake (KERAS_READER's other entries, one at a
    time) is caught that clearly by some fixture."""
    for flag in MASK_FLAGS:
        READER[flag] = False
        try:
            found = {fx["name"]: distances(fx, flag, factor) for fx in fixtures}
        finally:
            READER.update(KERAS_READER)
        if flag == "masks":
            weakest = min((d, name, what) for name, ds in found.items() for what, d in ds.items())
            assert weakest[0] > factor, (f"a reader without masks is only {weakest[0]:.1f} "
                                         f"tolerances off on {weakest[1]} {weakest[2]}")
            print(f"ok   wrong reader without masks: every case and section of the "
                  f"{len(found)} mask fixtures fails, by at least {weakest[0]:.0f} x its "
                  f"tolerance ({weakest[1]} {weakest[2]})")
            continue
        caught = sorted(((max(ds.values()), name) for name, ds in found.items()
                         if max(ds.values()) > factor), reverse=True)
        assert caught, f"no mask fixture catches a reader with {flag} wrong"
        print(f"ok   wrong reader ({flag} wrong): caught by {len(caught)} fixture(s), most by "
              f"{caught[0][1]} ({caught[0][0]:.0e} x its tolerance)")


def bidirectional_layers(fx: dict) -> list[dict]:
    layers = fx["model"]["config"]["layers"] if "model" in fx else [fx["layer"]]
    return [layer for layer in layers if layer["class_name"] == "Bidirectional"]


def _wrapped(fx: dict, key: str, some=any) -> bool:
    """Whether some (some=all: every) Bidirectional of the fixture wraps layers with `key`."""
    return some(layer["config"]["layer"]["config"][key] for layer in bidirectional_layers(fx))


# Which bidirectional_* fixtures each wrong Bidirectional reader must fail, and where: "every"
# case and section; only the "cases" (zeros instead of repeated outputs at masked steps, which
# the masked loss never sees); only the "sections" (the mask passed on weighs only the loss).
BIDIRECTIONAL_MUST_FAIL = {
    "bidi_weight_order": (lambda fx: True, "every"),
    "bidi_backward_reversed": (lambda fx: True, "every"),
    "bidi_flip_back": (lambda fx: _wrapped(fx, "return_sequences"), "every"),
    "bidi_backward_last": (lambda fx: not _wrapped(fx, "return_sequences", all), "every"),
    "bidi_merge": (lambda fx: True, "every"),
    "bidi_state_order": (lambda fx: _wrapped(fx, "return_state"), "every"),
    "bidi_backward_mask": (has_mask, "every"),
    "bidi_zero_output": (lambda fx: has_mask(fx) and _wrapped(fx, "return_sequences"), "cases"),
    "bidi_output_mask": (lambda fx: has_mask(fx) and _wrapped(fx, "return_sequences"),
                         "sections"),
}


def check_wrong_bidirectional_readers(fixtures: list[dict], factor: float = 100.0) -> None:
    """The bidirectional_* fixtures must fail a reader that gets Bidirectional wrong by far more
    than their own tolerances: for each mistake (KERAS_BIDIRECTIONAL's entries, one at a
    time), every fixture it concerns fails, in every case and section it can show in
    (BIDIRECTIONAL_MUST_FAIL). A reader that refuses a fixture (a weight of the wrong shape)
    fails it too."""
    assert set(BIDIRECTIONAL_MUST_FAIL) == set(KERAS_BIDIRECTIONAL)
    check_must_fail(fixtures, BIDIRECTIONAL_MUST_FAIL, "bidirectional", factor)


def check_must_fail(fixtures: list[dict], must_fail: dict, kind: str, factor: float) -> None:
    """For each reader switch of `must_fail` turned off in turn, every fixture it concerns
    fails, by more than `factor` times its tolerances, in every case and section it can show in
    ("every", or only the "cases", or only the "sections"); a refused fixture fails too."""
    for flag, (concerns, where) in must_fail.items():
        READER[flag] = False
        found, refused = {}, []
        try:
            for fx in fixtures:
                try:
                    found[fx["name"]] = distances(fx, flag, factor)
                except (AssertionError, ValueError) as e:
                    refused.append(f"{fx['name']} ({str(e).splitlines()[0][:60]})")
        finally:
            READER.update(KERAS_READER)
        concerned = [fx["name"] for fx in fixtures if concerns(fx)]
        assert concerned, f"no {kind} fixture concerns {flag}"
        weakest = (float("inf"), "", "")
        for name in concerned:
            if name not in found:
                continue  # refused
            shown = {what: d for what, d in found[name].items()
                     if where == "every" or (where == "cases") == what.startswith("case ")}
            assert shown, f"{name} has nothing that shows {flag}"
            weakest = min(weakest, min((d, name, what) for what, d in shown.items()))
        assert weakest[0] > factor, (f"a reader with {flag} wrong is only {weakest[0]:.1f} "
                                     f"tolerances off on {weakest[1]} {weakest[2]}")
        print(f"ok   wrong reader ({flag} wrong): fails all {len(concerned)} fixtures concerned"
              f" ({where if where != 'every' else 'every case and section'}), by at least "
              + (f"{weakest[0]:.0f} x the tolerance ({weakest[1]} {weakest[2]})"
                 if weakest[1] else "refusing them")
              + (f"; refuses {', '.join(refused)}" if refused else ""))


def takes_initial_states(fx: dict) -> bool:
    """A layer fixture whose cases give the layer initial states (inputs after x)."""
    return "layer" in fx and any(len(case["inputs"]) > 1 for case in fx["cases"])


def _stateful_layers(fx: dict) -> int:
    """How many stateful recurrent layers the model has (a Bidirectional's count two)."""
    layers = fx["model"]["config"]["layers"] if "model" in fx else [fx["layer"]]
    count = 0
    for layer in layers:
        inner = layer["config"].get("layer", layer) if layer["class_name"] == "Bidirectional" \
            else layer
        if inner["config"].get("stateful", False):
            count += 2 if layer["class_name"] == "Bidirectional" else 1
    return count


def _has_lstm(fx: dict) -> bool:
    text = json.dumps(fx["model"] if "model" in fx else fx["layer"])
    return '"class_name": "LSTM"' in text or '"class_name": "LSTMCell"' in text


def _resets_then_calls(fx: dict) -> bool:
    calls = fx.get("calls", [])
    return any("reset_states" in a and "input" in b for a, b in zip(calls, calls[1:]))


# Which stateful_* and initial_state_* fixtures each wrong reader must fail (in every case and
# section they have: the stateful ones have only `calls`, the initial-state ones one case).
STATE_MUST_FAIL = {
    "stateful_carry": (lambda fx: "calls" in fx, "every"),
    "stateful_reset": (_resets_then_calls, "every"),
    "stateful_every_layer": (lambda fx: "calls" in fx and _stateful_layers(fx) > 1, "every"),
    "stateful_all_states": (lambda fx: "calls" in fx and _has_lstm(fx), "every"),
    "stateful_masked_state": (lambda fx: "calls" in fx and has_mask(fx), "every"),
    "masked_output_starts_zero": (lambda fx: "calls" in fx and has_mask(fx), "every"),
    "initial_state": (takes_initial_states, "every"),
    "initial_state_order": (lambda fx: takes_initial_states(fx)
                            and len(fx["cases"][0]["inputs"]) > 2, "every"),
}


def check_wrong_state_readers(fixtures: list[dict], factor: float = 100.0) -> None:
    """The stateful_* fixtures must fail a reader that does not carry the states across calls,
    ignores reset_states, carries only some layers or some states, or gets the states of a
    masked sample wrong; the initial_state_* fixtures a reader that ignores the initial states
    or takes them in another order: each by far more than the fixture's tolerance."""
    assert set(STATE_MUST_FAIL) == set(KERAS_STATES)
    check_must_fail(fixtures, STATE_MUST_FAIL, "stateful or initial-state", factor)


def main() -> int:
    paths = sorted(FIXTURE_DIR.glob("*.json"))
    failed = 0
    for path in paths:
        try:
            print(f"ok   {path.stem}: max |keras - float64| {check(path):.1e}")
        except (AssertionError, ValueError, KeyError) as e:
            failed += 1
            print(f"FAIL {path.stem}: {e}")
    masked = [fx for fx in (json.loads(p.read_text(encoding="utf-8")) for p in paths)
              if has_mask(fx)]
    try:
        check_wrong_readers(masked)
    except (AssertionError, ValueError, KeyError) as e:
        failed += 1
        print(f"FAIL wrong readers: {e}")
    bidirectional = [fx for fx in (json.loads(p.read_text(encoding="utf-8")) for p in paths)
                     if bidirectional_layers(fx)]
    try:
        check_wrong_bidirectional_readers(bidirectional)
    except (AssertionError, ValueError, KeyError) as e:
        failed += 1
        print(f"FAIL wrong bidirectional readers: {e}")
    with_states = [fx for fx in (json.loads(p.read_text(encoding="utf-8")) for p in paths)
                   if "calls" in fx or takes_initial_states(fx)]
    try:
        check_wrong_state_readers(with_states)
    except (AssertionError, ValueError, KeyError) as e:
        failed += 1
        print(f"FAIL wrong state readers: {e}")
    total = sum(p.stat().st_size for p in paths)
    print(f"{len(paths) - failed} passed, {failed} failed ({total / 1e6:.2f} MB in {len(paths)} files)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
