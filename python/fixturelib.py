"""Helpers that turn a Keras model (or one layer) into a reference fixture.

The fixture format is version 1 of ``shared/fixtures/FORMAT.md``: Keras's own model JSON, the
weights with their variable paths, forward cases, and optional ``gradients`` and ``training``
sections. Everything here is written by real Keras: nothing in a fixture is typed by hand.

Import this module before Keras (it selects the TensorFlow backend). A user who wants a fixture
for their own model writes::

    import sys; sys.path.insert(0, "python")
    from fixturelib import write_model_fixture   # before `import keras`
    import keras
    model = ...                                   # any Sequential or Functional model
    write_model_fixture(model, "my_model", "what it is", {"batch": x}, "out/fixtures")
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

# Must happen before TensorFlow or Keras is imported anywhere.
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Plain Eigen kernels: the same rounding on every x86 CPU, whatever its instruction set.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras.src.backend.common.masking import get_keras_mask, set_keras_mask  # noqa: E402

FORMAT = "keras-reference-fixture"
VERSION = 1
SEED = 1234
REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE_DIR = REPO_ROOT / "__tests__" / "fixtures" / "keras"

# One thread and deterministic ops: a rerun reproduces every bit of every fixture.
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()

# Loss names as Keras registers them (the strings `model.compile(loss=...)` accepts), mapped to
# the loss classes. A fixture stores the name plus a separate `from_logits` flag; the loss object
# is always built with Keras's default reduction ("sum_over_batch_size": the mean over the batch
# and every other axis).
LOSSES = {
    "mean_squared_error": keras.losses.MeanSquaredError,
    "mean_absolute_error": keras.losses.MeanAbsoluteError,
    "binary_crossentropy": keras.losses.BinaryCrossentropy,
    "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
    "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
}
PROBABILISTIC_LOSSES = {"binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"}


# ---------------------------------------------------------------------------------------------
# Values


def tensor_json(x: Any, dtype: str | None = None) -> dict:
    """A Tensor of the format: shape, dtype ("float32" or "int32"), flat row-major data."""
    arr = np.asarray(x)
    if dtype is None:
        dtype = "int32" if np.issubdtype(arr.dtype, np.integer) else "float32"
    if dtype == "int32":
        data = np.ascontiguousarray(arr, dtype=np.int32).ravel().tolist()
    elif dtype == "float32":
        f32 = np.ascontiguousarray(arr, dtype=np.float32)
        if not np.all(np.isfinite(f32)):
            raise ValueError("tensor_json: expected finite float32 values, received NaN or Inf")
        # tolist() gives the Python float of each float32 value; json writes its repr, which
        # round-trips to the same float32.
        data = f32.ravel().tolist()
    else:
        raise ValueError(f"tensor_json: expected dtype float32 or int32, received {dtype}")
    return {"shape": [int(d) for d in arr.shape], "dtype": dtype, "data": data}


def weights_json(variables: Iterable[Any], with_dtype: bool = True) -> list[dict]:
    """Variables in the given order, named by Keras's `variable.path`."""
    out = []
    for v in variables:
        t = tensor_json(to_numpy(v), str(v.dtype))
        entry = {"name": v.path, "shape": t["shape"]}
        if with_dtype:
            entry["dtype"] = t["dtype"]
        entry["data"] = t["data"]
        out.append(entry)
    return out


def json_safe(obj: Any) -> Any:
    """numpy scalars -> Python numbers, tuples -> lists, recursively (for get_config() output)."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return obj


def generator_info(script: str | None = None, seed: int | None = None) -> dict:
    """Who wrote the fixture: versions, backend, the script path relative to the repo root, and
    the random seed it set (None when the caller did not say)."""
    if script is None:
        main = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
        if main is not None and main.is_relative_to(REPO_ROOT):
            script = main.relative_to(REPO_ROOT).as_posix()
        else:
            script = main.name if main is not None else "<interactive>"
    return {
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "backend": keras.backend.backend(),
        "python": platform.python_version(),
        "script": script,
        "seed": seed,
    }


# ---------------------------------------------------------------------------------------------
# Models and weights


def fresh_session(seed: int = SEED) -> np.random.Generator:
    """Forget earlier layers (so names restart at `sequential`, `simple_rnn`, ...) and reseed
    Python, NumPy, TensorFlow and Keras. Returns a NumPy generator for inputs and targets."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)


