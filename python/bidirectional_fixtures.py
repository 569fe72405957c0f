"""Keras `Bidirectional` fixtures (`bidirectional_*`): one short function per fixture.

What Keras 3.15 (TensorFlow backend) does, read in keras/src/layers/rnn/bidirectional.py and
checked by `check_fixtures.py` against every file here:

- `Bidirectional(layer)` rebuilds the wrapped layer from its config as `forward_<name>` and a
  copy with `go_backwards=True` as `backward_<name>` (an explicit `backward_layer` keeps its own
  name and config; it must have the other `go_backwards` value and the same `stateful`,
  `return_sequences` and `return_state`). Both read the same input (and the same mask). The
  weights are the forward layer's, then the backward layer's: `<bidirectional>/forward_lstm/
  lstm_cell/kernel`, ..., `<bidirectional>/backward_lstm/lstm_cell/kernel`, ...
- The backward layer's output sequence is in processing (reversed) order; with
  return_sequences Bidirectional flips it back to input order before merging. Its last output
  (return_sequences=False) is the state after it read input step 0.
- merge_mode: "concat" (default) [forward, backward] on the last axis; "sum"; "ave" (sum / 2);
  "mul"; None: the two outputs, not merged, forward first.
- return_state: the merged output (or both outputs with merge_mode None), then the forward
  layer's states, then the backward layer's (LSTM: h, c each).
- Masks: both directions get the input's mask (the backward layer reverses it with its input).
  Keras sets zero_output_for_mask = return_sequences on both inner layers whatever the wrapped
  layer said, and the model JSON shows the forced value. The output mask is the input mask with
  return_sequences, none otherwise.
- On the TensorFlow backend the fused `backend.bidirectional_lstm`/`_gru` paths raise
  NotImplementedError, so Keras always runs the two layers as above.
"""

from __future__ import annotations

from fixturelib import forward_case, layer_fixture, model_fixture, training_section
import fixturelib as fl
from forward_fixtures import fixture, normal, sequential, with_gradients
from mask_fixtures import _assert_fit_step_uses, ids_with_holes, token_ids
import numpy as np
import keras
from keras import layers, optimizers

STEPS, FEATURES = 6, 3
VOCAB, EMBED = 8, 3


def _gradients(fx: dict, model, loss: str, x, y, from_logits: bool = False) -> dict:
    """The gradients section, proven against a real one-batch fit step with SGD(1)."""
    with_gradients(fx, model, loss, x, y, from_logits=from_logits)
    return _assert_fit_step_uses(model, fx)


def _float_model(rng, *stack, batch: int = 4, steps: int = STEPS):
    """Sequential(Input(steps, 3), *stack) with nonzero biases and one random_normal case."""
    model = sequential(rng, keras.Input(shape=(steps, FEATURES)), *stack)
    return model, [forward_case(model, "random_normal", normal(rng, batch, steps, FEATURES))]


# --- SimpleRNN, LSTM, GRU, one merge mode each -----------------------------------------------


@fixture
def bidirectional_simple_rnn_concat_last(rng):
    model, cases = _float_model(rng, layers.Bidirectional(layers.SimpleRNN(4)), layers.Dense(2))
    fx = model_fixture(model, "Bidirectional(SimpleRNN(4)) (merge_mode 'concat') -> Dense(2) on "
                       "[4, 6, 3]: [forward last output, backward last output] = [h after input "
                       "step 5, h after the backward copy read input step 0]; weights "
                       "forward_simple_rnn then backward_simple_rnn; gradients of "
                       "mean_squared_error", cases)
    return _gradients(fx, model, "mean_squared_error", normal(rng, 5, STEPS, FEATURES),
                      normal(rng, 5, 2))


def _lstm_merge(rng, merge_mode: str, what: str) -> dict:
    model, cases = _float_model(rng, layers.Bidirectional(layers.LSTM(4, return_sequences=True),
                                                          merge_mode=merge_mode),
                                layers.Dense(2), steps=5)
    fx = model_fixture(model, f"Bidirectional(LSTM(4, return_sequences=True), merge_mode="
                       f"'{merge_mode}') -> Dense(2) per step on [4, 5, 3]: the backward "
                       f"sequence is flipped back to input order, then {what}; gradients of "
                       f"mean_squared_error over every step", cases)
    width = 8 if merge_mode == "concat" else 4
    assert model.layers[0].output.shape[-1] == width
    return _gradients(fx, model, "mean_squared_error", normal(rng, 5, 5, FEATURES),
                      normal(rng, 5, 5, 2))


