"""Regenerate every Keras reference fixture in __tests__/fixtures/keras/.

    python/.venv/bin/python python/generate_fixtures.py          # all fixtures (npm run fixtures)
    python/.venv/bin/python python/generate_fixtures.py NAME...  # only these

Each fixture is built in a fresh Keras session seeded with 1234, so the output does not depend
on which fixtures ran before it, and a rerun gives byte-identical files. Fixtures are never
edited by hand: change the fixture's function and rerun. See python/README.md.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import fixturelib as fl  # noqa: E402  (sets up TensorFlow before anything else imports it)
import forward_fixtures  # noqa: E402
import training_fixtures  # noqa: E402,F401  (its @fixture functions register themselves)
import mask_fixtures  # noqa: E402,F401  (mask_*: Embedding mask_zero, Masking)
import bidirectional_fixtures  # noqa: E402,F401  (bidirectional_*: the Bidirectional wrapper)
import stateful_fixtures  # noqa: E402,F401  (stateful_*: calls sections, states carried)
import initial_state_fixtures  # noqa: E402,F401  (initial_state_*: layer(x, initial_state=...))
import gradient_flow_fixtures  # noqa: E402,F401  (gradient_flow_*: d(loss)/d(h_t) norms)

SCRIPT = "python/generate_fixtures.py"
ALL = forward_fixtures.FIXTURES  # every @fixture function, in definition order


def build(fn) -> dict:
    rng = fl.fresh_session()
    fixture = fn(rng)
    fixture["name"] = fn.__name__
    fixture["generator"]["script"] = SCRIPT
    fixture["generator"]["seed"] = fl.SEED
    return fixture


def remove_stale(written: set[str]) -> None:
    """Delete fixtures this script wrote earlier under a name it no longer generates. Files
    written by anything else (another script, a user's write_model_fixture) are left alone."""
    for path in sorted(fl.FIXTURE_DIR.glob("*.json")):
        if path.name in written:
            continue
        try:
            owner = json.loads(path.read_text(encoding="utf-8"))["generator"]["script"]
        except (ValueError, KeyError, TypeError):
            continue
        if owner == SCRIPT:
            path.unlink()
            print(f"removed stale {path.relative_to(fl.REPO_ROOT)}")


def main(argv: list[str]) -> int:
    by_name = {fn.__name__: fn for fn in ALL}
    unknown = [n for n in argv if n not in by_name]
    if unknown:
        print(f"generate_fixtures: unknown fixture(s) {unknown}; known: {sorted(by_name)}",
              file=sys.stderr)
        return 2
    chosen = [by_name[n] for n in argv] if argv else ALL
    written = set()
    start = time.perf_counter()
    for fn in chosen:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a new Keras warning should be looked at, not missed
            path = fl.write_fixture(build(fn), fl.FIXTURE_DIR)
        written.add(path.name)
        print(f"wrote {path.relative_to(fl.REPO_ROOT)} ({path.stat().st_size // 1024} KiB)")
    if not argv:
        remove_stale(written)
    print(f"{len(written)} fixtures in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