def set_nonzero_biases(model: Any, rng: np.random.Generator, scale: float = 0.5) -> None:
    """Give every bias uniform(-scale, scale) values and every embedding table uniform(-1, 1),
    so that a reader that drops a bias, or reads the wrong row, gets visibly wrong numbers.
    Kernels keep Keras's default initializers (glorot_uniform, orthogonal)."""
    for v in model.weights:
        leaf = v.path.rsplit("/", 1)[-1]
        if leaf == "bias":
            v.assign(rng.uniform(-scale, scale, size=v.shape).astype(np.float32))
        elif leaf == "embeddings":
            v.assign(rng.uniform(-1.0, 1.0, size=v.shape).astype(np.float32))


def to_numpy(x: Any) -> np.ndarray:
    """A Keras variable or TensorFlow tensor as a NumPy array."""
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def _as_input(x: Any) -> np.ndarray:
    """Float arrays as float32 and integer arrays as int32: exactly what the fixture stores."""
    arr = np.asarray(x)
    return arr.astype(np.int32 if np.issubdtype(arr.dtype, np.integer) else np.float32)


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def forward_case(model: Any, name: str, inputs: Any, atol: float = 1e-5) -> dict:
    """One case: the inputs and what `model(inputs, training=False)` returns, in order. Nested
    outputs are flattened depth first: RNN([cells], return_state=True) returns
    `output, [states of cell 0], [states of cell 1], ...`, stored as output, then every state."""
    ins = [_as_input(x) for x in _as_list(inputs)]
    call_arg = ins if len(ins) > 1 else ins[0]
    outs = model(call_arg, training=False)
    return {
        "name": name,
        "inputs": [tensor_json(x) for x in ins],
        "outputs": [tensor_json(to_numpy(o)) for o in keras.tree.flatten(outs)],
        "atol": atol,
    }


def initial_state_case(layer: Any, name: str, x: Any, states: Sequence[Any],
                       atol: float = 1e-5) -> dict:
    """One case of a recurrent layer called with initial states: what
    `layer(x, initial_state=...)` returns. The case's inputs are x, then the states flat, in
    Keras's order (an LSTM's h, c; an RNN over StackedRNNCells the states of each cell in cell
    order; a Bidirectional the forward layer's, then the backward layer's). Keras wants the
    states of StackedRNNCells nested per cell ([[h], [h, c]]: flat, the LSTM cell gets one
    state and fails), so they are regrouped here as `layer.cell.state_size` says."""
    x = _as_input(x)
    flat = [_as_input(s) for s in states]
    nested: list = flat
    cell = getattr(layer, "cell", None)
    if cell is not None and isinstance(cell.state_size, (list, tuple)):
        sizes = [len(s) if isinstance(s, (list, tuple)) else 1 for s in cell.state_size]
        if any(isinstance(s, (list, tuple)) for s in cell.state_size) and len(sizes) > 1:
            assert sum(sizes) == len(flat), f"{name}: {len(flat)} states for sizes {sizes}"
            starts = np.cumsum([0] + sizes)
            nested = [flat[a:b] for a, b in zip(starts[:-1], starts[1:])]
    outs = layer(x, initial_state=nested, training=False)
    return {
        "name": name,
        "inputs": [tensor_json(t) for t in [x, *flat]],
        "outputs": [tensor_json(to_numpy(o)) for o in keras.tree.flatten(outs)],
        "atol": atol,
    }


# ---------------------------------------------------------------------------------------------
# Stateful models: the `calls` section

RESET = "reset_states"


