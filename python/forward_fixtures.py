"""Forward-pass fixtures: one short function per fixture, named as the fixture file.

Each function gets a NumPy generator from a fresh, seeded Keras session and returns the fixture
dict (its name is filled in from the function name). Kernels keep Keras's default initializers;
biases and embeddings get random values (`set_nonzero_biases`) so bias mistakes show.
"""

from __future__ import annotations

import warnings

import fixturelib as fl
from fixturelib import forward_case, gradients_section, layer_fixture, model_fixture
import numpy as np
import keras
from keras import layers

FIXTURES = []


def fixture(fn):
    """Register a fixture function; the fixture's name is the function's name."""
    FIXTURES.append(fn)
    return fn


def normal(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.normal(size=shape).astype(np.float32)


def sequential(rng: np.random.Generator, *stack) -> keras.Sequential:
    model = keras.Sequential(list(stack))
    fl.set_nonzero_biases(model, rng)
    return model


def with_gradients(fixture: dict, model, loss: str, x, y, from_logits: bool = False) -> dict:
    """Add the optional `gradients` section: d(loss)/d(trainable weights) at the stored weights."""
    fixture["gradients"] = gradients_section(model, loss, x, y, from_logits=from_logits)
    return fixture


def one_hot_letters(words: list[str], alphabet: str = "abcde") -> np.ndarray:
    """[len(words), len(word), len(alphabet)] one-hot float32 letters."""
    eye = np.eye(len(alphabet), dtype=np.float32)
    return np.stack([eye[[alphabet.index(c) for c in w]] for w in words])


def letter_ids(words: list[str], alphabet: str = "abcde") -> np.ndarray:
    return np.array([[alphabet.index(c) for c in w] for w in words], dtype=np.int32)


# --- SimpleRNN shapes ------------------------------------------------------------------------


def _simple_rnn(rng, batch, steps, features, return_sequences):
    model = sequential(rng, keras.Input(shape=(steps, features)),
                       layers.SimpleRNN(4, return_sequences=return_sequences))
    cases = [forward_case(model, "random_normal", normal(rng, batch, steps, features))]
    return model, cases


@fixture
def simple_rnn_b2_t1_f3_last(rng):
    model, cases = _simple_rnn(rng, 2, 1, 3, False)
    return model_fixture(model, "SimpleRNN(4) on [2, 1, 3] (two samples, one step, three "
                         "features), last output only", cases)


@fixture
def simple_rnn_b2_t1_f3_seq(rng):
    model, cases = _simple_rnn(rng, 2, 1, 3, True)
    return model_fixture(model, "SimpleRNN(4, return_sequences=True) on [2, 1, 3] (two samples, "
                         "one step, three features)", cases)


@fixture
def simple_rnn_b1_t4_f2_last(rng):
    model, cases = _simple_rnn(rng, 1, 4, 2, False)
    return model_fixture(model, "SimpleRNN(4) on [1, 4, 2] (one sample, four steps, two "
                         "features), last output only", cases)


@fixture
def simple_rnn_b1_t4_f2_seq(rng):
    model, cases = _simple_rnn(rng, 1, 4, 2, True)
    return model_fixture(model, "SimpleRNN(4, return_sequences=True) on [1, 4, 2] (one sample, "
                         "four steps, two features)", cases)


@fixture
def simple_rnn_b1_t1(rng):
    model, cases = _simple_rnn(rng, 1, 1, 3, False)
    return model_fixture(model, "SimpleRNN(4) on [1, 1, 3]: batch size 1 and a single time step",
                         cases)


@fixture
def simple_rnn_long_50_steps(rng):
    model = sequential(rng, keras.Input(shape=(50, 3)),
                       layers.SimpleRNN(6, return_sequences=True))
    cases = [forward_case(model, "random_normal", normal(rng, 2, 50, 3))]
    return model_fixture(model, "SimpleRNN(6, return_sequences=True) over a long sequence "
                         "[2, 50, 3]: errors that grow with the step count show here", cases)


@fixture
def simple_rnn_input_shape_kwarg(rng):
    with warnings.catch_warnings():
        # Keras 3 still accepts the Keras 2 style but warns; the fixture exists to show that
        # its JSON is the same as with keras.Input (an InputLayer with batch_shape).
        warnings.simplefilter("ignore", UserWarning)
        rnn = layers.SimpleRNN(5, return_sequences=True, input_shape=(3, 2))
    model = sequential(rng, rnn, layers.Dense(2))
    cases = [forward_case(model, "random_normal", normal(rng, 2, 3, 2))]
    return model_fixture(model, "SimpleRNN(5, return_sequences=True, input_shape=(3, 2)) -> "
                         "Dense(2): the input_shape= keyword style instead of keras.Input", cases)


@fixture
def functional_simple_rnn_dense(rng):
    x = keras.Input(shape=(4, 3), name="sequence")
    h = layers.SimpleRNN(5, return_sequences=True)(x)
    h = layers.SimpleRNN(3)(h)
    y = layers.Dense(2, activation="softmax")(h)
    model = keras.Model(x, y)
    fl.set_nonzero_biases(model, rng)
    cases = [forward_case(model, "random_normal", normal(rng, 3, 4, 3))]
    return model_fixture(model, "Functional model: Input(4, 3) -> SimpleRNN(5, seq) -> "
                         "SimpleRNN(3) -> Dense(2, softmax)", cases)


# --- stacking --------------------------------------------------------------------------------


@fixture
def simple_rnn_stacked2_dense1(rng):
    model = sequential(rng, keras.Input(shape=(5, 2)),
                       layers.SimpleRNN(4, return_sequences=True), layers.SimpleRNN(3),
                       layers.Dense(1))
    cases = [forward_case(model, "random_normal", normal(rng, 3, 5, 2))]
    fx = model_fixture(model, "two stacked SimpleRNNs (4 units with return_sequences, then 3) "
                       "-> Dense(1); gradients of mean_squared_error", cases)
    return with_gradients(fx, model, "mean_squared_error", normal(rng, 3, 5, 2), normal(rng, 3, 1))


@fixture
def simple_rnn_stacked3_dense1(rng):
    model = sequential(rng, keras.Input(shape=(5, 2)),
                       layers.SimpleRNN(4, return_sequences=True),
                       layers.SimpleRNN(5, return_sequences=True), layers.SimpleRNN(3),
                       layers.Dense(1))
    cases = [forward_case(model, "random_normal", normal(rng, 3, 5, 2))]
    return model_fixture(model, "three stacked SimpleRNNs (4 and 5 units with return_sequences, "
                         "then 3) -> Dense(1)", cases)


def _stacked_cells(rng, return_sequences):
    model = sequential(rng, keras.Input(shape=(4, 3)),
                       layers.RNN([layers.SimpleRNNCell(4), layers.SimpleRNNCell(5)],
                                  return_sequences=return_sequences))
    cases = [forward_case(model, "random_normal", normal(rng, 2, 4, 3))]
    return model, cases


@fixture
def stacked_cells_rnn_last(rng):
    model, cases = _stacked_cells(rng, False)
    return model_fixture(model, "keras.layers.RNN([SimpleRNNCell(4), SimpleRNNCell(5)]): one "
                         "layer, two cells (StackedRNNCells), last output of the top cell", cases)


@fixture
def stacked_cells_rnn_seq(rng):
    model, cases = _stacked_cells(rng, True)
    fx = model_fixture(model, "keras.layers.RNN([SimpleRNNCell(4), SimpleRNNCell(5)], "
                       "return_sequences=True): the top cell's output at every step; gradients "
                       "of mean_squared_error over the whole sequence", cases)
    return with_gradients(fx, model, "mean_squared_error", normal(rng, 2, 4, 3),
                          normal(rng, 2, 4, 5))


# --- SimpleRNN options -----------------------------------------------------------------------


def _activation(rng, activation, gradients=False):
    model = sequential(rng, keras.Input(shape=(5, 3)),
                       layers.SimpleRNN(4, activation=activation, return_sequences=True))
    cases = [forward_case(model, "random_normal", normal(rng, 2, 5, 3))]
    description = f"SimpleRNN(4, activation='{activation}', return_sequences=True) on [2, 5, 3]"
    if not gradients:
        return model_fixture(model, description, cases)
    fx = model_fixture(model, description + "; gradients of mean_squared_error over the "
                       "sequence", cases)
    return with_gradients(fx, model, "mean_squared_error", normal(rng, 2, 5, 3),
                          normal(rng, 2, 5, 4))


@fixture
def simple_rnn_activation_tanh(rng):
    return _activation(rng, "tanh")


@fixture
def simple_rnn_activation_relu(rng):
    return _activation(rng, "relu", gradients=True)


@fixture
def simple_rnn_activation_sigmoid(rng):
    return _activation(rng, "sigmoid")


@fixture
def simple_rnn_activation_linear(rng):
    return _activation(rng, "linear")


def activation_grid(low: float, high: float, extra: list[float]) -> np.ndarray:
    """[N, 1, 1]: a fine grid over [low, high], then tiny, huge and boundary values."""
    grid = np.linspace(low, high, 4001, dtype=np.float32)
    return np.concatenate([grid, np.float32(extra)]).reshape(-1, 1, 1)


def _activation_grid(activation: str, x: np.ndarray, keras_fn, what: str) -> dict:
    # kernel 1, recurrent kernel 0 and bias 0: the layer's output is TensorFlow's activation of
    # its input, exactly (x * 1 + 0 + 0 * 0 is x).
    model = keras.Sequential([keras.Input(shape=(1, 1)),
                              layers.SimpleRNN(1, activation=activation)])
    cell = model.layers[0].cell
    cell.kernel.assign(np.ones((1, 1), np.float32))
    cell.recurrent_kernel.assign(np.zeros((1, 1), np.float32))
    cell.bias.assign(np.zeros((1,), np.float32))
    case = forward_case(model, f"{activation}_grid", x, atol=4e-7)
    got = np.asarray(case["outputs"][0]["data"], np.float32)
    want = fl.to_numpy(keras_fn(x.reshape(-1, 1)))
    if not np.array_equal(got.reshape(-1), want.reshape(-1)):
        raise AssertionError(f"simple_rnn_{activation}_grid: the output is not exactly "
                             f"{activation}(x)")
    return model_fixture(model, f"SimpleRNN(1, activation='{activation}') with kernel 1, recurrent "
                         f"kernel 0 and bias 0 on [{x.shape[0]}, 1, 1]: its output is "
                         f"TensorFlow's own float32 {activation} of each input, on {what}. atol "
                         f"4e-7 (the approximation's error); the kernels' tests compare with 0 "
                         f"tolerance", [case])


@fixture
def simple_rnn_tanh_grid(rng):
    x = activation_grid(-9.0, 9.0, [0.0, 1e-30, -1e-30, 3e-4, -5e-4, 1.25, -1.25, 7.9, 7.9073896,
                                    7.95, -8.02, 30.0, -30.0, 1e30, -1e30])
    return _activation_grid("tanh", x, keras.ops.tanh, "a grid over [-9, 9] plus tiny, huge and "
                            "boundary values")


@fixture
def simple_rnn_sigmoid_grid(rng):
    x = activation_grid(-110.0, 20.0, [0.0, 1e-30, -1e-30, 16.6355324, 16.64, -87.0, -104.0,
                                       -104.01, 40.0, 1e30, -1e30])
    return _activation_grid("sigmoid", x, keras.ops.sigmoid, "a grid over [-110, 20] (down to "
                            "where it is 0) plus tiny, huge and boundary values")


@fixture
def simple_rnn_no_bias(rng):
    model = sequential(rng, keras.Input(shape=(4, 3)),
                       layers.SimpleRNN(4, use_bias=False, return_sequences=True))
    cases = [forward_case(model, "random_normal", normal(rng, 2, 4, 3))]
    fx = model_fixture(model, "SimpleRNN(4, use_bias=False, return_sequences=True): no bias "
                       "weight at all; gradients of mean_squared_error", cases)
    return with_gradients(fx, model, "mean_squared_error", normal(rng, 2, 4, 3),
                          normal(rng, 2, 4, 4))


def _go_backwards(rng, return_sequences):
    model = sequential(rng, keras.Input(shape=(5, 3)),
                       layers.SimpleRNN(4, go_backwards=True, return_sequences=return_sequences))
    cases = [forward_case(model, "random_normal", normal(rng, 2, 5, 3))]
    return model, cases


@fixture
def simple_rnn_go_backwards_seq(rng):
    model, cases = _go_backwards(rng, True)
    fx = model_fixture(model, "SimpleRNN(4, go_backwards=True, return_sequences=True): the "
                       "sequence is returned in processing order, so step 0 of the output saw "
                       "only the last input step and the last output step is the final state; "
                       "gradients of mean_squared_error over the sequence", cases)
    return with_gradients(fx, model, "mean_squared_error", normal(rng, 2, 5, 3),
                          normal(rng, 2, 5, 4))


@fixture
def simple_rnn_go_backwards_last(rng):
    model, cases = _go_backwards(rng, False)
    fx = model_fixture(model, "SimpleRNN(4, go_backwards=True): the output after reading the "
                       "input from its last step to its first; gradients of mean_squared_error",
                       cases)
    return with_gradients(fx, model, "mean_squared_error", normal(rng, 2, 5, 3),
                          normal(rng, 2, 4))


def _return_state(rng, return_sequences):
    layer = layers.SimpleRNN(4, return_state=True, return_sequences=return_sequences)
    layer.build((None, 5, 3))
    fl.set_nonzero_biases(layer, rng)
    cases = [forward_case(layer, "random_normal", normal(rng, 2, 5, 3))]
    return layer, cases


@fixture
def layer_simple_rnn_return_state(rng):
    layer, cases = _return_state(rng, False)
    return layer_fixture(layer, "one SimpleRNN(4, return_state=True) layer on [2, 5, 3]; "
                         "outputs: the last output [2, 4], then the final state [2, 4]",
                         [None, 5, 3], cases)


@fixture
def layer_simple_rnn_return_state_seq(rng):
    layer, cases = _return_state(rng, True)
    return layer_fixture(layer, "one SimpleRNN(4, return_state=True, return_sequences=True) "
                         "layer on [2, 5, 3]; outputs: the sequence [2, 5, 4], then the final "
                         "state [2, 4]", [None, 5, 3], cases)


@fixture
def simple_rnn_cell_dropout_inference(rng):
    model = sequential(rng, keras.Input(shape=(4, 3)),
                       layers.SimpleRNN(4, dropout=0.3, recurrent_dropout=0.2,
                                        return_sequences=True))
    cases = [forward_case(model, "random_normal", normal(rng, 2, 4, 3))]
    return model_fixture(model, "SimpleRNN(4, dropout=0.3, recurrent_dropout=0.2, "
                         "return_sequences=True) at inference: both dropouts must be ignored",
                         cases)


# --- Dense, Embedding, Dropout ---------------------------------------------------------------


@fixture
def simple_rnn_seq_dense_softmax_per_step(rng):
    model = sequential(rng, keras.Input(shape=(4, 3)),
                       layers.SimpleRNN(4, return_sequences=True),
                       layers.Dense(5, activation="softmax"))
    cases = [forward_case(model, "random_normal", normal(rng, 2, 4, 3))]
    fx = model_fixture(model, "SimpleRNN(4, return_sequences=True) -> Dense(5, softmax): Dense "
                       "on rank-3 input, applied at every step (softmax over the last axis); "
                       "gradients of sparse_categorical_crossentropy with one class id per "
                       "step, y [batch, T] (the loss is the mean over batch and steps)", cases)
    y = rng.integers(0, 5, size=(3, 4)).astype(np.int32)
    return with_gradients(fx, model, "sparse_categorical_crossentropy", normal(rng, 3, 4, 3), y)


@fixture
def embedding_simple_rnn_dense(rng):
    model = sequential(rng, keras.Input(shape=(6,), dtype="int32"), layers.Embedding(10, 3),
                       layers.SimpleRNN(4), layers.Dense(4, activation="softmax"))
    ids = rng.integers(0, 10, size=(3, 6)).astype(np.int32)
    cases = [forward_case(model, "random_ids", ids)]
    fx = model_fixture(model, "Embedding(10, 3) -> SimpleRNN(4) -> Dense(4, softmax) on int32 "
                       "token ids [3, 6]; gradients of sparse_categorical_crossentropy, "
                       "including the embedding table's (rows of unused ids are zero)", cases)
    x = rng.integers(0, 10, size=(4, 6)).astype(np.int32)
    y = rng.integers(0, 4, size=(4,)).astype(np.int32)
    return with_gradients(fx, model, "sparse_categorical_crossentropy", x, y)


@fixture
def simple_rnn_dropout_layer_inference(rng):
    model = sequential(rng, keras.Input(shape=(4, 3)), layers.SimpleRNN(5), layers.Dropout(0.2),
                       layers.Dense(2))
    cases = [forward_case(model, "random_normal", normal(rng, 3, 4, 3))]
    return model_fixture(model, "SimpleRNN(5) -> Dropout(0.2) -> Dense(2) at inference: the "
                         "Dropout layer is the identity", cases)


@fixture
def dense_sigmoid_no_bias(rng):
    model = sequential(rng, keras.Input(shape=(6,)),
                       layers.Dense(4, activation="sigmoid", use_bias=False))
    cases = [forward_case(model, "random_normal", normal(rng, 3, 6))]
    return model_fixture(model, "Dense(4, activation='sigmoid', use_bias=False) on rank-2 input "
                         "[3, 6]", cases)


# --- the course's models ---------------------------------------------------------------------


@fixture
def letters_onehot_1step(rng):
    model = sequential(rng, keras.Input(shape=(1, 5)), layers.SimpleRNN(3),
                       layers.Dense(5, activation="softmax"))
    cases = [forward_case(model, "letters_abcde", one_hot_letters(list("abcde"))),
             forward_case(model, "random_normal", normal(rng, 2, 1, 5))]
    return model_fixture(model, "letters model: one-hot 'a'..'e' as one step [batch, 1, 5] -> "
                         "SimpleRNN(3) -> Dense(5, softmax)", cases)


@fixture
def letters_onehot_4steps(rng):
    model = sequential(rng, keras.Input(shape=(4, 5)), layers.SimpleRNN(3),
                       layers.Dense(5, activation="softmax"))
    cases = [forward_case(model, "letters_abcd_bcde", one_hot_letters(["abcd", "bcde"])),
             forward_case(model, "letters_abcd", one_hot_letters(["abcd"]))]
    return model_fixture(model, "letters model: four one-hot letters [batch, 4, 5] -> "
                         "SimpleRNN(3) -> Dense(5, softmax) predicting the next letter", cases)


@fixture
def letters_embedding_1step(rng):
    model = sequential(rng, keras.Input(shape=(1,), dtype="int32"), layers.Embedding(5, 2),
                       layers.SimpleRNN(3), layers.Dense(5, activation="softmax"))
    cases = [forward_case(model, "letters_abcde", letter_ids(list("abcde")))]
    return model_fixture(model, "letters model: int32 letter ids [batch, 1] -> Embedding(5, 2) -> "
                         "SimpleRNN(3) -> Dense(5, softmax)", cases)


@fixture
def letters_embedding_4steps(rng):
    model = sequential(rng, keras.Input(shape=(4,), dtype="int32"), layers.Embedding(5, 2),
                       layers.SimpleRNN(3), layers.Dense(5, activation="softmax"))
    cases = [forward_case(model, "letters_abcd_bcde", letter_ids(["abcd", "bcde"]))]
    return model_fixture(model, "letters model: int32 letter ids [batch, 4] -> Embedding(5, 2) -> "
                         "SimpleRNN(3) -> Dense(5, softmax)", cases)


@fixture
def stock_model(rng):
    model = sequential(rng, keras.Input(shape=(60, 1)),
                       layers.SimpleRNN(80, return_sequences=True), layers.Dropout(0.2),
                       layers.SimpleRNN(100), layers.Dropout(0.2), layers.Dense(1))
    # Three min-max scaled random walks, like windows of scaled prices.
    walks = np.cumsum(rng.normal(size=(3, 60, 1)), axis=1)
    lo, hi = walks.min(axis=1, keepdims=True), walks.max(axis=1, keepdims=True)
    x = ((walks - lo) / (hi - lo)).astype(np.float32)
    cases = [forward_case(model, "scaled_random_walks", x)]
    fx = model_fixture(model, "the stock model: Input(60, 1) -> SimpleRNN(80, "
                       "return_sequences=True) -> Dropout(0.2) -> SimpleRNN(100) -> "
                       "Dropout(0.2) -> Dense(1), at inference on a batch of 3 windows; "
                       "gradients of mean_squared_error with training off (no dropout)", cases)
    return with_gradients(fx, model, "mean_squared_error", x, rng.uniform(size=(3, 1)))


# --- LSTM ------------------------------------------------------------------------------------
# Keras 3, implementation 2: z = x @ kernel + h @ recurrent_kernel + bias, split in four along
# the last axis as gates i, f, c, o; c' = f * c + i * tanh(z_c), h' = o * tanh(c').


def _recurrent(rng, layer, batch=2, steps=4, features=3, scale=1.0):
    """Sequential(Input, layer) with nonzero biases and one random_normal case."""
    model = sequential(rng, keras.Input(shape=(steps, features)), layer)
    cases = [forward_case(model, "random_normal", normal(rng, batch, steps, features) * scale)]
    return model, cases


@fixture
def lstm_last(rng):
    model, cases = _recurrent(rng, layers.LSTM(4))
    fx = model_fixture(model, "LSTM(4) on [2, 4, 3], last output only (Keras defaults: tanh, "
                       "sigmoid gates, unit_forget_bias); gradients of mean_squared_error", cases)
    return with_gradients(fx, model, "mean_squared_error", normal(rng, 3, 4, 3), normal(rng, 3, 4))


@fixture
def lstm_seq(rng):
    model, cases = _recurrent(rng, layers.LSTM(4, return_sequences=True), steps=5)
    return model_fixture(model, "LSTM(4, return_sequences=True) on [2, 5, 3]", cases)


@fixture
def lstm_no_unit_forget_bias(rng):
    model, cases = _recurrent(rng, layers.LSTM(3, unit_forget_bias=False, return_sequences=True))
    return model_fixture(model, "LSTM(3, unit_forget_bias=False, return_sequences=True) on "
                         "[2, 4, 3]: unit_forget_bias only sets the bias's initial value (1 on "
                         "the forget quarter); the stored bias is used as it is", cases)


@fixture
def lstm_hard_sigmoid(rng):
    model, cases = _recurrent(rng, layers.LSTM(4, recurrent_activation="hard_sigmoid",
                                               return_sequences=True), scale=3.0)
    return model_fixture(model, "LSTM(4, recurrent_activation='hard_sigmoid', "
                         "return_sequences=True) on 3 * normal [2, 4, 3]: Keras 3's hard_sigmoid "
                         "is relu6(x + 3) / 6 (0 below -3, 1 above 3), inputs large enough to "
                         "reach both flat parts", cases)


@fixture
def lstm_go_backwards_seq(rng):
    model, cases = _recurrent(rng, layers.LSTM(4, go_backwards=True, return_sequences=True),
                              steps=5)
    return model_fixture(model, "LSTM(4, go_backwards=True, return_sequences=True) on [2, 5, 3]: "
                         "the sequence in processing order (output step 0 saw only the last "
                         "input step)", cases)


def _layer_return_state(rng, layer, description):
    layer.build((None, 5, 3))
    fl.set_nonzero_biases(layer, rng)
    cases = [forward_case(layer, "random_normal", normal(rng, 2, 5, 3))]
    return layer_fixture(layer, description, [None, 5, 3], cases)


@fixture
def lstm_layer_return_state(rng):
    return _layer_return_state(rng, layers.LSTM(4, return_state=True), "one LSTM(4, "
                               "return_state=True) layer on [2, 5, 3]; outputs: the last output "
                               "[2, 4], then the final h [2, 4] and the final c [2, 4]")


@fixture
def lstm_layer_return_state_seq(rng):
    return _layer_return_state(rng, layers.LSTM(4, return_state=True, return_sequences=True),
                               "one LSTM(4, return_state=True, return_sequences=True) layer on "
                               "[2, 5, 3]; outputs: the sequence [2, 5, 4], then the final h "
                               "[2, 4] and the final c [2, 4]")


@fixture
def lstm_no_bias(rng):
    model, cases = _recurrent(rng, layers.LSTM(4, use_bias=False, return_sequences=True))
    return model_fixture(model, "LSTM(4, use_bias=False, return_sequences=True) on [2, 4, 3]: "
                         "no bias weight at all", cases)


@fixture
def lstm_stacked2_dense1(rng):
    model = sequential(rng, keras.Input(shape=(5, 2)), layers.LSTM(4, return_sequences=True),
                       layers.LSTM(3), layers.Dense(1))
    cases = [forward_case(model, "random_normal", normal(rng, 3, 5, 2))]
    return model_fixture(model, "two stacked LSTMs (4 units with return_sequences, then 3) -> "
                         "Dense(1) on [3, 5, 2]", cases)


@fixture
def lstm_embedding_classifier(rng):
    model = sequential(rng, keras.Input(shape=(6,), dtype="int32"), layers.Embedding(10, 3),
                       layers.LSTM(4), layers.Dense(4, activation="softmax"))
    cases = [forward_case(model, "random_ids", rng.integers(0, 10, size=(3, 6)))]
    return model_fixture(model, "Embedding(10, 3) -> LSTM(4) -> Dense(4, softmax) on int32 "
                         "token ids [3, 6]", cases)


# --- GRU -------------------------------------------------------------------------------------
# Keras 3, implementation 2, gates z, r, h in that order along the last axis. reset_after=True
# (the default): bias [2, 3 * units], row 0 added to x @ kernel, row 1 to h @ recurrent_kernel,
# hh = tanh(x_h + r * (h @ U_h + b1_h)). reset_after=False: bias [3 * units] on the input side
# only, hh = tanh(x_h + (r * h) @ U_h). Then h' = z * h + (1 - z) * hh.


@fixture
def gru_last(rng):
    model, cases = _recurrent(rng, layers.GRU(4))
    fx = model_fixture(model, "GRU(4) on [2, 4, 3], last output only (Keras defaults: "
                       "reset_after=True, bias [2, 12]); gradients of mean_squared_error", cases)
    return with_gradients(fx, model, "mean_squared_error", normal(rng, 3, 4, 3), normal(rng, 3, 4))


@fixture
def gru_seq(rng):
    model, cases = _recurrent(rng, layers.GRU(4, return_sequences=True), steps=5)
    return model_fixture(model, "GRU(4, return_sequences=True) on [2, 5, 3] (reset_after=True)",
                         cases)


@fixture
def gru_reset_after_false(rng):
    model, cases = _recurrent(rng, layers.GRU(4, reset_after=False, return_sequences=True))
    fx = model_fixture(model, "GRU(4, reset_after=False, return_sequences=True) on [2, 4, 3]: "
                       "bias [12] on the input side only, the reset gate applied to h before "
                       "its product with the recurrent kernel; gradients of mean_squared_error "
                       "over the sequence", cases)
    return with_gradients(fx, model, "mean_squared_error", normal(rng, 3, 4, 3),
                          normal(rng, 3, 4, 4))


@fixture
def gru_go_backwards_seq(rng):
    model, cases = _recurrent(rng, layers.GRU(4, go_backwards=True, return_sequences=True),
                              steps=5)
    return model_fixture(model, "GRU(4, go_backwards=True, return_sequences=True) on [2, 5, 3]: "
                         "the sequence in processing order (output step 0 saw only the last "
                         "input step)", cases)


@fixture
def gru_layer_return_state(rng):
    return _layer_return_state(rng, layers.GRU(4, return_state=True), "one GRU(4, "
                               "return_state=True) layer on [2, 5, 3]; outputs: the last output "
                               "[2, 4], then the final state h [2, 4]")


@fixture
def gru_layer_return_state_seq(rng):
    return _layer_return_state(rng, layers.GRU(4, return_state=True, return_sequences=True),
                               "one GRU(4, return_state=True, return_sequences=True) layer on "
                               "[2, 5, 3]; outputs: the sequence [2, 5, 4], then the final "
                               "state h [2, 4]")


@fixture
def gru_no_bias(rng):
    model, cases = _recurrent(rng, layers.GRU(4, use_bias=False, return_sequences=True))
    return model_fixture(model, "GRU(4, use_bias=False, return_sequences=True) on [2, 4, 3] "
                         "(reset_after=True): no bias weight at all", cases)


@fixture
def gru_hard_sigmoid(rng):
    model, cases = _recurrent(rng, layers.GRU(4, recurrent_activation="hard_sigmoid",
                                              return_sequences=True), scale=3.0)
    return model_fixture(model, "GRU(4, recurrent_activation='hard_sigmoid', "
                         "return_sequences=True) on 3 * normal [2, 4, 3]: Keras 3's hard_sigmoid "
                         "is relu6(x + 3) / 6 (0 below -3, 1 above 3), inputs large enough to "
                         "reach both flat parts", cases)


@fixture
def gru_stacked2_dense1(rng):
    model = sequential(rng, keras.Input(shape=(5, 2)), layers.GRU(4, return_sequences=True),
                       layers.GRU(3), layers.Dense(1))
    cases = [forward_case(model, "random_normal", normal(rng, 3, 5, 2))]
    return model_fixture(model, "two stacked GRUs (4 units with return_sequences, then 3) -> "
                         "Dense(1) on [3, 5, 2]", cases)


# --- one RNN layer over GRU, LSTM and SimpleRNN cells ----------------------------------------


def _mixed_cells(return_sequences=False, return_state=False):
    return layers.RNN([layers.GRUCell(5), layers.LSTMCell(4), layers.SimpleRNNCell(3)],
                      return_sequences=return_sequences, return_state=return_state)


@fixture
def mixed_cells_rnn_last(rng):
    model, cases = _recurrent(rng, _mixed_cells())
    fx = model_fixture(model, "keras.layers.RNN([GRUCell(5), LSTMCell(4), SimpleRNNCell(3)]): "
                       "one layer, three cells of three kinds (StackedRNNCells) on [2, 4, 3], "
                       "last output of the top cell; gradients of mean_squared_error", cases)
    return with_gradients(fx, model, "mean_squared_error", normal(rng, 3, 4, 3), normal(rng, 3, 3))


@fixture
def mixed_cells_rnn_seq(rng):
    model, cases = _recurrent(rng, _mixed_cells(return_sequences=True), steps=5)
    return model_fixture(model, "keras.layers.RNN([GRUCell(5), LSTMCell(4), SimpleRNNCell(3)], "
                         "return_sequences=True) on [2, 5, 3]: the top cell's output at every "
                         "step", cases)


@fixture
def mixed_cells_layer_return_state(rng):
    return _layer_return_state(rng, _mixed_cells(return_state=True), "one keras.layers.RNN("
                               "[GRUCell(5), LSTMCell(4), SimpleRNNCell(3)], return_state=True) "
                               "layer on [2, 5, 3]. Keras returns output, [h_gru], [h_lstm, "
                               "c_lstm], [h_simple]; outputs, flattened in that order: the last "
                               "output [2, 3], h of the GRU cell [2, 5], h [2, 4] and c [2, 4] "
                               "of the LSTM cell, h of the SimpleRNN cell [2, 3]")
