"""Keras mask fixtures (`mask_*`): Embedding(mask_zero=True), Masking, and what RNN layers, Dense,
Dropout and the losses and metrics do with the mask. One short function per fixture.

What Keras 3 (TensorFlow backend) does, read in keras/src/backend/tensorflow/rnn.py and
keras/src/layers/rnn/rnn.py and checked by `check_fixtures.py` against every file here:

- Embedding(mask_zero=True): mask = ids != 0. Masking(mask_value): mask = any(x != mask_value)
  over the last axis, and its output is x with the masked steps set to 0 (not to mask_value).
- Dense (on 3-D input) and Dropout pass the mask on unchanged. An RNN passes it on only with
  return_sequences, and then unchanged: with go_backwards its output sequence is in processing
  (reversed) order but its mask is the input's, NOT reversed.
- A masked RNN step (go_backwards reverses the mask with the inputs): every state keeps its
  previous value; the output is the previous step's output (zeros before the first unmasked
  step), or zeros with zero_output_for_mask=True. The last output is the output at the final
  processed step (zeros with zero_output_for_mask if that step is masked).
- The loss: the mask of y_pred becomes sample weights total / valid on unmasked entries and 0 on
  masked ones, summed and divided by total: sum(loss * mask) / sum(mask) over the batch, 0 if
  nothing is unmasked. `gradients_section` gets it as model.fit does (the eager y_pred carries
  Keras's mask); `_assert_fit_step_uses` proves it against a real fit step.
- history: `loss` is the batch-size-weighted mean over the epoch of each batch's masked loss;
  a metric ("accuracy", "mae") is sum(value * mask) / sum(mask) over every step of the epoch.
"""

from __future__ import annotations

import fixturelib as fl
from fixturelib import forward_case, model_fixture, training_section
from forward_fixtures import fixture, normal, sequential, with_gradients
import numpy as np
import keras
from keras import layers, optimizers

VOCAB, EMBED, STEPS = 8, 3, 6


def token_ids(rng: np.random.Generator, lengths: list[int], side: str = "right",
              steps: int = STEPS, vocab: int = VOCAB) -> np.ndarray:
    """[len(lengths), steps] int32 ids in 1..vocab-1, sample i has lengths[i] of them, padded
    with 0 at the end (side="right") or at the start (side="left")."""
    ids = np.zeros((len(lengths), steps), np.int32)
    for i, n in enumerate(lengths):
        tokens = rng.integers(1, vocab, size=n)
        if side == "right":
            ids[i, :n] = tokens
        else:
            ids[i, steps - n:] = tokens
    return ids


def ids_with_holes(rng: np.random.Generator, steps: int = STEPS) -> np.ndarray:
    """[4, steps]: zeros in the middle of sample 0, at both ends of sample 1, sample 2 all zeros
    (fully masked), sample 3 no zeros at all."""
    ids = rng.integers(1, VOCAB, size=(4, steps)).astype(np.int32)
    ids[0, [1, 3]] = 0
    ids[1, [0, steps - 1]] = 0
    ids[2] = 0
    return ids


def padded_floats(rng: np.random.Generator, lengths: list[int], side: str = "right",
                  steps: int = STEPS, features: int = 3, pad: float = 0.0) -> np.ndarray:
    """[len(lengths), steps, features] normal values; sample i keeps lengths[i] steps and the rest
    are set entirely to `pad`. Unpadded steps may have single features equal to 0 or to `pad`
    (not masked: Masking masks a step only when every feature equals mask_value)."""
    x = normal(rng, len(lengths), steps, features)
    for i, n in enumerate(lengths):
        kept = slice(0, n) if side == "right" else slice(steps - n, steps)
        if n > 0:
            first = kept.start
            x[i, first, 0] = pad            # one feature equal to the pad value: still unmasked
            if n > 1:
                x[i, first + 1, -1] = 0.0   # one zero feature: still unmasked
        pad_steps = [t for t in range(steps) if not (kept.start <= t < kept.stop)]
        x[i, pad_steps] = pad
    return x