def reset_stateful_layers(model: Any) -> None:
    """Keras's `layer.reset_state()` on every stateful layer of the model: all its states zero.
    Keras 3.15's `RNN.reset_state()` fails on an RNN over StackedRNNCells (its states are nested
    per cell: AttributeError: 'ListWrapper' object has no attribute 'assign'), so such a layer's
    state variables are zeroed one by one, which is what reset_state does for any other RNN."""
    for layer in model.layers:
        if not getattr(layer, "stateful", False):
            continue
        if isinstance(getattr(layer, "cell", None), keras.layers.StackedRNNCells):
            for v in keras.tree.flatten(layer.states):
                v.assign(np.zeros(v.shape, np.float32))
        else:
            layer.reset_state()


def calls_section(model: Any, calls: Sequence[Any], atol: float = 1e-5) -> dict:
    """The `calls` section (FORMAT.md) and its tolerance: the model run from zero states on each
    input in turn with `model(x, training=False)`, the stateful layers' states carrying over;
    an entry `RESET` ("reset_states") resets every stateful layer before the next call."""
    reset_stateful_layers(model)
    out = []
    for x in calls:
        if isinstance(x, str):
            if x != RESET:
                raise ValueError(f"calls_section: expected an array or {RESET!r}, received {x!r}")
            reset_stateful_layers(model)
            out.append({RESET: True})
            continue
        x = _as_input(x)
        y = model(x, training=False)
        if isinstance(y, (list, tuple)):
            raise ValueError("calls_section: expected a model with one output")
        out.append({"input": tensor_json(x), "output": tensor_json(to_numpy(y))})
    reset_stateful_layers(model)
    return {"calls": out, "atol": atol}


def _header(name: str | None, description: str, script: str | None, seed: int | None) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "description": description,
        "generator": generator_info(script, seed),
    }


def model_fixture(model: Any, description: str, cases: Sequence[dict], name: str | None = None,
                  script: str | None = None, seed: int | None = None) -> dict:
    """A model fixture. The weights are copied now, so later training does not change them."""
    fixture = _header(name, description, script, seed)
    fixture["model"] = json.loads(model.to_json())
    fixture["weights"] = weights_json(model.weights)
    fixture["cases"] = list(cases)
    return fixture


def calls_fixture(model: Any, description: str, calls: Sequence[Any], atol: float = 1e-5,
                  name: str | None = None, script: str | None = None,
                  seed: int | None = None) -> dict:
    """A fixture of a stateful model: Keras's model JSON, the weights and a `calls` section
    (see `calls_section`), no forward cases (a case would run first, on the same instance)."""
    fixture = _header(name, description, script, seed)
    fixture["model"] = json.loads(model.to_json())
    fixture["weights"] = weights_json(model.weights)
    fixture.update(calls_section(model, calls, atol))
    return fixture


def layer_fixture(layer: Any, description: str, input_shape: Sequence[int | None],
                  cases: Sequence[dict], name: str | None = None, script: str | None = None,
                  seed: int | None = None) -> dict:
    """A one-layer fixture: `layer` + `input_shape` in place of `model`."""
    fixture = _header(name, description, script, seed)
    fixture["layer"] = {"class_name": layer.__class__.__name__,
                        "config": json_safe(layer.get_config())}
    fixture["input_shape"] = list(input_shape)
    fixture["weights"] = weights_json(layer.weights)
    fixture["cases"] = list(cases)
    return fixture


# ---------------------------------------------------------------------------------------------
# Gradients and training


def make_loss(name: str, from_logits: bool = False) -> Any:
    """The keras.losses object for a registered loss name, default reduction."""
    if name not in LOSSES:
        raise ValueError(f"make_loss: expected one of {sorted(LOSSES)}, received {name!r}")
    if from_logits and name not in PROBABILISTIC_LOSSES:
        raise ValueError(f"make_loss: {name} has no from_logits option")
    return LOSSES[name](from_logits=True) if from_logits else LOSSES[name]()