@fixture
def bidirectional_lstm_seq_concat(rng):
    return _lstm_merge(rng, "concat", "concatenated [forward, backward] on the last axis (8 "
                       "features)")


@fixture
def bidirectional_lstm_seq_sum(rng):
    return _lstm_merge(rng, "sum", "forward + backward (4 features)")


@fixture
def bidirectional_lstm_seq_ave(rng):
    return _lstm_merge(rng, "ave", "(forward + backward) / 2 (4 features)")


@fixture
def bidirectional_lstm_seq_mul(rng):
    return _lstm_merge(rng, "mul", "forward * backward, elementwise (4 features)")


@fixture
def bidirectional_gru_last(rng):
    model, cases = _float_model(rng, layers.Bidirectional(layers.GRU(4)), layers.Dense(1))
    fx = model_fixture(model, "Bidirectional(GRU(4)) (reset_after=True, bias [2, 12] in each "
                       "direction) -> Dense(1) on [4, 6, 3], last outputs concatenated; "
                       "gradients of mean_squared_error", cases)
    return _gradients(fx, model, "mean_squared_error", normal(rng, 5, STEPS, FEATURES),
                      normal(rng, 5, 1))


@fixture
def bidirectional_gru_reset_after_false_seq(rng):
    model, cases = _float_model(rng, layers.Bidirectional(
        layers.GRU(3, reset_after=False, return_sequences=True)), layers.Dense(2))
    fx = model_fixture(model, "Bidirectional(GRU(3, reset_after=False, return_sequences=True)) "
                       "-> Dense(2) per step on [4, 6, 3]: bias [9] per direction; the backward "
                       "sequence flipped back to input order, concatenated; gradients of "
                       "mean_squared_error over every step", cases)
    return _gradients(fx, model, "mean_squared_error", normal(rng, 5, STEPS, FEATURES),
                      normal(rng, 5, STEPS, 2))


@fixture
def bidirectional_backward_layer_gru_relu(rng):
    backward = layers.GRU(4, activation="relu", go_backwards=True, return_sequences=True)
    model, cases = _float_model(rng, layers.Bidirectional(layers.LSTM(4, return_sequences=True),
                                                          backward_layer=backward),
                                layers.Dense(2))
    fx = model_fixture(model, "Bidirectional(LSTM(4, return_sequences=True), backward_layer="
                       "GRU(4, activation='relu', go_backwards=True, return_sequences=True)) -> "
                       "Dense(2) per step on [4, 6, 3]: an explicit backward layer of another "
                       "class and activation keeps its own name ('gru', not 'backward_...'); "
                       "weights forward_lstm's three, then gru's three; concatenated [LSTM, "
                       "GRU flipped back]; gradients of mean_squared_error", cases)
    return _gradients(fx, model, "mean_squared_error", normal(rng, 5, STEPS, FEATURES),
                      normal(rng, 5, STEPS, 2))


@fixture
def bidirectional_lstm_stacked_dense(rng):
    model, cases = _float_model(rng, layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
                                layers.Bidirectional(layers.LSTM(3)), layers.Dense(1), steps=5)
    fx = model_fixture(model, "Bidirectional(LSTM(4, return_sequences=True)) -> "
                       "Bidirectional(LSTM(3)) -> Dense(1) on [4, 5, 3]: the second reads the "
                       "first's 8 concatenated features per step in input order; inner layers "
                       "forward_lstm, backward_lstm, forward_lstm_1, backward_lstm_1; gradients "
                       "of mean_squared_error", cases)
    return _gradients(fx, model, "mean_squared_error", normal(rng, 5, 5, FEATURES),
                      normal(rng, 5, 1))


@fixture
def bidirectional_stacked_cells_rnn_seq(rng):
    model, cases = _float_model(rng, layers.Bidirectional(layers.RNN(
        [layers.GRUCell(4), layers.LSTMCell(3)], return_sequences=True)), layers.Dense(2))
    fx = model_fixture(model, "Bidirectional(RNN([GRUCell(4), LSTMCell(3)], return_sequences="
                       "True)) -> Dense(2) per step on [4, 6, 3]: forward_rnn and backward_rnn, "
                       "each a StackedRNNCells (GRU cell then LSTM cell, weights "
                       ".../forward_rnn/stacked_rnn_cells/gru_cell/kernel ...); the top cell's "
                       "outputs, backward flipped back, concatenated (6 features); gradients of "
                       "mean_squared_error over every step", cases)
    return _gradients(fx, model, "mean_squared_error", normal(rng, 5, STEPS, FEATURES),
                      normal(rng, 5, STEPS, 2))


