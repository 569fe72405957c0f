"""Gradient-only and training fixtures (`train_*`, `lstm_train_*`, `gru_train_*`): one short
function per fixture.

A training fixture stores its starting weights in `weights`, then `training` holds what
`model.fit(x, y, batch_size=4, epochs=4, shuffle=False)` reported from those weights: 10 samples,
so every epoch has batches of 4, 4 and 2. No Dropout here: its mask would depend on Keras's RNG.
"""

from __future__ import annotations

from fixturelib import forward_case, model_fixture, training_section
from forward_fixtures import fixture, normal, sequential, with_gradients
import numpy as np
import keras
from keras import layers, optimizers

SAMPLES, STEPS, FEATURES = 10, 4, 2
BATCH_SIZE, EPOCHS = 4, 4


def _rnn_dense(rng, units_out, activation=None, return_sequences=False):
    return sequential(rng, keras.Input(shape=(STEPS, FEATURES)),
                      layers.SimpleRNN(3, return_sequences=return_sequences),
                      layers.Dense(units_out, activation=activation))


def _train(rng, model, description, optimizer, loss, y, *, x=None, from_logits=False,
           metrics=()):
    """A train_* fixture: forward case and starting weights first, then fit in place."""
    x = normal(rng, SAMPLES, STEPS, FEATURES) if x is None else x
    fx = model_fixture(model, description, [forward_case(model, "first_three_samples", x[:3])])
    fx["training"] = training_section(model, optimizer, loss, x, y, batch_size=BATCH_SIZE,
                                      epochs=EPOCHS, from_logits=from_logits, metrics=metrics)
    return fx


def _classes(rng, n_classes, shape=(SAMPLES,)):
    return rng.integers(0, n_classes, size=shape).astype(np.int32)


# --- gradients only --------------------------------------------------------------------------


@fixture
def grad_simple_rnn_logits_sparse_ce(rng):
    model = _rnn_dense(rng, 5)
    x = normal(rng, 3, STEPS, FEATURES)
    fx = model_fixture(model, "SimpleRNN(3) -> Dense(5) with linear output (logits); gradients "
                       "of sparse_categorical_crossentropy with from_logits=True",
                       [forward_case(model, "random_normal", x)])
    return with_gradients(fx, model, "sparse_categorical_crossentropy", x, _classes(rng, 5, (3,)),
                          from_logits=True)


@fixture
def grad_simple_rnn_sigmoid_binary_ce(rng):
    model = _rnn_dense(rng, 1, "sigmoid")
    x = normal(rng, 3, STEPS, FEATURES)
    fx = model_fixture(model, "SimpleRNN(3) -> Dense(1, sigmoid); gradients of "
                       "binary_crossentropy on probabilities",
                       [forward_case(model, "random_normal", x)])
    return with_gradients(fx, model, "binary_crossentropy", x,
                          _classes(rng, 2, (3, 1)).astype(np.float32))


# --- optimizers and losses -------------------------------------------------------------------


@fixture
def train_sgd_mse(rng):
    return _train(rng, _rnn_dense(rng, 1), "SimpleRNN(3) -> Dense(1) trained with plain "
                  "SGD(learning_rate=0.1) on mean_squared_error", optimizers.SGD(0.1),
                  "mean_squared_error", normal(rng, SAMPLES, 1))


@fixture
def train_sgd_momentum_mse(rng):
    return _train(rng, _rnn_dense(rng, 1), "SimpleRNN(3) -> Dense(1) trained with "
                  "SGD(learning_rate=0.05, momentum=0.9) on mean_squared_error",
                  optimizers.SGD(0.05, momentum=0.9), "mean_squared_error",
                  normal(rng, SAMPLES, 1))


@fixture
def train_sgd_nesterov_binary_crossentropy(rng):
    return _train(rng, _rnn_dense(rng, 1, "sigmoid"), "SimpleRNN(3) -> Dense(1, sigmoid) trained "
                  "with SGD(learning_rate=0.1, momentum=0.9, nesterov=True) on "
                  "binary_crossentropy, accuracy = binary_accuracy",
                  optimizers.SGD(0.1, momentum=0.9, nesterov=True), "binary_crossentropy",
                  _classes(rng, 2, (SAMPLES, 1)).astype(np.float32), metrics=["accuracy"])