def _assert_fit_step_uses(model, fx: dict) -> dict:
    """Prove that `fx["gradients"]` is what model.fit's first step uses, masked loss included:
    a copy of the model (Dropout rate 0: fit runs in training mode) compiled with SGD(1) and fit
    on the section's x, y as one batch reports the stored loss and moves every trainable weight
    by minus its stored gradient. Nothing of the copy goes into the fixture."""
    g = fx["gradients"]

    def clone_layer(layer):
        config = layer.get_config()
        if isinstance(layer, layers.Dropout):
            config["rate"] = 0.0
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone_layer)
    copy.set_weights(model.get_weights())
    copy.compile(optimizer=optimizers.SGD(1.0), loss=fl.make_loss(g["loss"], g["from_logits"]),
                 jit_compile=False)
    x, y = _array(g["x"]), _array(g["y"])
    before = [fl.to_numpy(v).copy() for v in copy.trainable_weights]
    history = copy.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0).history
    if abs(history["loss"][0] - g["loss_value"]) > 1e-6 * max(1.0, abs(g["loss_value"])):
        raise AssertionError(f"{fx['name']}: fit's loss {history['loss'][0]} differs from the "
                             f"gradients section's {g['loss_value']}")
    for grad, old, v in zip(g["grads"], before, copy.trainable_weights):
        step = old - fl.to_numpy(v)
        want = np.asarray(grad["data"], np.float32).reshape(grad["shape"])
        if not np.allclose(step, want, rtol=1e-4, atol=1e-6):
            raise AssertionError(f"{fx['name']}: fit's step of {grad['name']} differs from the "
                                 f"stored gradient by {np.abs(step - want).max():.2e}")
    return fx


def _array(t: dict) -> np.ndarray:
    return np.asarray(t["data"], np.int32 if t["dtype"] == "int32" else np.float32).reshape(
        t["shape"])


def _masked_gradients(fx: dict, model, loss: str, x, y, from_logits: bool = False) -> dict:
    with_gradients(fx, model, loss, x, y, from_logits=from_logits)
    return _assert_fit_step_uses(model, fx)


def _embedding() -> layers.Embedding:
    return layers.Embedding(VOCAB, EMBED, mask_zero=True)


def _id_cases(model, rng) -> list[dict]:
    return [forward_case(model, "right_padded", token_ids(rng, [6, 4, 2, 1, 0], "right")),
            forward_case(model, "left_padded", token_ids(rng, [5, 3, 1, 6], "left")),
            forward_case(model, "holes_and_fully_masked", ids_with_holes(rng))]


def _mixed_ids(rng) -> np.ndarray:
    """5 samples: two right padded, two left padded, one fully masked."""
    return np.concatenate([token_ids(rng, [6, 3], "right"), token_ids(rng, [4, 1], "left"),
                           np.zeros((1, STEPS), np.int32)])


# --- Embedding(mask_zero=True) -> RNN -------------------------------------------------------


@fixture
def mask_embedding_simple_rnn_dense(rng):
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"), _embedding(),
                       layers.SimpleRNN(4), layers.Dense(2))
    fx = model_fixture(model, "Embedding(8, 3, mask_zero=True) -> SimpleRNN(4) -> Dense(2) on "
                       "int32 ids [batch, 6], 0 = padding: right padded (the last output is the "
                       "output at the last real token), left padded (the state starts at the "
                       "first real token), zeros in the middle and a fully masked sample (output "
                       "zeros, so Dense gives its bias). Gradients of mean_squared_error (the "
                       "last output carries no mask: a plain mean); embedding row 0 gets none",
                       _id_cases(model, rng))
    return _masked_gradients(fx, model, "mean_squared_error", _mixed_ids(rng), normal(rng, 5, 2))


@fixture
def mask_embedding_lstm_stacked_dense(rng):
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"), _embedding(),
                       layers.LSTM(4, return_sequences=True), layers.LSTM(3), layers.Dense(1))
    fx = model_fixture(model, "Embedding(8, 3, mask_zero=True) -> LSTM(4, return_sequences=True) "
                       "-> LSTM(3) -> Dense(1): the first LSTM passes the mask to the second; "
                       "masked steps keep both h and c; gradients of mean_squared_error",
                       _id_cases(model, rng))
    return _masked_gradients(fx, model, "mean_squared_error", _mixed_ids(rng), normal(rng, 5, 1))


def _gru_per_step(rng, reset_after: bool, from_logits: bool, description: str):
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"), _embedding(),
                       layers.GRU(4, return_sequences=True, reset_after=reset_after),
                       layers.Dense(5, activation=None if from_logits else "softmax"))
    fx = model_fixture(model, description, _id_cases(model, rng))
    y = rng.integers(0, 5, size=(5, STEPS)).astype(np.int32)
    return _masked_gradients(fx, model, "sparse_categorical_crossentropy", _mixed_ids(rng), y,
                             from_logits=from_logits)


