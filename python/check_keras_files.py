"""Keras loads the weights files this package writes (npm run check:keras-files calls this).

    python/.venv/bin/python python/check_keras_files.py FIXTURES_DIR NODE_DIR

For each FIXTURES_DIR/NAME.keras (written by Keras) with NODE_DIR/NAME.weights.h5 and
NODE_DIR/NAME.node.json (written by this package from that file, its weights changed): Keras
loads the .keras file, then the package's weights file, and its predictions must equal the
package's. For a compiled model, the optimizer's iteration count must be 2 (one step in Keras
before saving, one in Node), and one more training step in Keras must give the package's
weights after its own next step. Prints a line per file and ends with "N passed, N failed".
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


def check(fixtures: Path, node: Path, name: str) -> str | None:
    ref = json.loads((fixtures / f"{name}.json").read_text())
    ours = json.loads((node / f"{name}.node.json").read_text())
    tolerance = ref["tolerance"]
    model = keras.saving.load_model(fixtures / f"{name}.keras")
    model.load_weights(node / f"{name}.weights.h5")
    x = np.asarray(ref["x"], dtype=ref["x_dtype"])
    diff = float(np.max(np.abs(model.predict(x, verbose=0) - np.asarray(ours["y"]))))
    if diff > tolerance:
        return f"predictions differ by {diff:.1e}"
    if not ref["compiled"]:
        return None
    iterations = int(model.optimizer.iterations.numpy())
    if iterations != 2:
        return f"the optimizer's iteration count is {iterations}, expected 2"
    y = np.asarray(ref["next"]["y_train"], dtype="float32")
    model.fit(x, y, batch_size=len(x), verbose=0, shuffle=False)
    for i, (got, want) in enumerate(zip(model.get_weights(), ours["weights_after_next"])):
        step_diff = float(np.max(np.abs(got.reshape(-1) - np.asarray(want))))
        if step_diff > tolerance:
            return f"after the next step, weight {i} differs by {step_diff:.1e}"
    return None


def main() -> None:
    fixtures, node = Path(sys.argv[1]), Path(sys.argv[2])
    passed = failed = 0
    for keras_file in sorted(fixtures.glob("*.keras")):
        name = keras_file.stem
        try:
            problem = check(fixtures, node, name)
        except Exception as err:  # noqa: BLE001  (any failure of Keras to read the file is one)
            problem = f"{type(err).__name__}: {err}"
        if problem is None:
            passed += 1
            print(f"PASS {name}")
        else:
            failed += 1
            print(f"FAIL {name}: {problem}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
