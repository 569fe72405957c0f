"""Keras loads the files this package writes (npm run check:keras-files calls this).

    python/.venv/bin/python python/check_keras_files.py FIXTURES_DIR NODE_DIR

- Weights files: for each FIXTURES_DIR/NAME.keras (written by Keras) with
  NODE_DIR/NAME.weights.h5 (written by this package from that file, its weights changed), Keras
  loads the .keras file, then the package's weights file.
- Model files: Keras loads each NODE_DIR/NAME.keras that this package wrote with `save`.

Either way Keras's predictions must equal the package's (NODE_DIR/NAME.node.json). For a
compiled model the optimizer's iteration count must be the package's, and one more training step
in Keras must give the package's weights after its own next step. Prints a line per file and
ends with "N passed, N failed".
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import keras  # noqa: E402
import numpy as np  # noqa: E402


def compare(model: keras.Model, ours: dict, iterations: int | None) -> str | None:
    """Keras's predictions, iteration count and next step against the package's."""
    tolerance = ours["tolerance"]
    x = np.asarray(ours["x"], dtype=ours["x_dtype"])
    diff = float(np.max(np.abs(model.predict(x, batch_size=len(x), verbose=0) - np.asarray(ours["y"]))))
    if diff > tolerance:
        return f"predictions differ by {diff:.1e}"
    if not ours["compiled"]:
        return None
    if not model.compiled:
        return "Keras loaded the model uncompiled"
    count = int(model.optimizer.iterations.numpy())
    if count != iterations:
        return f"the optimizer's iteration count is {count}, expected {iterations}"
    y = np.asarray(ours["y_train"], dtype="float32")
    model.fit(x, y, batch_size=len(x), verbose=0, shuffle=False)
    for i, (got, want) in enumerate(zip(model.get_weights(), ours["weights_after_next"])):
        step_diff = float(np.max(np.abs(got.reshape(-1) - np.asarray(want))))
        if step_diff > tolerance:
            return f"after the next step, weight {i} differs by {step_diff:.1e}"
    return None


def check_weights_file(fixtures: Path, node: Path, name: str) -> str | None:
    ours = json.loads((node / f"{name}.node.json").read_text())
    model = keras.saving.load_model(fixtures / f"{name}.keras")
    model.load_weights(node / f"{name}.weights.h5")
    return compare(model, ours, ours.get("iterations"))


def check_model_file(node: Path, name: str) -> str | None:
    ours = json.loads((node / f"{name}.node.json").read_text())
    model = keras.saving.load_model(node / f"{name}.keras")
    return compare(model, ours, ours.get("iterations"))


def check_distributed(node: Path, name: str) -> str | None:
    """python/continue_training.py (the docs' tf.distribute script) goes on from Node's step."""
    from continue_training import continue_training  # noqa: PLC0415  (this folder's script)

    ours = json.loads((node / f"{name}.node.json").read_text())
    x = np.asarray(ours["x"], dtype=ours["x_dtype"])
    y = np.asarray(ours["y_train"], dtype="float32")
    model = continue_training(str(node / f"{name}.keras"), x, y, epochs=3)
    count = int(model.optimizer.iterations.numpy())
    if count != ours["iterations"] + 3:
        return f"the optimizer's iteration count is {count}, expected {ours['iterations'] + 3}"
    return None


def main() -> None:
    fixtures, node = Path(sys.argv[1]), Path(sys.argv[2])
    checks = [
        (f"{f.stem} (.weights.h5)", lambda n=f.stem: check_weights_file(fixtures, node, n))
        for f in sorted(fixtures.glob("*.keras"))
    ] + [
        (f"{f.stem} (.keras)", lambda n=f.stem: check_model_file(node, n))
        for f in sorted(node.glob("*.keras"))
    ] + [
        (f"{f.stem} (.keras, tf.distribute)", lambda n=f.stem: check_distributed(node, n))
        for f in sorted(node.glob("node_*.keras"))
        if json.loads((node / f"{f.stem}.node.json").read_text())["compiled"]
    ]
    passed = failed = 0
    for label, run in checks:
        keras.utils.clear_session()
        try:
            problem = run()
        except Exception as err:  # noqa: BLE001  (any failure of Keras to read the file is one)
            problem = f"{type(err).__name__}: {err}"
        if problem is None:
            passed += 1
            print(f"PASS {label}")
        else:
            failed += 1
            print(f"FAIL {label}: {problem}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
