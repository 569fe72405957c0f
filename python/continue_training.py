"""Continue in Python, under tf.distribute, the training that tfjs-keras-rnn began in Node.

    python/.venv/bin/python python/continue_training.py MODEL.keras DATA.json [EPOCHS]

MODEL.keras is a file that `model.save('MODEL.keras')` wrote in Node (compiled, so that its
optimizer and its state come with it); DATA.json holds {"x": [...], "y_train": [...]}, the
training data as nested lists. The model is loaded inside a MirroredStrategy's scope, so that
its variables (weights and optimizer slots) are mirrored over the strategy's devices, and
`fit` goes on from the iteration count Node reached. On a machine with several GPUs the same
script trains on all of them; for several machines, use MultiWorkerMirroredStrategy with each
worker's TF_CONFIG (its cluster and task). docs/keras-files.md shows this script;
python/check_keras_files.py runs it (one worker, the CPU) on a file Node wrote.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def continue_training(model_path: str, x: np.ndarray, y: np.ndarray, epochs: int) -> keras.Model:
    """Loads the Node-written model under a MirroredStrategy and trains it `epochs` more epochs."""
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        model = keras.saving.load_model(model_path)
    if not model.compiled:
        raise ValueError(f"{model_path} was saved uncompiled: compile it in Node before saving.")
    steps_before = int(model.optimizer.iterations.numpy())
    batch = max(1, len(x) // strategy.num_replicas_in_sync) * strategy.num_replicas_in_sync
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)
    history = model.fit(data, epochs=epochs, verbose=0, shuffle=False)
    steps_after = int(model.optimizer.iterations.numpy())
    print(
        f"{model_path}: {strategy.num_replicas_in_sync} replica(s), optimizer step "
        f"{steps_before} -> {steps_after}, loss {history.history['loss'][0]:.4f} -> "
        f"{history.history['loss'][-1]:.4f}"
    )
    return model


def main() -> None:
    model_path, data_path = sys.argv[1], sys.argv[2]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    data = json.loads(open(data_path, encoding="utf8").read())
    x = np.asarray(data["x"], dtype=data.get("x_dtype", "float32"))
    y = np.asarray(data["y_train"], dtype="float32")
    continue_training(model_path, x, y, epochs)


if __name__ == "__main__":
    main()