# --- masks -----------------------------------------------------------------------------------


def _id_cases(model, rng) -> list[dict]:
    return [forward_case(model, "right_padded", token_ids(rng, [6, 4, 2, 1, 0], "right")),
            forward_case(model, "left_padded", token_ids(rng, [5, 3, 1, 6], "left")),
            forward_case(model, "holes_and_fully_masked", ids_with_holes(rng))]


def _mixed_ids(rng) -> np.ndarray:
    """5 samples: two right padded, two left padded, one fully masked."""
    return np.concatenate([token_ids(rng, [6, 3], "right"), token_ids(rng, [4, 2], "left"),
                           np.zeros((1, STEPS), np.int32)])


@fixture
def bidirectional_mask_embedding_lstm_sigmoid(rng):
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"),
                       layers.Embedding(VOCAB, EMBED, mask_zero=True),
                       layers.Bidirectional(layers.LSTM(4)), layers.Dense(1, activation="sigmoid"))
    fx = model_fixture(model, "Embedding(8, 3, mask_zero=True) -> Bidirectional(LSTM(4)) -> "
                       "Dense(1, sigmoid) on int32 ids [batch, 6], 0 = padding. Both directions "
                       "get the mask (the backward one reversed with its input); "
                       "zero_output_for_mask is False on both (return_sequences=False), so the "
                       "forward half is the output at the last real token and the backward half "
                       "the output at the first real token (left padding: the backward copy's "
                       "last steps are masked and repeat it). Right/left padded, holes, a fully "
                       "masked sample (both halves zero: sigmoid(Dense bias)). Gradients of "
                       "binary_crossentropy (the output carries no mask: a plain mean)",
                       _id_cases(model, rng))
    x = _mixed_ids(rng)
    y = rng.integers(0, 2, size=(5, 1)).astype(np.float32)
    return _gradients(fx, model, "binary_crossentropy", x, y)


@fixture
def bidirectional_mask_embedding_gru_per_step(rng):
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"),
                       layers.Embedding(VOCAB, EMBED, mask_zero=True),
                       layers.Bidirectional(layers.GRU(4, return_sequences=True)),
                       layers.Dense(3, activation="softmax"))
    config = model.layers[1].get_config()
    assert config["layer"]["config"]["zero_output_for_mask"] is True
    assert config["backward_layer"]["config"]["zero_output_for_mask"] is True
    fx = model_fixture(model, "Embedding(8, 3, mask_zero=True) -> Bidirectional(GRU(4, "
                       "return_sequences=True)) -> Dense(3, softmax) per step. Keras forces "
                       "zero_output_for_mask = return_sequences = True on both directions (the "
                       "JSON says true for forward_gru and backward_gru though GRU(4) was built "
                       "with the default False): masked steps are zeros in both halves, so "
                       "Dense gives softmax(bias) there. Bidirectional passes the mask on; "
                       "gradients of the MASKED per-step sparse_categorical_crossentropy: "
                       "sum(loss * mask) / sum(mask)", _id_cases(model, rng))
    y = rng.integers(0, 3, size=(5, STEPS)).astype(np.int32)
    return _gradients(fx, model, "sparse_categorical_crossentropy", _mixed_ids(rng), y)


# --- one layer: merge_mode None and return_state ---------------------------------------------


def _layer(rng, layer, description: str, steps: int = 5) -> dict:
    layer.build((None, steps, FEATURES))
    fl.set_nonzero_biases(layer, rng)
    cases = [forward_case(layer, "random_normal", normal(rng, 4, steps, FEATURES))]
    return layer_fixture(layer, description, [None, steps, FEATURES], cases)


@fixture
def bidirectional_layer_merge_none(rng):
    return _layer(rng, layers.Bidirectional(layers.GRU(4, return_sequences=True),
                                            merge_mode=None),
                  "one Bidirectional(GRU(4, return_sequences=True), merge_mode=None) layer on "
                  "[4, 5, 3]; outputs, as Keras returns them: the forward sequence [4, 5, 4], "
                  "then the backward sequence [4, 5, 4] flipped back to input order (its step 4 "
                  "saw only input step 4)")


