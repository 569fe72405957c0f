"""Times Python Keras on the benchmark models, for bench/run.ts to compare against.

Two ways to run it:

  keras_bench.py MODEL SAMPLES EPOCHS BATCH
      One measurement, on data of the same kind as the bench's, drawn here. Prints one JSON
      line: {"train_samples_per_s": ..., "predict_samples_per_s": ..., "first_epoch_s": ...,
      ...}. The first epoch (graph tracing) is timed on its own and left out of the rate.

  keras_bench.py --serve
      A worker that bench/run.ts keeps open, so that Keras rounds can alternate with the
      JavaScript ones without paying TensorFlow's import each time. Reads one JSON command a line
      on stdin and answers each with one JSON line on stdout:
        {"cmd": "setup", "key": "stock:512", "model": "stock", "samples": 512, "batch": 64,
         "x": {"values": [...], "shape": [512, 60, 1], "dtype": "float32"}, "y": {...}}
            builds the model under the name `key` (default: the model's name) with the data
            x, y (bench/data.ts's, sent by bench/run.ts; without them, data of the same kind
            drawn here), kept until exit (several may be set up)
            -> {"ok": true, "keras": ..., "tensorflow": ..., "params": ...}
        {"cmd": "train", "key": "stock:512", "epochs": 2}
            -> {"ok": true, "seconds": ..., "epoch_seconds": [...], "loss": [...]}
        {"cmd": "predict", "key": "stock:512"}
            -> {"ok": true, "seconds": ...}
        {"cmd": "memory"}
            -> {"ok": true, "max_rss_bytes": ...}
        {"cmd": "exit"}
      A failing command answers {"ok": false, "error": "..."} and the worker goes on.

The models match bench/models.ts: "letters" (4x5 one-hot -> SimpleRNN(3) -> Dense(5, softmax),
sparse categorical crossentropy, Adam lr 0.01) and "stock" (60x1 -> SimpleRNN(80,
return_sequences) -> SimpleRNN(100) -> Dense(1), MSE, Adam); "stock-lstm" and "stock-gru" are
the stock shape with LSTM or GRU layers (Keras's defaults); "imdb" is 80 word ids padded with 0
-> Embedding(5000, 64, mask_zero=True) -> Bidirectional(LSTM(64)) -> Dense(1, sigmoid), binary
crossentropy, Adam.

The grid's models (bench/grid/points.ts, `npm run bench:grid`) are named by their shape:
"grid:CELL:UNITS:STEPS:FEATURES" is [STEPS x FEATURES] -> CELL(UNITS) -> Dense(1), MSE, Adam (CELL
one of SimpleRNN, LSTM, GRU, Keras's defaults), e.g. "grid:LSTM:256:100:32";
"embedding-classifier" is 80 word ids in [1, 2000) -> Embedding(2000, 64) -> SimpleRNN(128) ->
Dense(4, softmax), sparse categorical crossentropy with accuracy, Adam; "tagger" is 30x8 ->
SimpleRNN(64, return_sequences) -> Dense(8, softmax) at every step, sparse categorical
crossentropy, Adam.
"""

import json
import os
import resource
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GLOG_minloglevel", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

MODELS = ("letters", "stock", "stock-lstm", "stock-gru", "imdb")
KNOWN_MODELS = ", ".join(MODELS) + ", grid:CELL:UNITS:STEPS:FEATURES, embedding-classifier, tagger"
STOCK_LAYERS = {
    "stock": keras.layers.SimpleRNN,
    "stock-lstm": keras.layers.LSTM,
    "stock-gru": keras.layers.GRU,
}
# The IMDB-shaped classifier (bench/data.ts's IMDB): 80 word ids of a 5000-word vocabulary, 0 is
# padding; reviews of 10 to 80 words.
IMDB_STEPS, IMDB_VOCABULARY, IMDB_EMBEDDING, IMDB_UNITS, IMDB_MIN_LENGTH = 80, 5000, 64, 64, 10

# The grid's models (bench/grid/points.ts has the same numbers).
GRID_CELLS = {
    "SimpleRNN": keras.layers.SimpleRNN,
    "LSTM": keras.layers.LSTM,
    "GRU": keras.layers.GRU,
}
CLASSIFIER_STEPS, CLASSIFIER_VOCABULARY, CLASSIFIER_EMBEDDING = 80, 2000, 64
CLASSIFIER_UNITS, CLASSIFIER_CLASSES = 128, 4
TAGGER_STEPS, TAGGER_FEATURES, TAGGER_UNITS, TAGGER_TAGS = 30, 8, 64, 8