@fixture
def train_adam_categorical_crossentropy(rng):
    y = np.eye(3, dtype=np.float32)[_classes(rng, 3)]
    return _train(rng, _rnn_dense(rng, 3, "softmax"), "SimpleRNN(3) -> Dense(3, softmax) trained "
                  "with Adam(learning_rate=0.01) on categorical_crossentropy with one-hot y, "
                  "accuracy = categorical_accuracy", optimizers.Adam(0.01),
                  "categorical_crossentropy", y, metrics=["accuracy"])


@fixture
def train_rmsprop_sparse_categorical_crossentropy(rng):
    return _train(rng, _rnn_dense(rng, 3, "softmax"), "SimpleRNN(3) -> Dense(3, softmax) trained "
                  "with RMSprop(learning_rate=0.01) on sparse_categorical_crossentropy, accuracy "
                  "= sparse_categorical_accuracy", optimizers.RMSprop(0.01),
                  "sparse_categorical_crossentropy", _classes(rng, 3), metrics=["accuracy"])


@fixture
def train_rmsprop_centered_mse(rng):
    return _train(rng, _rnn_dense(rng, 1), "SimpleRNN(3) -> Dense(1) trained with "
                  "RMSprop(learning_rate=0.01, centered=True) on mean_squared_error",
                  optimizers.RMSprop(0.01, centered=True), "mean_squared_error",
                  normal(rng, SAMPLES, 1))


@fixture
def train_adagrad_sparse_ce_from_logits(rng):
    return _train(rng, _rnn_dense(rng, 3), "SimpleRNN(3) -> Dense(3) (logits) trained with "
                  "Adagrad(learning_rate=0.1) on sparse_categorical_crossentropy with "
                  "from_logits=True, accuracy = sparse_categorical_accuracy",
                  optimizers.Adagrad(0.1), "sparse_categorical_crossentropy", _classes(rng, 3),
                  from_logits=True, metrics=["accuracy"])


@fixture
def train_adamax_seq_mse(rng):
    return _train(rng, _rnn_dense(rng, 1, return_sequences=True), "SimpleRNN(3, "
                  "return_sequences=True) -> Dense(1) per step trained with "
                  "Adamax(learning_rate=0.01) on mean_squared_error over y [10, 4, 1] (mean over "
                  "batch and steps)", optimizers.Adamax(0.01), "mean_squared_error",
                  normal(rng, SAMPLES, STEPS, 1))


@fixture
def train_stacked_adam_mse(rng):
    model = sequential(rng, keras.Input(shape=(STEPS, FEATURES)),
                       layers.SimpleRNN(4, return_sequences=True), layers.SimpleRNN(3),
                       layers.Dense(1))
    return _train(rng, model, "SimpleRNN(4, return_sequences=True) -> SimpleRNN(3) -> Dense(1) "
                  "trained with Adam() defaults on mean_squared_error", optimizers.Adam(),
                  "mean_squared_error", normal(rng, SAMPLES, 1))


@fixture
def train_letters_embedding_adam(rng):
    text = "abcde" * 3
    ids = np.array([[ord(c) - ord("a") for c in text[i:i + 5]] for i in range(SAMPLES)],
                   dtype=np.int32)
    model = sequential(rng, keras.Input(shape=(4,), dtype="int32"), layers.Embedding(5, 2),
                       layers.SimpleRNN(3), layers.Dense(5, activation="softmax"))
    return _train(rng, model, "the letters model Embedding(5, 2) -> SimpleRNN(3) -> Dense(5, "
                  "softmax) trained with Adam(learning_rate=0.05) to predict the letter after "
                  "four, sparse_categorical_crossentropy, accuracy. Letters repeat within a "
                  "batch, and Keras (TensorFlow backend) gets the embedding gradient as one row "
                  "per lookup: Adam's second moment v adds the SUM OF THE SQUARED ROWS of each "
                  "id, not the square of their sum (m uses the plain summed gradient)",
                  optimizers.Adam(0.05),
                  "sparse_categorical_crossentropy", ids[:, 4], x=ids[:, :4],
                  metrics=["accuracy"])