def gradients_section(model: Any, loss: str, x: Any, y: Any, from_logits: bool = False,
                      rtol: float = 1e-4, atol: float = 1e-6) -> dict:
    """Loss and d(loss)/d(weight) for every trainable weight, training mode off."""
    x, y = _as_input(x), _as_input(y)
    loss_fn = make_loss(loss, from_logits)
    with tf.GradientTape() as tape:
        y_pred = model(x, training=False)
        value = loss_fn(y, y_pred)
    # An Embedding's gradient comes as IndexedSlices (one row per looked-up id); densify it,
    # which sums the rows of repeated ids and leaves unused rows zero.
    grads = [tf.convert_to_tensor(g) for g in tape.gradient(value, model.trainable_weights)]
    return {
        "loss": loss,
        "from_logits": from_logits,
        "x": tensor_json(x),
        "y": tensor_json(y),
        "loss_value": float(np.float32(value)),
        "grads": [
            {"name": v.path, "shape": [int(d) for d in v.shape],
             "data": tensor_json(to_numpy(g), "float32")["data"]}
            for v, g in zip(model.trainable_weights, grads)
        ],
        "rtol": rtol,
        "atol": atol,
    }


def _is_lstm_cell(cell: Any) -> bool:
    return isinstance(cell, keras.layers.LSTMCell)


def _unroll_rnn(layer: Any, x: Any, mask: Any, tape: Any, prefix: str) -> tuple[Any, Any, list]:
    """One RNN layer (SimpleRNN, LSTM, GRU, or RNN over one cell or StackedRNNCells) run step by
    step with its own cells, in inference mode, as keras/src/layers/rnn/rnn.py and the
    TensorFlow backend's rnn() run it: zero initial states (`cell.get_initial_state`),
    go_backwards reverses the time axis (and the mask), and under a mask each state of each
    cell becomes tf.where(mask_t, new, old) (the carried state).

    Every carried state is watched on `tape`. The graph is built so that each carried state is
    a node that everything downstream reads: a cell above reads the carried h of the cell below,
    and the layer's output at step t is the top cell's carried h (tf.where(mask_t, h, 0) with
    zero_output_for_mask). The values are Keras's: at an unmasked step carried h = the cell's
    output; at a masked one Keras repeats the previous output, which from zero initial states is
    the carried h (zeros before the first unmasked step), and the cell above computes a new
    state that the mask then discards. So d(loss)/d(carried h) is the total derivative:
    through the output, the cells above, and every later step.

    An LSTM cell's c is recorded twice: as the cell computed it and as carried. The cell
    computes h from its new c, which the mask's tf.where then copies into the carried c: for a
    sample unmasked at step t, d(loss)/d(c_t) is the gradient of the computed c (through h_t
    and the carried c); for a masked one, whose h_t is the carried h and not made from c_t, it
    is the gradient of the carried c. Without a mask the two are one tensor.

    Returns the layer's output (the sequence in processing order with return_sequences, as
    Keras returns it, else the last output), the mask it passes on, and one record per cell:
    (entry name, [h per step], [(computed c, carried c, mask_t or None) per step] or None),
    the lists in INPUT order (reversed from processing order with go_backwards: entry t is the
    state after reading input step t)."""
    if layer.stateful or layer.return_state:
        raise ValueError(f"gradient_flow: {layer.name}: stateful and return_state layers are "
                         "not supported")
    cell = layer.cell
    stacked = isinstance(cell, keras.layers.StackedRNNCells)
    cells = list(cell.cells) if stacked else [cell]
    for c in cells:
        if not isinstance(c, (keras.layers.SimpleRNNCell, keras.layers.LSTMCell,
                              keras.layers.GRUCell)):
            raise ValueError(f"gradient_flow: {layer.name}: no support for {type(c).__name__}")
    names = [f"{prefix}{layer.name}/{c.name}" if stacked else f"{prefix}{layer.name}"
             for c in cells]
    batch = tf.shape(x)[0]
    states = [list(c.get_initial_state(batch_size=batch)) for c in cells]
    steps = list(range(int(x.shape[1])))
    if layer.go_backwards:
        steps.reverse()
    records = [([], [] if _is_lstm_cell(c) else None) for c in cells]
    outputs = []
    for t in steps:
        inp = x[:, t]
        keep = None if mask is None else tf.expand_dims(tf.cast(mask[:, t], tf.bool), -1)
        for k, c in enumerate(cells):
            out, new = c(inp, states[k], training=False)
            new = list(new) if isinstance(new, (list, tuple)) else [new]
            if out is not new[0]:
                raise AssertionError(f"gradient_flow: {names[k]}: the cell's output is not "
                                     "its first state")
            computed = new
            if keep is not None:
                new = [tf.where(keep, n, o) for n, o in zip(new, states[k])]
            for s in computed + new:
                tape.watch(s)
            states[k] = new
            records[k][0].append(new[0])
            if records[k][1] is not None:
                records[k][1].append((computed[1], new[1], keep))
            inp = new[0]
        if keep is not None and layer.zero_output_for_mask:
            inp = tf.where(keep, inp, tf.zeros_like(inp))
        outputs.append(inp)
    output = tf.stack(outputs, axis=1) if layer.return_sequences else outputs[-1]
    out_mask = mask if layer.return_sequences else None
    if layer.go_backwards:  # processing order -> input order
        for hs, cs in records:
            hs.reverse()
            if cs is not None:
                cs.reverse()
    return output, out_mask, [(n, h, c) for n, (h, c) in zip(names, records)]


