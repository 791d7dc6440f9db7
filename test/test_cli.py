# Copyright 2026 snn_control maintainers
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""The snn-control command line, run as users run it (separate processes)."""

import json
import os
import subprocess
import sys

from random_networks import random_network
from snn_control.processes import run_bounded

SNN_CONTROL = os.path.join(os.path.dirname(sys.executable), "snn-control")


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return run_bounded([SNN_CONTROL, *args], timeout=timeout)


def test_help_lists_every_subcommand():
    out = run("--help")
    assert out.returncode == 0
    for word in ("run", "launch", "train", "bench", "deploy", "info"):
        assert word in out.stdout


def test_unknown_benchmark_is_a_clear_error():
    out = run("bench", "nope", "--json")
    assert out.returncode == 2 and "unknown benchmark 'nope'" in out.stderr


def test_info_and_deploy_lava_sim(tmp_path):
    path = random_network(0).save(tmp_path / "net.npz")
    info = run("info", str(path))
    assert info.returncode == 0 and "31 neurons" in info.stdout
    deployed = run("deploy", str(path), "--target", "lava-sim", "--steps", "60")
    assert deployed.returncode == 0, deployed.stderr
    report = json.loads(deployed.stdout.strip().splitlines()[-1])
    assert (
        report["spike_agreement_with_numpy_fixed"] == 1.0
        and report["max_voltage_difference"] == 0.0
    )
    assert report["spikes"] > 0


def test_deploy_loihi2_says_what_is_missing(tmp_path):
    path = random_network(0).save(tmp_path / "net.npz")
    out = run("deploy", str(path), "--target", "loihi2")
    assert out.returncode == 3 and "lava-loihi" in out.stderr


def test_corrupt_network_file_is_reported(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"not a zip")
    out = run("info", str(path))
    assert out.returncode == 2 and "not a readable .npz archive" in out.stderr


def test_deploy_nir_writes_a_readable_file(tmp_path):
    from snn_control.engine.nir_io import read_nir

    path = random_network(0).save(tmp_path / "net.npz")
    out = run("deploy", str(path), "--target", "nir", "--output", str(tmp_path / "net.nir"))
    assert out.returncode == 0, out.stderr
    assert read_nir(tmp_path / "net.nir").n_neurons == 31


def test_deploy_check_says_whether_a_network_fits_a_board():
    from snn_control.blimp.controller import weights_path

    fits = run("deploy", str(weights_path("pd")), "--check", "loihi2")
    assert fits.returncode == 0 and "fits" in fits.stdout
    refused = run("deploy", str(weights_path("i")), "--check", "xylo_audio2")
    assert refused.returncode == 1 and "'adaptive_lif' is not available" in refused.stdout
    unknown = run("deploy", str(weights_path("i")), "--check", "abacus")
    assert unknown.returncode == 2 and "unknown board 'abacus'" in unknown.stderr


def test_deploy_takes_a_spikepoint_classifier_to_nir_lava_and_the_board_checks(tmp_path):
    from snn_control.events.spikepoint import shipped_classifier_path
    from snn_control.events.spikepoint_nir import read_nir

    out = run(
        "deploy",
        str(shipped_classifier_path()),
        "--target",
        "nir",
        "--output",
        str(tmp_path / "sp.nir"),
    )
    assert out.returncode == 0 and "wrote" in out.stdout, out.stderr
    assert read_nir(tmp_path / "sp.nir").class_names[0] == "hand_clapping"
    fits = run("deploy", str(shipped_classifier_path()), "--check", "loihi2")
    assert (
        fits.returncode == 0 and "spikepoint (compiled for Loihi) on Intel Loihi 2" in fits.stdout
    ), fits.stderr
    refused = run("deploy", str(shipped_classifier_path()), "--check", "xylo_audio2")
    assert refused.returncode == 1 and "neurons exceed the board's 1008" in refused.stdout
    out = run("deploy", str(shipped_classifier_path()), "--target", "lava-sim")
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert (
        out.returncode == 0
        and report["spike_agreement_with_numpy_fixed"] == 1.0
        and report["spikes"] > 0
    ), out
    info = run("info", str(shipped_classifier_path()))
    assert (
        info.returncode == 0
        and "SpikePoint classifier:" in info.stdout
        and "deploys to its NIR file" in info.stdout
    )
