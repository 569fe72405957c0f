"""Gradient-flow fixtures (`gradient_flow_*`): models with a `gradient_flow` section (FORMAT.md),
the norm of d(loss)/d(h_t) (and d(loss)/d(c_t) for LSTM cells) at every step of every recurrent
layer: what the course shows as vanishing and exploding gradients, in Keras's numbers. Each is
a normal model fixture too (one forward case on the section's x). One short function per
fixture.

`fixturelib.gradient_flow_section` unrolls the model with its own layers and cells under one
tf.GradientTape, training off (see `_unroll_rnn` there), and refuses to store anything unless
the unrolled output equals model(x, training=False) to 1e-5 and the unrolled graph's loss and
weight gradients are Keras's own. Entries, in model order:

- SimpleRNN, LSTM, GRU, or an RNN over one cell: one entry named as the layer (`simple_rnn`).
- An RNN over StackedRNNCells: one entry per cell, "<layer name>/<cell name>" with the names
  Keras gives them and the model JSON stores (`rnn/simple_rnn_cell`, `rnn/lstm_cell`).
- A Bidirectional: one entry per direction, "<bidirectional name>/<inner layer name>", forward
  first (`bidirectional/forward_lstm`, `bidirectional/backward_lstm`).

Norms are in input order: with go_backwards (a backward direction too) entry t is the state
after the layer read input step t, which it processes late, so the largest norms sit at the
START of the list. Under a mask the state of step t is the carried state (a masked sample keeps
its previous one) and the layer's output at t is that carried h (Keras repeats the previous
output, which from zero initial states is the same value); an LSTM cell's c_t is, for a sample
unmasked at t, the c that h_t is made from, and for a masked one the carried c.

`_assert_lively` keeps every section useful: no zero and no non-finite norm, each entry's norms
spread over a visible range, and the trend each fixture is about (falling toward early steps,
growing toward them, the go_backwards order) asserted when generated.
"""

from __future__ import annotations

import fixturelib as fl
from fixturelib import forward_case, gradient_flow_section, model_fixture
from forward_fixtures import fixture, normal, sequential
import numpy as np
import keras
from keras import layers

MSE, SPARSE_CE = "mean_squared_error", "sparse_categorical_crossentropy"


def _flow(model, description: str, x, y, loss: str, min_spread: float = 1.5,
          case: str = "random_normal") -> dict:
    """A model fixture: one forward case on x, and the gradient_flow section of loss on x, y."""
    fx = model_fixture(model, description, [forward_case(model, case, x)])
    fx["gradient_flow"] = gradient_flow_section(model, loss, x, y)
    _assert_lively(fx, min_spread)
    return fx


def _assert_lively(fx: dict, min_spread: float) -> None:
    """Every norm finite and above 1e-7 (nothing here is zeroed by a mask: a masked step's
    state still carries into a later real step or the output), the largest of the section
    above 1e-2, and each entry's norms spread by at least `min_spread` (max / min)."""
    entries = fx["gradient_flow"]["layers"]
    top = max(v for e in entries for key in ("step_norms", "cell_norms") for v in e.get(key, []))
    assert top > 1e-2, f"gradient_flow: every norm is tiny (largest {top:.2e})"
    for e in entries:
        for key in ("step_norms", "cell_norms"):
            norms = np.asarray(e.get(key, [1.0]))
            assert np.all(np.isfinite(norms)) and norms.min() > 1e-7, (
                f"gradient_flow {e['layer']} {key}: {norms}")
            if key in e:
                spread = norms.max() / norms.min()
                assert spread >= min_spread, (
                    f"gradient_flow {e['layer']} {key}: norms spread only {spread:.2f}x")


def _norms(fx: dict, layer: str, key: str = "step_norms") -> np.ndarray:
    return np.asarray(next(e[key] for e in fx["gradient_flow"]["layers"] if e["layer"] == layer))


def _falls_toward_early_steps(fx: dict, layer: str, factor: float,
                              key: str = "step_norms") -> None:
    norms = _norms(fx, layer, key)
    assert norms[-1] > factor * norms[0], (
        f"{layer} {key}: expected the norms to fall toward early steps by {factor}x: {norms}")