def _unroll_layer(layer: Any, x: Any, mask: Any, tape: Any) -> tuple[Any, Any, list]:
    """One layer of the chain: recurrent layers unrolled (`_unroll_rnn`), a Bidirectional as
    keras/src/layers/rnn/bidirectional.py runs its two layers (the same input and mask, the
    backward sequence flipped back to input order, then the merge), any other layer called
    as Keras calls it (the mask attached to its input, training off). Returns the output, the
    mask passed on and the recurrent records."""
    if isinstance(layer, keras.layers.Bidirectional):
        if layer.return_state or layer.merge_mode is None:
            raise ValueError(f"gradient_flow: {layer.name}: return_state and merge_mode=None "
                             "are not supported")
        prefix = f"{layer.name}/"
        y, _, fwd = _unroll_rnn(layer.forward_layer, x, mask, tape, prefix)
        y_rev, _, bwd = _unroll_rnn(layer.backward_layer, x, mask, tape, prefix)
        if layer.return_sequences:
            y_rev = tf.reverse(y_rev, axis=[1])
        merged = {"concat": lambda: tf.concat([y, y_rev], axis=-1), "sum": lambda: y + y_rev,
                  "ave": lambda: (y + y_rev) / 2, "mul": lambda: y * y_rev}[layer.merge_mode]()
        return merged, mask if layer.return_sequences else None, fwd + bwd
    if isinstance(layer, keras.layers.RNN):
        return _unroll_rnn(layer, x, mask, tape, "")
    if mask is not None:
        set_keras_mask(x, mask)
    out = layer(x, training=False) if layer._call_has_training_arg else layer(x)
    return out, get_keras_mask(out), []


def _norm(g: Any) -> float:
    """Frobenius norm over batch and units, summed in float64."""
    return float(np.sqrt(np.sum(np.square(to_numpy(g).astype(np.float64)))))


