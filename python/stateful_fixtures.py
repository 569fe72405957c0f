"""Stateful fixtures (`stateful_*`): Keras models with `stateful=True` recurrent layers, stored
with a `calls` section (FORMAT.md): ordered calls on one model instance, the states carrying
from one call to the next, `reset_states` between some. One short function per fixture.

What Keras 3.15 (TensorFlow backend) does, read in keras/src/layers/rnn/rnn.py and
bidirectional.py, tried in Keras, and replayed by `check_fixtures.py`:

- A stateful RNN keeps its states in non-trainable variables (not in `model.weights`) of the
  batch size fixed by the model's input, `keras.Input(batch_shape=(B, T, F))`; the model JSON
  keeps it as the InputLayer's `batch_shape`. Each call starts from the states the last one
  left and stores its final states; `layer.reset_state()` sets them to zeros.
- `model.predict(x, batch_size=B)` carries the states exactly as `model(x)` does, from call to
  call and from batch to batch within one predict (`_assert_predict_agrees` proves it for
  every fixture). The fixtures are written with `model(x, training=False)`.
- Under a mask the carried states are the states Keras keeps: a masked step keeps every state,
  so a fully masked sample leaves the call with the states it came in with, while its output
  is zeros (the output before the first unmasked step of a call is zeros, not the carried h).
- Bidirectional(stateful) carries both directions' states (its `reset_state()` resets both).
- `RNN([cells], stateful=True).reset_state()` fails in Keras 3.15 (AttributeError:
  'ListWrapper' object has no attribute 'assign'); `fixturelib.reset_stateful_layers` zeroes
  its state variables instead.
"""

from __future__ import annotations

import json

import fixturelib as fl
from fixturelib import RESET, calls_fixture
from forward_fixtures import fixture, normal, sequential
from mask_fixtures import token_ids
import numpy as np
import keras
from keras import layers

FEATURES, VOCAB, EMBED = 3, 8, 3


def _segments(calls: list) -> list[list]:
    """The calls split at the resets: each segment starts from zero states."""
    out = [[]]
    for x in calls:
        if isinstance(x, str):
            out.append([])
        else:
            out[-1].append(x)
    return [seg for seg in out if seg]


def _assert_predict_agrees(model, fx: dict, calls: list) -> None:
    """`model.predict` carries the states as `model(x)` does: replayed with predict (batch_size
    = the fixed batch), call by call, and each segment between resets again as ONE predict over
    the calls concatenated (its batches in order), the outputs are the stored ones."""
    want = [fl_array(c["output"]) for c in fx["calls"] if "output" in c]
    batch = model.inputs[0].shape[0]
    got = []
    fl.reset_stateful_layers(model)
    for x in calls:
        if isinstance(x, str):
            fl.reset_stateful_layers(model)
        else:
            got.append(model.predict(x, batch_size=batch, verbose=0))
    for g, w in zip(got, want, strict=True):
        assert np.abs(g - w).max() <= 1e-6, f"{fx['name']}: predict differs from model(x)"
    done = 0
    for seg in _segments(calls):
        fl.reset_stateful_layers(model)
        joined = model.predict(np.concatenate(seg), batch_size=batch, verbose=0)
        expected = np.concatenate(want[done:done + len(seg)])
        assert np.abs(joined - expected).max() <= 1e-6, (
            f"{fx['name']}: one predict over several batches differs from the calls")
        done += len(seg)
    fl.reset_stateful_layers(model)


def _assert_states_carry(model, fx: dict, calls: list) -> None:
    """Every call after the first of a segment gives outputs other than the same input from
    zero states would (by more than 100 x atol), so the fixture shows the states carrying."""
    first = True
    for x, call in zip(calls, fx["calls"], strict=True):
        if isinstance(x, str):
            first = True
            continue
        fl.reset_stateful_layers(model)
        fresh = fl.to_numpy(model(x, training=False))
        off = np.abs(fresh - fl_array(call["output"])).max() / fx["atol"]
        ok, first = (off == 0) if first else (off > 100), False
        assert ok, (
            f"{fx['name']}: a call from zero states is {off:.1f} atol from the stored output")
    fl.reset_stateful_layers(model)