def _grows_toward_early_steps(fx: dict, layer: str, factor: float,
                              key: str = "step_norms") -> None:
    norms = _norms(fx, layer, key)
    assert norms[0] > factor * norms[-1], (
        f"{layer} {key}: expected the norms to grow toward early steps by {factor}x: {norms}")


@fixture
def gradient_flow_simple_rnn_stack(rng):
    model = sequential(rng, keras.Input(shape=(16, 3)),
                       layers.SimpleRNN(8, return_sequences=True), layers.SimpleRNN(6),
                       layers.Dense(1))
    x, y = normal(rng, 4, 16, 3), normal(rng, 4, 1)
    fx = _flow(model, "SimpleRNN(8, return_sequences=True) -> SimpleRNN(6) -> Dense(1) on "
               "[4, 16, 3], mean_squared_error: gradient_flow entries simple_rnn and "
               "simple_rnn_1; only the last output reaches the loss, so the norms fall toward "
               "the early steps (vanishing gradients through tanh)", x, y, MSE)
    _falls_toward_early_steps(fx, "simple_rnn", 10)
    _falls_toward_early_steps(fx, "simple_rnn_1", 10)
    return fx


@fixture
def gradient_flow_simple_rnn_per_step(rng):
    model = sequential(rng, keras.Input(shape=(6, 2)),
                       layers.SimpleRNN(5, return_sequences=True),
                       layers.Dense(3, activation="softmax"))
    x, y = normal(rng, 3, 6, 2), rng.integers(0, 3, size=(3, 6)).astype(np.int32)
    return _flow(model, "SimpleRNN(5, return_sequences=True) -> Dense(3, softmax) per step on "
                 "[3, 6, 2], sparse_categorical_crossentropy against int labels [3, 6] (the mean "
                 "over samples and steps): every step's output reaches the loss, so dL/dh_t is "
                 "that step's own share plus what flows back from later steps", x, y, SPARSE_CE)


@fixture
def gradient_flow_lstm(rng):
    model = sequential(rng, keras.Input(shape=(12, 3)), layers.LSTM(6), layers.Dense(1))
    x, y = normal(rng, 4, 12, 3), normal(rng, 4, 1)
    fx = _flow(model, "LSTM(6) -> Dense(1) on [4, 12, 3], mean_squared_error: gradient_flow "
               "entry lstm with step_norms (dL/dh_t) and cell_norms (dL/dc_t, the total "
               "gradient reaching the cell state: through h_t and through c_{t+1})", x, y, MSE)
    _falls_toward_early_steps(fx, "lstm", 3)
    _falls_toward_early_steps(fx, "lstm", 3, "cell_norms")
    return fx


@fixture
def gradient_flow_lstm_gru_stack(rng):
    model = sequential(rng, keras.Input(shape=(10, 3)),
                       layers.LSTM(5, return_sequences=True), layers.GRU(4),
                       layers.Dense(2, activation="softmax"))
    x, y = normal(rng, 4, 10, 3), np.array([0, 1, 1, 0], np.int32)
    return _flow(model, "LSTM(5, return_sequences=True) -> GRU(4) (reset_after=True) -> "
                 "Dense(2, softmax) on [4, 10, 3], sparse_categorical_crossentropy against "
                 "labels [4]: gradient_flow entries lstm (step and cell norms, through the GRU "
                 "above) and gru", x, y, SPARSE_CE)


@fixture
def gradient_flow_gru_go_backwards(rng):
    model = sequential(rng, keras.Input(shape=(10, 3)), layers.GRU(5, go_backwards=True),
                       layers.Dense(1))
    x, y = normal(rng, 4, 10, 3), normal(rng, 4, 1)
    fx = _flow(model, "GRU(5, go_backwards=True) -> Dense(1) on [4, 10, 3], "
               "mean_squared_error: the GRU reads input step 9 first and step 0 last, and its "
               "last output (after step 0) reaches the loss; the norms are in INPUT order, so "
               "step_norms[0] (the state after input step 0, processed last) is the largest "
               "and they fall toward step 9", x, y, MSE)
    _grows_toward_early_steps(fx, "gru", 10)
    return fx