def grid_shape(model_name: str) -> tuple[str, int, int, int] | None:
    """(cell, units, steps, features) of a "grid:CELL:UNITS:STEPS:FEATURES" name, else None."""
    parts = model_name.split(":")
    if len(parts) != 5 or parts[0] != "grid":
        return None
    cell, units, steps, features = parts[1], int(parts[2]), int(parts[3]), int(parts[4])
    if cell not in GRID_CELLS or min(units, steps, features) < 1:
        raise ValueError(
            f"keras_bench.py: expected grid:CELL:UNITS:STEPS:FEATURES with CELL one of "
            f"{', '.join(GRID_CELLS)} and positive sizes, received {model_name!r}"
        )
    return cell, units, steps, features


def grid_model(model_name: str) -> keras.Model | None:
    """One of the grid's models, compiled, or None when the name is not one of theirs."""
    shape = grid_shape(model_name)
    if shape is not None:
        cell, units, steps, features = shape
        model = keras.Sequential(
            [keras.Input(shape=(steps, features)), GRID_CELLS[cell](units), keras.layers.Dense(1)]
        )
        model.compile(optimizer="adam", loss="mean_squared_error")
        return model
    if model_name == "embedding-classifier":
        model = keras.Sequential(
            [
                keras.Input(shape=(CLASSIFIER_STEPS,), dtype="int32"),
                keras.layers.Embedding(CLASSIFIER_VOCABULARY, CLASSIFIER_EMBEDDING),
                keras.layers.SimpleRNN(CLASSIFIER_UNITS),
                keras.layers.Dense(CLASSIFIER_CLASSES, activation="softmax"),
            ]
        )
        model.compile(
            optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        )
        return model
    if model_name == "tagger":
        model = keras.Sequential(
            [
                keras.Input(shape=(TAGGER_STEPS, TAGGER_FEATURES)),
                keras.layers.SimpleRNN(TAGGER_UNITS, return_sequences=True),
                keras.layers.Dense(TAGGER_TAGS, activation="softmax"),
            ]
        )
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model
    return None