def fl_array(t: dict) -> np.ndarray:
    return np.asarray(t["data"], np.int32 if t["dtype"] == "int32" else np.float32).reshape(
        t["shape"])


def _stateful(model, description: str, calls: list) -> dict:
    """The fixture: model JSON (with its batch_shape), weights, calls; checked in Keras."""
    assert model.layers and model.inputs[0].shape[0] is not None, "no fixed batch size"
    config = json.loads(model.to_json())["config"]["layers"][0]["config"]
    assert config["batch_shape"][0] == model.inputs[0].shape[0], config
    fx = calls_fixture(model, description, calls)
    _assert_predict_agrees(model, fx, calls)
    _assert_states_carry(model, fx, calls)
    return fx


def _float_model(rng, batch: int, steps: int, *stack):
    return sequential(rng, keras.Input(batch_shape=(batch, steps, FEATURES)), *stack)


# --- SimpleRNN, LSTM, GRU --------------------------------------------------------------------


@fixture
def stateful_simple_rnn_dense(rng):
    model = _float_model(rng, 2, 4, layers.SimpleRNN(4, stateful=True), layers.Dense(2))
    a, b = normal(rng, 2, 4, FEATURES), normal(rng, 2, 4, FEATURES)
    calls = [a, a, b, RESET, a, b]
    fx = _stateful(model, "Input(batch_shape=(2, 4, 3)) -> SimpleRNN(4, stateful=True) -> "
                   "Dense(2); calls: x_a, x_a again (another output: the state carried), x_b, "
                   "reset_states, x_a (the first output again), x_b (not the third output: "
                   "another history)", calls)
    out = [fl_array(c["output"]) for c in fx["calls"] if "output" in c]
    assert np.abs(out[0] - out[1]).max() > 100 * fx["atol"], "x_a twice: the same output"
    assert np.array_equal(out[0], out[3]), "reset_states: x_a differs from the first call"
    assert np.abs(out[2] - out[4]).max() > 100 * fx["atol"], "x_b: the same output twice"
    return fx


@fixture
def stateful_lstm_stacked_dense(rng):
    model = _float_model(rng, 3, 5, layers.LSTM(4, return_sequences=True, stateful=True),
                         layers.LSTM(3, stateful=True), layers.Dense(1))
    xs = [normal(rng, 3, 5, FEATURES) for _ in range(4)]
    return _stateful(model, "Input(batch_shape=(3, 5, 3)) -> LSTM(4, return_sequences=True, "
                     "stateful=True) -> LSTM(3, stateful=True) -> Dense(1): both layers carry "
                     "h and c; calls x0, x1, x2, reset_states, x3, x0",
                     [xs[0], xs[1], xs[2], RESET, xs[3], xs[0]])


@fixture
def stateful_gru_seq_dense(rng):
    model = _float_model(rng, 3, 4, layers.GRU(4, return_sequences=True, stateful=True),
                         layers.Dense(2))
    xs = [normal(rng, 3, 4, FEATURES) for _ in range(3)]
    return _stateful(model, "Input(batch_shape=(3, 4, 3)) -> GRU(4, return_sequences=True, "
                     "stateful=True) (reset_after=True, bias [2, 12]) -> Dense(2) per step; "
                     "calls x0, x1, x2, reset_states, x2, x0", [xs[0], xs[1], xs[2], RESET,
                                                                 xs[2], xs[0]])


@fixture
def stateful_gru_reset_after_false_dense(rng):
    model = _float_model(rng, 2, 5, layers.GRU(3, reset_after=False, stateful=True),
                         layers.Dense(2))
    xs = [normal(rng, 2, 5, FEATURES) for _ in range(3)]
    return _stateful(model, "Input(batch_shape=(2, 5, 3)) -> GRU(3, reset_after=False, "
                     "stateful=True) (bias [9]) -> Dense(2); calls x0, x1, reset_states, x1, x2, "
                     "x0", [xs[0], xs[1], RESET, xs[1], xs[2], xs[0]])


