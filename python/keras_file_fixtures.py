"""Write Keras model files (.keras, and legacy .h5) for the loader's tests, into
__tests__/fixtures/keras_files/.

    python/.venv/bin/python python/keras_file_fixtures.py

Each model is built by Keras, seeded, saved with `model.save(NAME.keras)` and with Keras 3's
legacy writer as NAME.h5 (and its weights alone as NAME.legacy_weights.h5, the layout of tf.keras
2's `save_weights("w.h5")`), and its predictions on a fixed input are written beside it as NAME.json
({"keras_version", "compiled", "tolerance", "x", "x_dtype", "y"}). A compiled model is trained
for one batch first, so that its files hold the optimizer's state, and after saving for one more
batch: "next" holds that batch's targets and the weights after it ({"y_train", "weights"}, in
model.weights order), the step a loaded model must repeat. The files are Keras's own: never edit
them by hand, rerun this script. A .keras file holds the date it was saved, so a rerun changes
the bytes of the archives, not their contents.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "__tests__" / "fixtures" / "keras_files"
SEED = 1234
L = keras.layers


def functional_chain(layers, shape):
    """keras.Model(inputs, outputs) of `layers` called one after another on an Input of `shape`."""
    inputs = keras.Input(shape)
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x, name="functional_chain")


def models():
    """name -> (model builder, input maker[, optimizer to compile and train one batch with])."""
    floats = lambda rng: rng.standard_normal((3, 5, 2)).astype("float32")  # noqa: E731
    ids = lambda rng: np.concatenate(  # noqa: E731
        [rng.integers(1, 20, (3, 4)), np.zeros((3, 2), "int64")], axis=1
    ).astype("int32")
    return {
        "simple_rnn_dense": (
            lambda: [keras.Input((5, 2)), L.SimpleRNN(4, name="memory"), L.Dense(3, activation="softmax")],
            floats,
        ),
        "lstm_gru_stack": (
            lambda: [
                keras.Input((5, 2)),
                L.LSTM(4, return_sequences=True),
                L.GRU(3, return_sequences=True),
                L.GRU(2, reset_after=False),
                L.Dense(1),
            ],
            floats,
        ),
        "embedding_bilstm": (
            lambda: [
                keras.Input((6,), dtype="int32"),
                L.Embedding(20, 4, mask_zero=True),
                L.Bidirectional(L.LSTM(3)),
                L.Dropout(0.2),
                L.Dense(1, activation="sigmoid"),
            ],
            ids,
        ),
        "masking_bigru_seq": (
            lambda: [
                keras.Input((5, 2)),
                L.Masking(mask_value=0.0),
                L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="sum"),
                L.SimpleRNN(2),
            ],
            lambda rng: np.where(np.arange(5)[None, :, None] < 3, floats(rng), 0).astype("float32"),
        ),
        "rnn_cell_list": (
            lambda: [
                keras.Input((5, 2)),
                L.RNN([L.SimpleRNNCell(3), L.GRUCell(2), L.SimpleRNNCell(2)], return_sequences=True),
                L.Bidirectional(L.RNN([L.LSTMCell(2), L.LSTMCell(2)])),
                L.Dense(1),
            ],
            floats,
        ),
        "compiled_lstm_adam": (
            lambda: [keras.Input((5, 2)), L.LSTM(3), L.Dense(1)],
            floats,
            lambda: keras.optimizers.Adam(learning_rate=0.01),
        ),
        "compiled_gru_rmsprop": (
            lambda: [keras.Input((5, 2)), L.GRU(3), L.Dense(1)],
            floats,
            lambda: keras.optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
        ),
        # A Functional model that is a plain chain: loadKerasModel gives a Sequential.
        "functional_chain": (
            lambda: functional_chain(
                [L.LSTM(3, return_sequences=True), L.GRU(2), L.Dense(1)], (5, 2)
            ),
            floats,
        ),
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (layers, make_x, *optimizer) in models().items():
        keras.utils.set_random_seed(SEED)
        built = layers()
        model = built if isinstance(built, keras.Model) else keras.Sequential(built, name=name)
        rng = np.random.default_rng(SEED)
        x = make_x(rng)
        y_train = np.linspace(-1, 1, len(x), dtype="float32").reshape(-1, 1)
        if optimizer:
            model.compile(optimizer=optimizer[0](), loss="mse")
            model.fit(x, y_train, batch_size=len(x), verbose=0)
        y = model.predict(x, verbose=0)
        model.save(OUT / f"{name}.keras")
        model.save(OUT / f"{name}.h5")  # Keras 3's legacy writer: model_config + model_weights
        # A legacy weights file, as tf.keras 2's save_weights("w.h5") wrote them: the layers'
        # groups at the root, listed by its `layer_names` attribute (Keras 3 still reads them).
        with h5py.File(OUT / f"{name}.legacy_weights.h5", "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, model)
        reference = {
            "keras_version": keras.__version__,
            "compiled": bool(optimizer),
            "tolerance": 1e-5,
            "x": x.tolist(),
            "x_dtype": str(x.dtype),
            "y": np.asarray(y, "float32").tolist(),
        }
        if optimizer:
            model.fit(x, y_train, batch_size=len(x), verbose=0, shuffle=False)
            reference["next"] = {
                "y_train": y_train.tolist(),
                "weights": [np.asarray(w, "float32").reshape(-1).tolist() for w in model.get_weights()],
            }
        (OUT / f"{name}.json").write_text(json.dumps(reference) + "\n")
        print(f"wrote {name}.keras, .h5, .legacy_weights.h5 and .json")


if __name__ == "__main__":
    main()