@fixture
def mask_embedding_gru_per_step(rng):
    return _gru_per_step(rng, True, False, "Embedding(8, 3, mask_zero=True) -> GRU(4, "
                         "return_sequences=True) (reset_after=True) -> Dense(5, softmax) per "
                         "step; the output carries the mask (Dense passes it). Masked steps "
                         "repeat the previous output (zeros before the first real token, so Dense "
                         "gives softmax(bias) there). Gradients of the MASKED per-step "
                         "sparse_categorical_crossentropy: sum(loss * mask) / sum(mask), as "
                         "model.fit computes it")


@fixture
def mask_embedding_gru_reset_after_false_logits(rng):
    return _gru_per_step(rng, False, True, "Embedding(8, 3, mask_zero=True) -> GRU(4, "
                         "return_sequences=True, reset_after=False) -> Dense(5) logits per step; "
                         "gradients of the masked per-step sparse_categorical_crossentropy with "
                         "from_logits=True: sum(loss * mask) / sum(mask)")


@fixture
def mask_embedding_dropout_simple_rnn_per_step(rng):
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"), _embedding(),
                       layers.Dropout(0.3), layers.SimpleRNN(4, return_sequences=True),
                       layers.Dense(3, activation="softmax"))
    fx = model_fixture(model, "Embedding(8, 3, mask_zero=True) -> Dropout(0.3) -> SimpleRNN(4, "
                       "return_sequences=True) -> Dense(3, softmax) per step: the Dropout passes "
                       "the mask on (and is the identity at inference); gradients of the masked "
                       "per-step sparse_categorical_crossentropy, training mode off",
                       _id_cases(model, rng))
    y = rng.integers(0, 3, size=(5, STEPS)).astype(np.int32)
    return _masked_gradients(fx, model, "sparse_categorical_crossentropy", _mixed_ids(rng), y)


# --- Masking on float input ------------------------------------------------------------------


def _float_cases(model, rng, features: int = 3, pad: float = 0.0) -> list[dict]:
    return [forward_case(model, "right_padded",
                         padded_floats(rng, [6, 4, 2, 0], "right", features=features, pad=pad)),
            forward_case(model, "left_padded",
                         padded_floats(rng, [5, 3, 1, 6], "left", features=features, pad=pad))]


def _mixed_floats(rng, features: int = 3, pad: float = 0.0) -> np.ndarray:
    return np.concatenate([padded_floats(rng, [6, 3], "right", features=features, pad=pad),
                           padded_floats(rng, [4, 1, 0], "left", features=features, pad=pad)])


@fixture
def mask_masking_simple_rnn_zero_output_go_backwards(rng):
    model = sequential(rng, keras.Input(shape=(STEPS, 3)), layers.Masking(0.0),
                       layers.SimpleRNN(5, return_sequences=True, zero_output_for_mask=True),
                       layers.SimpleRNN(3, go_backwards=True), layers.Dense(2))
    fx = model_fixture(model, "Masking(mask_value=0.0) on float [batch, 6, 3] -> SimpleRNN(5, "
                       "return_sequences=True, zero_output_for_mask=True) -> SimpleRNN(3, "
                       "go_backwards=True) -> Dense(2). A step is masked only when all 3 features "
                       "are 0 (steps with one zero feature are not). The second RNN reads the "
                       "mask reversed with its input: left padded, its final processed step is "
                       "masked and its last output is the output of the last real step it "
                       "read. (The first RNN's zeros at masked steps do not show here: the "
                       "second skips those steps.) Gradients of mean_squared_error",
                       _float_cases(model, rng))
    return _masked_gradients(fx, model, "mean_squared_error", _mixed_floats(rng),
                             normal(rng, 5, 2))


@fixture
def mask_masking_simple_rnn_zero_output_seq(rng):
    model = sequential(rng, keras.Input(shape=(STEPS, 3)), layers.Masking(0.0),
                       layers.SimpleRNN(4, return_sequences=True, zero_output_for_mask=True),
                       layers.Dense(2))
    fx = model_fixture(model, "Masking(0.0) -> SimpleRNN(4, return_sequences=True, "
                       "zero_output_for_mask=True) -> Dense(2) per step: the RNN outputs zeros at "
                       "masked steps (so Dense gives its bias there) while its state carries "
                       "over them; gradients of the masked per-step mean_squared_error",
                       _float_cases(model, rng))
    return _masked_gradients(fx, model, "mean_squared_error", _mixed_floats(rng),
                             normal(rng, 5, STEPS, 2))