@fixture
def train_embedding_sgd_sparse_ce(rng):
    ids = rng.integers(0, 6, size=(SAMPLES, STEPS)).astype(np.int32)
    model = sequential(rng, keras.Input(shape=(STEPS,), dtype="int32"), layers.Embedding(6, 3),
                       layers.SimpleRNN(3), layers.Dense(3, activation="softmax"))
    return _train(rng, model, "Embedding(6, 3) -> SimpleRNN(3) -> Dense(3, softmax) trained with "
                  "SGD(learning_rate=0.5) on sparse_categorical_crossentropy: the embedding's "
                  "training without the per-lookup squares of adaptive optimizers (SGD is "
                  "linear in the gradient)", optimizers.SGD(0.5),
                  "sparse_categorical_crossentropy", _classes(rng, 3), x=ids, metrics=["accuracy"])


# --- gradient clipping (SGD, whose update shows the clipped gradient as it is) ---------------


@fixture
def train_sgd_clipnorm(rng):
    return _train(rng, _rnn_dense(rng, 1), "SimpleRNN(3) -> Dense(1) trained with "
                  "SGD(learning_rate=0.1, clipnorm=0.2): each weight's gradient rescaled to L2 "
                  "norm at most 0.2", optimizers.SGD(0.1, clipnorm=0.2), "mean_squared_error",
                  normal(rng, SAMPLES, 1) * 3)


@fixture
def train_sgd_clipvalue(rng):
    return _train(rng, _rnn_dense(rng, 1), "SimpleRNN(3) -> Dense(1) trained with "
                  "SGD(learning_rate=0.1, clipvalue=0.05): every gradient element clipped to "
                  "[-0.05, 0.05]", optimizers.SGD(0.1, clipvalue=0.05), "mean_squared_error",
                  normal(rng, SAMPLES, 1) * 3)


@fixture
def train_sgd_global_clipnorm(rng):
    return _train(rng, _rnn_dense(rng, 1), "SimpleRNN(3) -> Dense(1) trained with "
                  "SGD(learning_rate=0.1, momentum=0.5, global_clipnorm=0.3): all gradients "
                  "rescaled together to a global L2 norm of at most 0.3",
                  optimizers.SGD(0.1, momentum=0.5, global_clipnorm=0.3), "mean_squared_error",
                  normal(rng, SAMPLES, 1) * 3)


# --- LSTM and GRU ----------------------------------------------------------------------------


@fixture
def lstm_train_stacked_adam_mse(rng):
    model = sequential(rng, keras.Input(shape=(STEPS, FEATURES)),
                       layers.LSTM(4, return_sequences=True), layers.LSTM(3), layers.Dense(1))
    return _train(rng, model, "LSTM(4, return_sequences=True) -> LSTM(3) -> Dense(1) trained "
                  "with Adam(learning_rate=0.01) on mean_squared_error", optimizers.Adam(0.01),
                  "mean_squared_error", normal(rng, SAMPLES, 1))


@fixture
def gru_train_rmsprop_clipnorm(rng):
    model = sequential(rng, keras.Input(shape=(STEPS, FEATURES)), layers.GRU(3),
                       layers.Dense(1))
    return _train(rng, model, "GRU(3) (reset_after=True) -> Dense(1) trained with "
                  "RMSprop(learning_rate=0.01, clipnorm=0.1) on mean_squared_error: each "
                  "weight's gradient rescaled to L2 norm at most 0.1 before the RMSprop update",
                  optimizers.RMSprop(0.01, clipnorm=0.1), "mean_squared_error",
                  normal(rng, SAMPLES, 1) * 3)


@fixture
def lstm_train_no_dropout_sgd_binary_crossentropy(rng):
    model = sequential(rng, keras.Input(shape=(STEPS, FEATURES)),
                       layers.LSTM(3, dropout=0.0, recurrent_dropout=0.0),
                       layers.Dense(1, activation="sigmoid"))
    return _train(rng, model, "LSTM(3, dropout=0.0, recurrent_dropout=0.0) -> Dense(1, sigmoid) "
                  "trained with SGD(learning_rate=0.1, momentum=0.9) on binary_crossentropy, "
                  "accuracy = binary_accuracy; both dropouts are written out as 0 (no randomness "
                  "in fit)", optimizers.SGD(0.1, momentum=0.9), "binary_crossentropy",
                  _classes(rng, 2, (SAMPLES, 1)).astype(np.float32), metrics=["accuracy"])