@fixture
def bidirectional_layer_return_state(rng):
    return _layer(rng, layers.Bidirectional(layers.LSTM(3, return_sequences=True,
                                                        return_state=True)),
                  "one Bidirectional(LSTM(3, return_sequences=True, return_state=True)) layer "
                  "on [4, 5, 3] (merge_mode 'concat'); outputs, as Keras returns them: the "
                  "merged sequence [4, 5, 6], then the forward h [4, 3] and c [4, 3], then the "
                  "backward h [4, 3] and c [4, 3] (the backward states are after it read input "
                  "step 0, which is its half of the merged sequence's step 0)")


@fixture
def bidirectional_layer_merge_none_return_state(rng):
    return _layer(rng, layers.Bidirectional(layers.LSTM(3, return_sequences=True,
                                                        return_state=True), merge_mode=None),
                  "one Bidirectional(LSTM(3, return_sequences=True, return_state=True), "
                  "merge_mode=None) layer on [4, 5, 3]; outputs, as Keras returns them: the "
                  "forward sequence [4, 5, 3], the backward sequence flipped back [4, 5, 3], "
                  "forward h, forward c, backward h, backward c (each [4, 3])")


# --- training --------------------------------------------------------------------------------
# 10 samples, batch_size 4 (batches of 4, 4 and 2), right and left padded to unequal lengths,
# one sample fully masked, as mask_fixtures.py's training fixtures.

SAMPLES, BATCH_SIZE = 10, 4
TRAIN_LENGTHS = [6, 5, 2, 4, 3, 1, 6, 2, 5, 0]
TRAIN_SIDES = ["left", "right", "left", "left", "right", "left", "right", "right", "left", "left"]


def _train_ids(rng, vocab: int) -> np.ndarray:
    return np.concatenate([token_ids(rng, [n], side, vocab=vocab)
                           for n, side in zip(TRAIN_LENGTHS, TRAIN_SIDES)])


def _train(model, description, optimizer, loss, x, y, metrics, epochs: int) -> dict:
    fx = model_fixture(model, description, [forward_case(model, "first_four_samples", x[:4])])
    fx["training"] = training_section(model, optimizer, loss, x, y, batch_size=BATCH_SIZE,
                                      epochs=epochs, metrics=metrics)
    return fx


@fixture
def bidirectional_train_lstm_classifier_adam(rng):
    vocab = 12
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"),
                       layers.Embedding(vocab, 4, mask_zero=True),
                       layers.Bidirectional(layers.LSTM(8)),
                       layers.Dense(1, activation="sigmoid"))
    x = _train_ids(rng, vocab)
    y = rng.integers(0, 2, size=(SAMPLES, 1)).astype(np.float32)
    return _train(model, "the IMDB classifier in miniature: Embedding(12, 4, mask_zero=True) -> "
                  "Bidirectional(LSTM(8)) -> Dense(1, sigmoid) trained with Adam(0.002) on "
                  "binary_crossentropy, metrics accuracy (binary_accuracy), 5 epochs, "
                  "shuffle=False; 10 reviews of 0 to 6 ids, most left padded (as pad_sequences "
                  "does), some right padded; the output carries no mask (plain means)",
                  optimizers.Adam(0.002), "binary_crossentropy", x, y, ["accuracy"], epochs=5)


@fixture
def bidirectional_train_gru_tagger_rmsprop(rng):
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"),
                       layers.Embedding(VOCAB, 4, mask_zero=True),
                       layers.Bidirectional(layers.GRU(4, return_sequences=True)),
                       layers.Dense(4, activation="softmax"))
    x = _train_ids(rng, VOCAB)
    # Targets at padded steps too (random): only the mask keeps them out of loss and accuracy.
    y = rng.integers(0, 4, size=(SAMPLES, STEPS)).astype(np.int32)
    return _train(model, "masked per-step tagger: Embedding(8, 4, mask_zero=True) -> "
                  "Bidirectional(GRU(4, return_sequences=True)) -> Dense(4, softmax) trained "
                  "with RMSprop(0.01) on sparse_categorical_crossentropy, metrics accuracy, 4 "
                  "epochs; "
                  "zero_output_for_mask forced on both directions; each batch's loss is "
                  "sum(loss * mask) / sum(mask), history loss the batch-size-weighted mean of "
                  "those, history accuracy sum(correct * mask) / sum(mask) over the epoch",
                  optimizers.RMSprop(0.01), "sparse_categorical_crossentropy", x, y,
                  ["accuracy"], epochs=4)