def gradient_flow_section(model: Any, loss: str, x: Any, y: Any, rtol: float = 1e-3) -> dict:
    """The `gradient_flow` section (FORMAT.md): for every recurrent layer in model order (one
    entry per cell of StackedRNNCells, named "<layer>/<cell>"; per direction of a
    Bidirectional, "<bidirectional>/<inner layer>", forward first) the Frobenius norm over batch
    and units of d(loss)/d(h_t) at each step t, in INPUT order (with go_backwards too: entry t
    is the state after reading input step t), and for an LSTM cell of d(loss)/d(c_t) too.

    The model is unrolled with its own layers and cells under one tf.GradientTape, training
    off (`_unroll_rnn`), the loss `make_loss(loss)` with Keras's default reduction (masked as
    Keras masks it when the output carries a mask). Before anything is stored, the unrolled
    output must equal model(x, training=False) to 1e-5, the loss Keras's, and the gradient of
    every trainable weight Keras's own: the unrolled graph computes what Keras computes."""
    x, y = _as_input(x), _as_input(y)
    loss_fn = make_loss(loss)
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    with tf.GradientTape() as tape:
        h, mask, records = tf.convert_to_tensor(x), None, []
        for layer in layers:
            h, mask, recs = _unroll_layer(layer, h, mask, tape)
            records.extend(recs)
        if mask is not None:
            set_keras_mask(h, mask)
        value = loss_fn(y, h)
    states = [s for _, hs, cs in records for s in hs + [t for c in cs or [] for t in c[:2]]]
    grads = tape.gradient(value, states + list(model.trainable_weights),
                          unconnected_gradients=tf.UnconnectedGradients.ZERO)
    state_grads, weight_grads = grads[:len(states)], grads[len(states):]

    # The unrolled model is Keras's model: output, loss and weight gradients.
    with tf.GradientTape() as keras_tape:
        want = model(x, training=False)
        keras_value = loss_fn(y, want)
    keras_grads = keras_tape.gradient(keras_value, model.trainable_weights)
    off = float(np.abs(to_numpy(h) - to_numpy(want)).max())
    if off > 1e-5:
        raise AssertionError(f"gradient_flow: the unrolled output is {off:.2e} from Keras's")
    if abs(float(value) - float(keras_value)) > 1e-6 * max(1.0, abs(float(keras_value))):
        raise AssertionError(f"gradient_flow: unrolled loss {float(value)} vs Keras's "
                             f"{float(keras_value)}")
    for v, g, kg in zip(model.trainable_weights, weight_grads, keras_grads):
        g, kg = to_numpy(tf.convert_to_tensor(g)), to_numpy(tf.convert_to_tensor(kg))
        if not np.allclose(g, kg, rtol=1e-4, atol=1e-7):
            raise AssertionError(f"gradient_flow: the unrolled gradient of {v.path} is "
                                 f"{np.abs(g - kg).max():.2e} from Keras's")

    by_state = {id(s): g for s, g in zip(states, state_grads)}

    def c_grad(computed, carried, keep):
        if keep is None:
            return by_state[id(carried)]
        return tf.where(keep, by_state[id(computed)], by_state[id(carried)])

    entries = []
    for name, hs, cs in records:
        entry = {"layer": name, "step_norms": [_norm(by_state[id(s)]) for s in hs]}
        if cs is not None:
            entry["cell_norms"] = [_norm(c_grad(*c)) for c in cs]
        entries.append(entry)
    return {
        "loss": loss,
        "x": tensor_json(x),
        "y": tensor_json(y),
        "loss_value": float(np.float32(value)),
        "layers": entries,
        "rtol": rtol,
    }


def training_section(model: Any, optimizer: Any, loss: str, x: Any, y: Any, *, batch_size: int,
                     epochs: int, from_logits: bool = False, metrics: Sequence[str] = (),
                     rtol: float = 1e-3, atol: float = 1e-6) -> dict:
    """Compile and fit `model` in place from its current weights; record what Keras reports.

    The compile block is {"optimizer": {"class_name", "config"}, "loss": <registered loss name>,
    "from_logits": <bool>, "metrics": [...]}: `loss` is always the name string and
    `from_logits` says whether the model's outputs are logits (the loss object Keras used is
    `keras.losses.<Class>(from_logits=...)` with its default reduction)."""
    x, y = _as_input(x), _as_input(y)
    config = json_safe(optimizer.get_config())
    # jit_compile=False is what "auto" picks on a CPU-only machine; said explicitly so that a
    # GPU machine regenerates the same numbers.
    model.compile(optimizer=optimizer, loss=make_loss(loss, from_logits), metrics=list(metrics),
                  jit_compile=False)
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    return {
        "compile": {
            "optimizer": {"class_name": optimizer.__class__.__name__, "config": config},
            "loss": loss,
            "from_logits": from_logits,
            "metrics": list(metrics),
        },
        "fit": {"batch_size": batch_size, "epochs": epochs, "shuffle": False},
        "x": tensor_json(x),
        "y": tensor_json(y),
        "history": {k: [float(v) for v in vals] for k, vals in history.history.items()},
        "final_weights": weights_json(model.weights, with_dtype=False),
        "rtol": rtol,
        "atol": atol,
    }