@fixture
def stateful_bidirectional_lstm_dense(rng):
    model = _float_model(rng, 2, 4, layers.Bidirectional(layers.LSTM(3, stateful=True)),
                         layers.Dense(2))
    xs = [normal(rng, 2, 4, FEATURES) for _ in range(3)]
    return _stateful(model, "Input(batch_shape=(2, 4, 3)) -> Bidirectional(LSTM(3, "
                     "stateful=True)) -> Dense(2): forward_lstm and backward_lstm each carry "
                     "their own h and c (the backward one its states after it read input step "
                     "0, and it starts the next call at the last step); Bidirectional's "
                     "reset_state resets both; calls x0, x1, x2, reset_states, x1, x0",
                     [xs[0], xs[1], xs[2], RESET, xs[1], xs[0]])


@fixture
def stateful_stacked_cells_rnn_dense(rng):
    model = _float_model(rng, 2, 4, layers.RNN([layers.GRUCell(3), layers.LSTMCell(4)],
                                               stateful=True), layers.Dense(2))
    xs = [normal(rng, 2, 4, FEATURES) for _ in range(3)]
    return _stateful(model, "Input(batch_shape=(2, 4, 3)) -> RNN([GRUCell(3), LSTMCell(4)], "
                     "stateful=True) -> Dense(2): the GRU cell's h and the LSTM cell's h and c "
                     "all carried (Keras 3.15's reset_state fails on this layer, so the "
                     "generator zeroes its state variables); calls x0, x1, x2, reset_states, "
                     "x0, x1", [xs[0], xs[1], xs[2], RESET, xs[0], xs[1]])


# --- masks -----------------------------------------------------------------------------------
# Batch 3, 5 steps, 0 = padding. In calls[1] sample 0 is fully masked (it keeps its state, its
# output is zeros) and sample 2 is left padded (zeros before its first real token, though its
# state is not zero); calls[2] shows what sample 0 kept (2 tokens on it).

MASK_STEPS = 5


def _mask_calls(rng) -> list:
    def ids(*rows):
        return np.concatenate([token_ids(rng, [n], side, steps=MASK_STEPS) for n, side in rows])

    first = ids((3, "right"), (4, "left"), (5, "right"))
    second = ids((0, "right"), (5, "right"), (2, "left"))
    second[1, [1, 3]] = 0  # holes
    third = ids((2, "left"), (2, "right"), (3, "left"))  # sample 0: 2 tokens on what it kept
    after_reset = ids((3, "left"), (0, "right"), (4, "right"))
    return [first, second, third, RESET, after_reset, first]


def _mask_model(rng, return_sequences: bool):
    return sequential(rng, keras.Input(batch_shape=(3, MASK_STEPS), dtype="int32"),
                      layers.Embedding(VOCAB, EMBED, mask_zero=True),
                      layers.GRU(4, stateful=True, return_sequences=return_sequences),
                      layers.Dense(2))


@fixture
def stateful_mask_embedding_gru_dense(rng):
    model = _mask_model(rng, False)
    return _stateful(model, "Input(batch_shape=(3, 5), int32) -> Embedding(8, 3, "
                     "mask_zero=True) -> GRU(4, stateful=True) -> Dense(2), 0 = padding. A "
                     "masked step keeps the state, so the state carried is the state after a "
                     "sample's last real token; in calls[1] sample 0 is fully masked: its "
                     "output is zeros (Dense gives its bias) though its state is not, and it "
                     "leaves the call with the state it came in with (calls[2] shows it); right "
                     "and left padding and holes; calls c0, c1, c2, reset_states, c3, c0",
                     _mask_calls(rng))


@fixture
def stateful_mask_embedding_gru_per_step(rng):
    model = _mask_model(rng, True)
    return _stateful(model, "Input(batch_shape=(3, 5), int32) -> Embedding(8, 3, "
                     "mask_zero=True) -> GRU(4, stateful=True, return_sequences=True) -> "
                     "Dense(2) per step, 0 = padding: the output before a sample's first real "
                     "token of a call is zeros (Dense bias), not the carried h (calls[1]'s left "
                     "padded sample 2); a masked step repeats the previous output; a fully "
                     "masked sample keeps its state for the next call; calls c0, c1, c2, "
                     "reset_states, c3, c0", _mask_calls(rng))
