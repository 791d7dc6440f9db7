"""Board profiles: fit checks with reasons, weight quantisation, energy arithmetic."""
from dataclasses import replace

import numpy as np
import pytest

from snn_control.blimp.controller import weights_path
from snn_control.engine.network import Connection, NetworkSpec, make_population
from snn_control.hardware.boards import (BOARDS, LOIHI_PJ_PER_NEURON_UPDATE, LOIHI_PJ_PER_SYNOP, check_fit, fan_in,
                                         fan_out_weights, loihi_energy_uj, quantise_weights)


def small_network(n_in: int = 4, n_out: int = 3, du: float = 0.5) -> NetworkSpec:
    rng = np.random.default_rng(0)
    pops = (make_population("in", n_in, "cuba_lif", du=du, dv=0.25, vth=1.0),
            make_population("out", n_out, "cuba_lif", du=du, dv=0.25, vth=1.0))
    return NetworkSpec(pops, (Connection("in", "out", rng.normal(0, 1, (n_out, n_in))),), "in")


def test_shipped_blimp_networks_fit_loihi2_and_xylo_says_why_not():
    spec = NetworkSpec.load(weights_path("i"))
    assert check_fit(spec, "loihi2").fits
    report = check_fit(spec, "xylo_audio2")
    assert not report.fits
    assert any("'adaptive_lif' is not available" in r for r in report.reasons)
    assert any("threshold-port" in r for r in report.reasons)


def test_too_big_is_refused_with_the_numbers():
    tiny = replace(BOARDS["loihi2"], max_neurons=5, max_synapses=10)
    report = check_fit(small_network(), tiny)
    assert not report.fits and "7 neurons exceed the board's 5" in report.reasons[0]
    assert "12 synapses exceed the board's 10" in report.reasons[1]


def test_fan_in_inputs_and_bit_shift_decays_on_xylo():
    wide = small_network(n_in=70, n_out=2, du=0.3)
    reasons = check_fit(wide, "xylo_audio2").reasons
    assert any("fan-in 70, the board allows 63" in r for r in reasons)
    assert any("70 input neurons exceed the board's 16" in r for r in reasons)
    assert any("not powers of two" in r for r in reasons)
    assert check_fit(small_network(du=0.5), "xylo_audio2").fits  # 0.5 and 0.25 are bit shifts
    np.testing.assert_array_equal(fan_in(wide), [0] * 70 + [70, 70])
    np.testing.assert_array_equal(fan_out_weights(wide), [2] * 70 + [0, 0])


@pytest.mark.parametrize("bits", [8, 4, 2])
def test_quantised_weights_sit_on_the_grid(bits):
    spec = quantise_weights(small_network(), bits)
    original = small_network().connections[0].weight
    w = spec.connections[0].weight
    step = np.abs(original).max() / (2 ** (bits - 1) - 1)
    np.testing.assert_allclose(w / step, np.round(w / step), atol=1e-9)
    assert np.abs(w).max() == pytest.approx(np.abs(original).max())
    assert len(np.unique(np.round(w / step))) <= 2 ** bits - 1
    with pytest.raises(ValueError, match="at least 2 bits"):
        quantise_weights(small_network(), 1)


def test_loihi_energy_arithmetic():
    assert loihi_energy_uj(1e6, 0) == pytest.approx(LOIHI_PJ_PER_SYNOP)  # 1e6 ops x pJ = uJ
    assert loihi_energy_uj(0, 1e6) == pytest.approx(LOIHI_PJ_PER_NEURON_UPDATE)