# ---------------------------------------------------------------------------------------------
# Checking and writing


def _check_tensor(t: Mapping, where: str) -> None:
    size = int(np.prod(t["shape"], dtype=np.int64))
    if len(t["data"]) != size:
        raise AssertionError(f"{where}: shape {t['shape']} needs {size} values, has {len(t['data'])}")
    kind = int if t.get("dtype") == "int32" else float
    if not all(type(v) is kind for v in t["data"]):
        raise AssertionError(f"{where}: expected every value to be a Python {kind.__name__}")


def validate_fixture(fx: Mapping) -> None:
    """Structural checks of a fixture (as written or as read back from disk)."""
    assert fx["format"] == FORMAT and fx["version"] == VERSION, "bad format/version"
    assert isinstance(fx["name"], str) and fx["name"], "fixture has no name"
    assert ("model" in fx) != ("layer" in fx), f"{fx['name']}: needs exactly one of model/layer"
    names = [w["name"] for w in fx["weights"]]
    assert len(set(names)) == len(names), f"{fx['name']}: duplicate weight names {names}"
    for w in fx["weights"]:
        _check_tensor(w, f"{fx['name']} weight {w['name']}")
    if "calls" in fx:  # a stateful model's ordered calls; then the cases are optional
        assert fx["calls"], f"{fx['name']}: calls is empty"
        assert isinstance(fx["atol"], float) and fx["atol"] > 0, f"{fx['name']}: calls atol"
        for i, call in enumerate(fx["calls"]):
            if RESET in call:
                assert call == {RESET: True}, f"{fx['name']}: calls[{i}] {call}"
                continue
            assert set(call) == {"input", "output"}, f"{fx['name']}: calls[{i}] keys {set(call)}"
            _check_tensor(call["input"], f"{fx['name']} calls[{i}].input")
            _check_tensor(call["output"], f"{fx['name']} calls[{i}].output")
        assert any(RESET not in call for call in fx["calls"]), f"{fx['name']}: no call to run"
    lo = 0 if "calls" in fx else 1
    assert lo <= len(fx.get("cases", [])) <= 3, f"{fx['name']}: expected {lo}-3 cases"
    for c in fx.get("cases", []):
        for i, t in enumerate(c["inputs"] + c["outputs"]):
            _check_tensor(t, f"{fx['name']} case {c['name']} tensor {i}")
    shapes = {w["name"]: w["shape"] for w in fx["weights"]}
    if "gradients" in fx:
        g = fx["gradients"]
        _check_tensor(g["x"], f"{fx['name']} gradients.x")
        _check_tensor(g["y"], f"{fx['name']} gradients.y")
        for gr in g["grads"]:
            assert shapes[gr["name"]] == gr["shape"], f"{fx['name']}: grad {gr['name']} shape"
            _check_tensor({**gr, "dtype": "float32"}, f"{fx['name']} grad {gr['name']}")
    if "gradient_flow" in fx:
        gf, where = fx["gradient_flow"], f"{fx['name']} gradient_flow"
        assert set(gf) == {"loss", "x", "y", "loss_value", "layers", "rtol"}, f"{where}: keys"
        assert gf["loss"] in LOSSES, f"{where}: loss {gf['loss']}"
        _check_tensor(gf["x"], f"{where}.x")
        _check_tensor(gf["y"], f"{where}.y")
        assert isinstance(gf["loss_value"], float), f"{where}: loss_value"
        assert isinstance(gf["rtol"], float) and gf["rtol"] > 0, f"{where}: rtol"
        assert gf["layers"], f"{where}: no layers"
        steps = gf["x"]["shape"][1]
        layer_names = [e["layer"] for e in gf["layers"]]
        assert len(set(layer_names)) == len(layer_names), f"{where}: duplicate {layer_names}"
        for e in gf["layers"]:
            assert set(e) in ({"layer", "step_norms"}, {"layer", "step_norms", "cell_norms"}), (
                f"{where} {e.get('layer')}: keys {sorted(e)}")
            for key in ("step_norms", "cell_norms"):
                norms = e.get(key, [0.0] * steps)
                assert len(norms) == steps, f"{where} {e['layer']}: {len(norms)} {key}"
                assert all(type(v) is float and v >= 0 and np.isfinite(v) for v in norms), (
                    f"{where} {e['layer']}: {key} must be finite floats >= 0")
    if "training" in fx:
        tr = fx["training"]
        _check_tensor(tr["x"], f"{fx['name']} training.x")
        _check_tensor(tr["y"], f"{fx['name']} training.y")
        assert [w["name"] for w in tr["final_weights"]] == names, f"{fx['name']}: final_weights"
        for w in tr["final_weights"]:
            assert shapes[w["name"]] == w["shape"], f"{fx['name']}: final weight {w['name']} shape"
            _check_tensor({**w, "dtype": "float32"}, f"{fx['name']} final weight {w['name']}")
        for key, vals in tr["history"].items():
            assert len(vals) == tr["fit"]["epochs"], f"{fx['name']}: history {key} length"