@fixture
def gradient_flow_mixed_stack(rng):
    model = sequential(rng, keras.Input(shape=(10, 3)),
                       layers.LSTM(4, return_sequences=True),
                       layers.SimpleRNN(5, return_sequences=True), layers.GRU(3),
                       layers.Dense(1))
    x, y = normal(rng, 4, 10, 3), normal(rng, 4, 1)
    return _flow(model, "LSTM(4, return_sequences=True) -> SimpleRNN(5, return_sequences=True) "
                 "-> GRU(3) -> Dense(1) on [4, 10, 3], mean_squared_error: gradient_flow "
                 "entries lstm (step and cell norms), simple_rnn, gru; each layer's gradient "
                 "comes through every layer above", x, y, MSE)


@fixture
def gradient_flow_masked_lstm(rng):
    model = sequential(rng, keras.Input(shape=(7,), dtype="int32"),
                       layers.Embedding(12, 4, mask_zero=True), layers.LSTM(5),
                       layers.Dense(1))
    x = rng.integers(1, 12, size=(4, 7)).astype(np.int32)
    x[0, 4:] = 0   # right padded: 4 tokens
    x[1, :3] = 0   # left padded: 4 tokens
    x[2, 2:] = 0   # right padded: 2 tokens
    #  x[3]: no padding
    y = normal(rng, 4, 1)
    fx = _flow(model, "Embedding(12, 4, mask_zero=True) -> LSTM(5) -> Dense(1) on int ids "
               "[4, 7] (0 = padding: rows right padded after 4 tokens, left padded before 4, "
               "right padded after 2, and unpadded), mean_squared_error: at a masked step the "
               "state of step t is the carried one (the sample's previous state), and the "
               "layer's output at t is that carried h; c_t is, for a sample unmasked at t, the "
               "c its h_t is made from, for a masked one the carried c (whose gradient is 0 "
               "after the sample's last token)", x, y, MSE, case="padded_ids")
    return fx


@fixture
def gradient_flow_relu_simple_rnn(rng):
    model = sequential(rng, keras.Input(shape=(20, 2)),
                       layers.SimpleRNN(8, activation="relu",
                                        recurrent_initializer=keras.initializers.Orthogonal(
                                            gain=2.5)),
                       layers.Dense(1))
    x, y = normal(rng, 4, 20, 2), normal(rng, 4, 1)
    fx = _flow(model, "SimpleRNN(8, activation='relu', recurrent_initializer=Orthogonal(gain="
               "2.5)) -> Dense(1) on [4, 20, 2], mean_squared_error: a recurrent kernel that "
               "stretches the state (relu passes about half the units, so gain 1.5 still "
               "vanishes) makes the norms GROW toward the early steps (exploding gradients)",
               x, y, MSE)
    _grows_toward_early_steps(fx, "simple_rnn", 10)
    return fx


@fixture
def gradient_flow_stacked_cells(rng):
    model = sequential(rng, keras.Input(shape=(10, 3)),
                       layers.RNN([layers.SimpleRNNCell(4), layers.LSTMCell(3)]),
                       layers.Dense(1))
    x, y = normal(rng, 4, 10, 3), normal(rng, 4, 1)
    return _flow(model, "RNN([SimpleRNNCell(4), LSTMCell(3)]) -> Dense(1) on [4, 10, 3], "
                 "mean_squared_error: one gradient_flow entry per cell, named '<layer name>/"
                 "<cell name>' with Keras's names: rnn/simple_rnn_cell (its gradient comes "
                 "through the LSTM cell above at the same step and through its own next step), "
                 "then rnn/lstm_cell (step and cell norms)", x, y, MSE)


@fixture
def gradient_flow_bidirectional_lstm(rng):
    model = sequential(rng, keras.Input(shape=(8, 3)),
                       layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
                       layers.Dense(2))
    x, y = normal(rng, 4, 8, 3), normal(rng, 4, 8, 2)
    return _flow(model, "Bidirectional(LSTM(4, return_sequences=True)) (merge_mode concat) -> "
                 "Dense(2) per step on [4, 8, 3], mean_squared_error against [4, 8, 2]: one "
                 "gradient_flow entry per direction, '<bidirectional name>/<inner layer "
                 "name>', forward first: bidirectional/forward_lstm, bidirectional/"
                 "backward_lstm; both in input order (the backward entry's step t is its state "
                 "after reading input step t)", x, y, MSE)