def grid_data(model_name: str, samples: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Data of the kind bench/grid/data.ts makes for a grid model, drawn here; else None."""
    rng = np.random.default_rng(1234)
    shape = grid_shape(model_name)
    if shape is not None:
        _, _, steps, features = shape
        return (
            rng.random((samples, steps, features), dtype=np.float32),
            rng.random((samples, 1), dtype=np.float32),
        )
    if model_name == "embedding-classifier":
        x = rng.integers(1, CLASSIFIER_VOCABULARY, (samples, CLASSIFIER_STEPS)).astype(np.int32)
        return x, rng.integers(0, CLASSIFIER_CLASSES, (samples,)).astype(np.int32)
    if model_name == "tagger":
        x = rng.random((samples, TAGGER_STEPS, TAGGER_FEATURES), dtype=np.float32)
        return x, rng.integers(0, TAGGER_TAGS, (samples, TAGGER_STEPS)).astype(np.int32)
    return None


def build_model(model_name: str) -> keras.Model:
    """The model, compiled: the same architecture, loss and optimizer as bench/models.ts (or
    bench/grid/models.ts for the grid's)."""
    grid = grid_model(model_name)
    if grid is not None:
        return grid
    if model_name in STOCK_LAYERS:
        layer = STOCK_LAYERS[model_name]
        model = keras.Sequential(
            [
                keras.Input(shape=(60, 1)),
                layer(80, return_sequences=True),
                layer(100),
                keras.layers.Dense(1),
            ]
        )
        model.compile(optimizer="adam", loss="mean_squared_error")
    elif model_name == "letters":
        model = keras.Sequential(
            [
                keras.Input(shape=(4, 5)),
                keras.layers.SimpleRNN(3),
                keras.layers.Dense(5, activation="softmax"),
            ]
        )
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    elif model_name == "imdb":
        model = keras.Sequential(
            [
                keras.Input(shape=(IMDB_STEPS,), dtype="int32"),
                keras.layers.Embedding(IMDB_VOCABULARY, IMDB_EMBEDDING, mask_zero=True),
                keras.layers.Bidirectional(keras.layers.LSTM(IMDB_UNITS)),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(optimizer="adam", loss="binary_crossentropy")
    else:
        raise ValueError(f"keras_bench.py: unknown model {model_name!r}; known: {KNOWN_MODELS}")
    return model


def own_data(model_name: str, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Data of the same kind as bench/data.ts's, drawn here (the one-measurement mode only:
    the bench's worker trains on the numbers bench/run.ts sends)."""
    grid = grid_data(model_name, samples)
    if grid is not None:
        return grid
    rng = np.random.default_rng(1234)
    if model_name in STOCK_LAYERS:
        return (
            rng.random((samples, 60, 1), dtype=np.float32),
            rng.random((samples, 1), dtype=np.float32),
        )
    if model_name == "letters":
        x = np.eye(5, dtype=np.float32)[rng.integers(0, 5, (samples, 4))]
        return x, rng.integers(0, 5, (samples,)).astype(np.int32)
    if model_name == "imdb":
        x = np.zeros((samples, IMDB_STEPS), dtype=np.int32)
        for row in x:
            length = rng.integers(IMDB_MIN_LENGTH, IMDB_STEPS + 1)
            row[:length] = rng.integers(1, IMDB_VOCABULARY, length)
        return x, rng.integers(0, 2, (samples, 1)).astype(np.float32)
    raise ValueError(f"keras_bench.py: unknown model {model_name!r}; known: {KNOWN_MODELS}")


def wire_array(value: dict) -> np.ndarray:
    """An array sent by bench/workers.ts: {"values": [...], "shape": [...], "dtype": "..."}."""
    values = np.asarray(value["values"], dtype=np.float32)
    return values.reshape([int(n) for n in value["shape"]]).astype(str(value["dtype"]))


class EpochTimes(keras.callbacks.Callback):
    """Wall time of each epoch of a fit."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):  # noqa: ANN001, ARG002
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):  # noqa: ANN001, ARG002
        self.seconds.append(time.perf_counter() - self._start)


class Bench:
    """The models set up so far, by name, each with its data and batch size."""

    def __init__(self) -> None:
        self.models: dict[str, tuple[keras.Model, np.ndarray, np.ndarray, int]] = {}

    def setup(
        self, key: str, model_name: str, samples: int, batch: int, data: tuple | None = None
    ) -> dict:
        model = build_model(model_name)
        x, y = own_data(model_name, samples) if data is None else data
        if len(x) != samples or len(y) != samples:
            raise ValueError(
                f"keras_bench.py: expected {samples} samples, received x {x.shape}, y {y.shape}"
            )
        self.models[key] = (model, x, y, batch)
        return {
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
            "params": int(model.count_params()),
            "threads": {
                "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
            },
        }

    def get(self, key: str) -> tuple[keras.Model, np.ndarray, np.ndarray, int]:
        if key not in self.models:
            raise ValueError(f"keras_bench.py: no model set up as {key!r} ('setup' first)")
        return self.models[key]

    def train(self, key: str, epochs: int) -> dict:
        model, x, y, batch = self.get(key)
        times = EpochTimes()
        start = time.perf_counter()
        history = model.fit(
            x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0, callbacks=[times]
        )
        seconds = time.perf_counter() - start
        return {
            "seconds": seconds,
            "epoch_seconds": times.seconds,
            "loss": [float(v) for v in history.history["loss"]],
        }

    def predict(self, key: str) -> dict:
        model, x, _, batch = self.get(key)
        start = time.perf_counter()
        model.predict(x, batch_size=batch, verbose=0)
        return {"seconds": time.perf_counter() - start}


def max_rss_bytes() -> int:
    # Linux reports ru_maxrss in kilobytes (macOS in bytes).
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def serve() -> None:
    bench = Bench()
    print(json.dumps({"ok": True, "ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            command = json.loads(line)
            cmd = command.get("cmd")
            if cmd == "setup":
                model_name = str(command["model"])
                given = "x" in command and "y" in command
                result = bench.setup(
                    str(command.get("key", model_name)),
                    model_name,
                    int(command["samples"]),
                    int(command["batch"]),
                    (wire_array(command["x"]), wire_array(command["y"])) if given else None,
                )
            elif cmd == "train":
                result = bench.train(str(command["key"]), int(command["epochs"]))
            elif cmd == "predict":
                result = bench.predict(str(command["key"]))
            elif cmd == "memory":
                result = {"max_rss_bytes": max_rss_bytes()}
            elif cmd == "exit":
                print(json.dumps({"ok": True}), flush=True)
                return
            else:
                raise ValueError(f"keras_bench.py: unknown command {cmd!r}")
            print(json.dumps({"ok": True, **result}), flush=True)
        except Exception as err:  # noqa: BLE001 - every failure becomes an answer
            print(json.dumps({"ok": False, "error": f"{type(err).__name__}: {err}"}), flush=True)


def once(model_name: str, samples: int, epochs: int, batch: int) -> None:
    bench = Bench()
    info = bench.setup(model_name, model_name, samples, batch)
    first = bench.train(model_name, 1)
    steady = bench.train(model_name, epochs)
    bench.predict(model_name)
    predict = bench.predict(model_name)
    print(
        json.dumps(
            {
                "model": model_name,
                **info,
                "first_epoch_s": first["seconds"],
                "train_samples_per_s": samples * epochs / steady["seconds"],
                "predict_samples_per_s": samples / predict["seconds"],
                "max_rss_bytes": max_rss_bytes(),
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    elif len(sys.argv) == 5:
        once(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit("usage: keras_bench.py MODEL SAMPLES EPOCHS BATCH | keras_bench.py --serve")