def dumps(obj: Any, level: int = 0) -> str:
    """JSON with one key per line, but every list of plain values (tensor data, shapes) on one
    line: readable structure, compact numbers. Floats use repr, so float32 values round-trip."""
    pad = "  " * level
    if isinstance(obj, dict) and obj:
        items = [f"{pad}  {json.dumps(k)}: {dumps(v, level + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and any(isinstance(v, (dict, list)) for v in obj):
        items = [f"{pad}  {dumps(v, level + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj, allow_nan=False)


def write_fixture(fixture: Mapping, path: str | os.PathLike) -> Path:
    """Validate, then write atomically: a temporary file in the same folder, renamed over the
    target, so a failure never leaves a half-written fixture behind."""
    validate_fixture(fixture)
    target = Path(path)
    if target.suffix != ".json":
        target = target / f"{fixture['name']}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = dumps(fixture) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    validate_fixture(json.loads(target.read_text(encoding="utf-8")))
    return target


def write_model_fixture(model: Any, name: str, description: str,
                        inputs: Mapping[str, Any] | Sequence[Any], path: str | os.PathLike = FIXTURE_DIR,
                        *, atol: float = 1e-5, script: str | None = None,
                        seed: int | None = None) -> Path:
    """Write a fixture for your own built Keras model, with its current weights.

    - `inputs`: {case_name: array} (or {case_name: [array, ...]} for several model inputs), or a
      list of arrays named case_0, case_1, ...; 1 to 3 cases. Integer arrays are stored as int32.
    - `path`: a folder (the file is `<path>/<name>.json`) or a `.json` file path.
    - `atol`: the absolute tolerance the fixture asks of readers (1e-5 suits tanh/sigmoid models).
    - `script`: recorded as `generator.script`; defaults to the running script.
    - `seed`: recorded as `generator.seed`: the seed you gave `keras.utils.set_random_seed`, if any.
    Returns the path written.
    """
    if keras.backend.backend() != "tensorflow":
        raise ValueError(f"write_model_fixture: expected the tensorflow backend, "
                         f"received {keras.backend.backend()}; import fixturelib before keras")
    named = inputs.items() if isinstance(inputs, Mapping) else (
        (f"case_{i}", x) for i, x in enumerate(inputs))
    cases = [forward_case(model, case_name, x, atol) for case_name, x in named]
    fixture = model_fixture(model, description, cases, name=name, script=script, seed=seed)
    return write_fixture(fixture, path)
