"""Initial-state fixtures (`initial_state_*`): one recurrent layer called with initial states,
`layer(x, initial_state=[...])`, as layer fixtures whose cases have more inputs than x: the
inputs are x, then the initial states flat in Keras's order. One short function per fixture.

What Keras 3.15 (TensorFlow backend) does, read in keras/src/layers/rnn/rnn.py and
bidirectional.py, tried in Keras, and replayed by `check_fixtures.py`:

- `initial_state` takes the place of the zero states: an LSTM's [h, c], a GRU's or SimpleRNN's
  [h]. An RNN over StackedRNNCells wants them nested per cell, [[h_gru], [h_lstm, c_lstm]]
  (flat, the LSTM cell gets one state: IndexError); the fixture stores them flat, cell by cell.
  `Bidirectional` splits the list in halves: the forward layer's states, then the backward
  layer's (the backward layer starts from its states at the LAST input step).
- Keras 3 takes the states only as `initial_state=`: `layer([x, h, c])` is refused ("Layer
  "lstm" expects 1 input(s), but it received 3 input tensors").
- With a mask (not in a layer fixture, which has no mask): at the steps before the first
  unmasked one the states stay the initial states but the output is zeros, not the initial h
  (zero_output_for_mask or not); a fully masked sample returns its initial states as its final
  states and zeros as its output. The stateful_mask_* fixtures show the same rule with carried
  states.
"""

from __future__ import annotations

import fixturelib as fl
from fixturelib import initial_state_case, layer_fixture
from forward_fixtures import fixture, normal
import numpy as np
from keras import layers

BATCH, STEPS, FEATURES = 3, 4, 3


def _uniform(rng, *shape: int) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def _layer(rng, layer, units: list[int], description: str) -> dict:
    """The layer built on [None, 4, 3] with nonzero biases, one case: x [3, 4, 3] and one
    uniform(-1, 1) initial state [3, u] per entry of `units`. The case must differ from the
    same x from zero states by far more than its tolerance."""
    layer.build((None, STEPS, FEATURES))
    fl.set_nonzero_biases(layer, rng)
    x = normal(rng, BATCH, STEPS, FEATURES)
    states = [_uniform(rng, BATCH, u) for u in units]
    case = initial_state_case(layer, "uniform_initial_states", x, states)
    zeros = initial_state_case(layer, "zero_states", x, [np.zeros_like(s) for s in states])
    for i, (got, fresh) in enumerate(zip(case["outputs"], zeros["outputs"])):
        off = np.abs(np.subtract(got["data"], fresh["data"])).max() / case["atol"]
        assert off > 100, f"output {i} is only {off:.1f} atol from the zero-state output"
    return layer_fixture(layer, description, [None, STEPS, FEATURES], [case])


@fixture
def initial_state_lstm_seq_return_state(rng):
    return _layer(rng, layers.LSTM(4, return_sequences=True, return_state=True), [4, 4],
                  "one LSTM(4, return_sequences=True, return_state=True) layer called as "
                  "layer(x, initial_state=[h0, c0]); inputs x [3, 4, 3], h0 [3, 4], c0 [3, 4] "
                  "(uniform(-1, 1)); outputs the sequence [3, 4, 4], the final h and c")


@fixture
def initial_state_gru_seq_return_state(rng):
    return _layer(rng, layers.GRU(4, return_sequences=True, return_state=True), [4],
                  "one GRU(4, return_sequences=True, return_state=True) layer (reset_after="
                  "True) called as layer(x, initial_state=[h0]); inputs x [3, 4, 3], h0 [3, 4] "
                  "(uniform(-1, 1)); outputs the sequence [3, 4, 4] and the final h")


@fixture
def initial_state_simple_rnn_last(rng):
    return _layer(rng, layers.SimpleRNN(3), [3],
                  "one SimpleRNN(3) layer called as layer(x, initial_state=[h0]); inputs x "
                  "[3, 4, 3], h0 [3, 3] (uniform(-1, 1)); output the last h [3, 3]")


@fixture
def initial_state_stacked_cells_rnn_return_state(rng):
    return _layer(rng, layers.RNN([layers.GRUCell(3), layers.LSTMCell(4)],
                                  return_sequences=True, return_state=True), [3, 4, 4],
                  "one RNN([GRUCell(3), LSTMCell(4)], return_sequences=True, return_state="
                  "True) layer called as layer(x, initial_state=[[h0_gru], [h0_lstm, "
                  "c0_lstm]]) (Keras wants them nested per cell); inputs x [3, 4, 3], then the "
                  "states flat in cell order: GRU cell h [3, 3], LSTM cell h [3, 4] and c "
                  "[3, 4]; outputs the top cell's sequence [3, 4, 4], then the final states in "
                  "the same order")


@fixture
def initial_state_bidirectional_lstm_return_state(rng):
    return _layer(rng, layers.Bidirectional(layers.LSTM(3, return_sequences=True,
                                                        return_state=True)), [3, 3, 3, 3],
                  "one Bidirectional(LSTM(3, return_sequences=True, return_state=True)) layer "
                  "(merge_mode 'concat') called as layer(x, initial_state=[fh0, fc0, bh0, "
                  "bc0]): Keras gives the first half to forward_lstm, the second to "
                  "backward_lstm (which starts at the last input step); inputs x [3, 4, 3] "
                  "and the four states [3, 3]; outputs the merged sequence [3, 4, 6], forward "
                  "h, c, backward h, c")