@fixture
def mask_masking_neg1_dense_per_step(rng):
    model = sequential(rng, keras.Input(shape=(STEPS, 3)), layers.Masking(-1.0),
                       layers.Dense(3))
    fx = model_fixture(model, "Masking(mask_value=-1.0) -> Dense(3) per step: steps whose 3 "
                       "features all equal -1 are masked and Masking outputs them as 0 (Dense "
                       "gives its bias there); steps of all zeros or with one -1 feature are not "
                       "masked. Dense passes the mask to the loss: gradients of the masked "
                       "per-step mean_squared_error", _float_cases(model, rng, pad=-1.0))
    return _masked_gradients(fx, model, "mean_squared_error", _neg1_floats(rng),
                             normal(rng, 5, STEPS, 3))


def _neg1_floats(rng, features: int = 3) -> np.ndarray:
    """Padding -1 and, in one sample, a step of all zeros, which Masking(-1.0) does not mask."""
    x = _mixed_floats(rng, features=features, pad=-1.0)
    x[0, 2] = 0.0
    return x


@fixture
def mask_masking_neg1_dense_lstm_zero_output(rng):
    model = sequential(rng, keras.Input(shape=(STEPS, 3)), layers.Masking(-1.0),
                       layers.Dense(4, activation="tanh"),
                       layers.LSTM(3, zero_output_for_mask=True))
    x = _neg1_floats(rng)
    fx = model_fixture(model, "Masking(mask_value=-1.0) -> Dense(4, tanh) per step (passes the "
                       "mask) -> LSTM(3, zero_output_for_mask=True), last output: zeros for a "
                       "right-padded sample (its final step is masked), the usual output for a "
                       "left-padded one. Gradients of mean_squared_error",
                       _float_cases(model, rng, pad=-1.0) + [forward_case(model, "mixed", x)])
    return _masked_gradients(fx, model, "mean_squared_error", _neg1_floats(rng),
                             normal(rng, 5, 3))


# --- go_backwards under a mask ---------------------------------------------------------------


@fixture
def mask_simple_rnn_go_backwards_seq(rng):
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"), _embedding(),
                       layers.SimpleRNN(4, go_backwards=True, return_sequences=True))
    fx = model_fixture(model, "Embedding(8, 3, mask_zero=True) -> SimpleRNN(4, go_backwards=True, "
                       "return_sequences=True): the sequence in processing order, the mask "
                       "reversed with the inputs inside the layer; the layer's OUTPUT mask is its "
                       "input mask, not reversed, so the masked per-step mean_squared_error of "
                       "the gradients weights output step t by input step t's mask",
                       _id_cases(model, rng))
    return _masked_gradients(fx, model, "mean_squared_error", _mixed_ids(rng),
                             normal(rng, 5, STEPS, 4))


@fixture
def mask_lstm_go_backwards_seq_stacked(rng):
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"), _embedding(),
                       layers.LSTM(4, go_backwards=True, return_sequences=True),
                       layers.LSTM(3), layers.Dense(1))
    fx = model_fixture(model, "Embedding(8, 3, mask_zero=True) -> LSTM(4, go_backwards=True, "
                       "return_sequences=True) -> LSTM(3) -> Dense(1): the second LSTM gets the "
                       "first one's reversed-order sequence with the mask NOT reversed (Keras "
                       "passes the input mask on as it is); gradients of mean_squared_error",
                       _id_cases(model, rng))
    return _masked_gradients(fx, model, "mean_squared_error", _mixed_ids(rng), normal(rng, 5, 1))


@fixture
def mask_gru_go_backwards_per_step(rng):
    model = sequential(rng, keras.Input(shape=(STEPS, 3)), layers.Masking(0.0),
                       layers.GRU(4, go_backwards=True, return_sequences=True, reset_after=False),
                       layers.Dense(3, activation="softmax"))
    fx = model_fixture(model, "Masking(0.0) -> GRU(4, go_backwards=True, return_sequences=True, "
                       "reset_after=False) -> Dense(3, softmax) per step: output in processing "
                       "order under the input's (not reversed) mask; gradients of the masked "
                       "per-step sparse_categorical_crossentropy", _float_cases(model, rng))
    y = rng.integers(0, 3, size=(5, STEPS)).astype(np.int32)
    return _masked_gradients(fx, model, "sparse_categorical_crossentropy", _mixed_floats(rng), y)


# --- one RNN over GRU, LSTM and SimpleRNN cells -------------------------------------------


@fixture
def mask_mixed_cells_rnn_seq(rng):
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"), _embedding(),
                       layers.RNN([layers.GRUCell(5), layers.LSTMCell(4), layers.SimpleRNNCell(3)],
                                  return_sequences=True))
    fx = model_fixture(model, "Embedding(8, 3, mask_zero=True) -> RNN([GRUCell(5), LSTMCell(4), "
                       "SimpleRNNCell(3)], return_sequences=True): at a masked step every state "
                       "of every cell keeps its value and the output repeats the previous one; "
                       "gradients of the masked per-step mean_squared_error",
                       _id_cases(model, rng))
    return _masked_gradients(fx, model, "mean_squared_error", _mixed_ids(rng),
                             normal(rng, 5, STEPS, 3))


# --- training --------------------------------------------------------------------------------
# 10 samples, batch_size 4: batches of 4, 4 and 2 samples with very different numbers of
# unmasked steps, so the batch-weighted history loss and the step-weighted metrics differ.

SAMPLES, BATCH_SIZE, EPOCHS = 10, 4, 4
TRAIN_LENGTHS = [6, 5, 6, 4, 2, 1, 3, 1, 5, 0]
TRAIN_SIDES = ["right", "left", "right", "left", "right", "right", "left", "left", "right", "left"]


def _train_ids(rng) -> np.ndarray:
    return np.concatenate([token_ids(rng, [n], side)
                           for n, side in zip(TRAIN_LENGTHS, TRAIN_SIDES)])


def _train(rng, model, description, optimizer, loss, x, y, metrics) -> dict:
    fx = model_fixture(model, description, [forward_case(model, "first_four_samples", x[:4])])
    fx["training"] = training_section(model, optimizer, loss, x, y, batch_size=BATCH_SIZE,
                                      epochs=EPOCHS, metrics=metrics)
    return fx


@fixture
def mask_train_gru_tagger_adam(rng):
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"),
                       layers.Embedding(VOCAB, 4, mask_zero=True),
                       layers.GRU(5, return_sequences=True), layers.Dense(4, activation="softmax"))
    x = _train_ids(rng)
    # Targets at padded steps too (random): only the mask keeps them out of loss and accuracy.
    y = rng.integers(0, 4, size=(SAMPLES, STEPS)).astype(np.int32)
    return _train(rng, model, "masked per-step tagger: Embedding(8, 4, mask_zero=True) -> GRU(5, "
                  "return_sequences=True) -> Dense(4, softmax) trained with Adam(0.02) on "
                  "sparse_categorical_crossentropy, metrics accuracy; 10 samples right and left "
                  "padded, one fully masked, batches of 4, 4, 2 with 21, 7 and 5 real steps. "
                  "Each batch's loss is sum(loss * mask) / sum(mask); history loss = batch-size-"
                  "weighted mean of those; history accuracy = sum(correct * mask) / sum(mask) "
                  "over the whole epoch", optimizers.Adam(0.02),
                  "sparse_categorical_crossentropy", x, y, ["accuracy"])


@fixture
def mask_train_lstm_classifier_rmsprop(rng):
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"), _embedding(),
                       layers.LSTM(3), layers.Dense(1, activation="sigmoid"))
    x = _train_ids(rng)
    y = rng.integers(0, 2, size=(SAMPLES, 1)).astype(np.float32)
    return _train(rng, model, "masked classifier: Embedding(8, 3, mask_zero=True) -> LSTM(3) -> "
                  "Dense(1, sigmoid) trained with RMSprop(0.01) on binary_crossentropy, metrics "
                  "accuracy (binary_accuracy); the mask shapes the LSTM's last output only (the "
                  "model's output carries no mask, so loss and accuracy are plain means)",
                  optimizers.RMSprop(0.01), "binary_crossentropy", x, y, ["accuracy"])


@fixture
def mask_train_masking_simple_rnn_seq_mse(rng):
    model = sequential(rng, keras.Input(shape=(STEPS, 2)), layers.Masking(0.0),
                       layers.SimpleRNN(3, return_sequences=True), layers.Dense(1))
    x = np.concatenate([padded_floats(rng, [n], side, features=2)
                        for n, side in zip(TRAIN_LENGTHS, TRAIN_SIDES)])
    y = normal(rng, SAMPLES, STEPS, 1)
    y[4:8] *= 3.0  # the second batch's few real steps weigh much more in the step-weighted mae
    return _train(rng, model, "masked per-step regression: Masking(0.0) -> SimpleRNN(3, "
                  "return_sequences=True) -> Dense(1) per step trained with Adam(0.01) on "
                  "mean_squared_error, metrics mae; history loss = batch-size-weighted mean of "
                  "each batch's sum(se * mask) / sum(mask); history mae = sum(|e| * mask) / "
                  "sum(mask) over the epoch", optimizers.Adam(0.01), "mean_squared_error", x, y,
                  ["mae"])
