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

SNN_CONTROL = os.path.join(os.path.dirname(sys.executable), 'snn-control')


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return run_bounded([SNN_CONTROL, *args], timeout=timeout)


def test_help_lists_every_subcommand():
    out = run('--help')
    assert out.returncode == 0
    for word in ('run', 'launch', 'train', 'bench', 'deploy', 'info'):
        assert word in out.stdout


def test_unknown_benchmark_is_a_clear_error():
    out = run('bench', 'nope', '--json')
    assert out.returncode == 2 and "unknown benchmark 'nope'" in out.stderr


def test_info_and_deploy_lava_sim(tmp_path):
    path = random_network(0).save(tmp_path / 'net.npz')
    info = run('info', str(path))
    assert info.returncode == 0 and '31 neurons' in info.stdout
    deployed = run('deploy', str(path), '--target', 'lava-sim', '--steps', '60')
    assert deployed.returncode == 0, deployed.stderr
    report = json.loads(deployed.stdout.strip().splitlines()[-1])
    assert (
        report['spike_agreement_with_numpy_fixed'] == 1.0
        and report['max_voltage_difference'] == 0.0
    )
    assert report['spikes'] > 0


def test_deploy_loihi2_says_what_is_missing(tmp_path):
    path = random_network(0).save(tmp_path / 'net.npz')
    out = run('deploy', str(path), '--target', 'loihi2')
    assert out.returncode == 3 and 'lava-loihi' in out.stderr


def test_corrupt_network_file_is_reported(tmp_path):
    path = tmp_path / 'bad.npz'
    path.write_bytes(b'not a zip')
    out = run('info', str(path))
    assert out.returncode == 2 and 'not a readable .npz archive' in out.stderr


def test_deploy_nir_writes_a_readable_file(tmp_path):
    from snn_control.engine.nir_io import read_nir

    path = random_network(0).save(tmp_path / 'net.npz')
    out = run('deploy', str(path), '--target', 'nir', '--output', str(tmp_path / 'net.nir'))
    assert out.returncode == 0, out.stderr
    assert read_nir(tmp_path / 'net.nir').n_neurons == 31


def test_deploy_check_says_whether_a_network_fits_a_board():
    from snn_control.blimp.controller import weights_path

    fits = run('deploy', str(weights_path('pd')), '--check', 'loihi2')
    assert fits.returncode == 0 and 'fits' in fits.stdout
    refused = run('deploy', str(weights_path('i')), '--check', 'xylo_audio2')
    assert refused.returncode == 1 and "'adaptive_lif' is not available" in refused.stdout
    unknown = run('deploy', str(weights_path('i')), '--check', 'abacus')
    assert unknown.returncode == 2 and "unknown board 'abacus'" in unknown.stderr


def test_deploy_takes_a_spikepoint_classifier_to_nir_lava_and_the_board_checks(tmp_path):
    from snn_control.events.spikepoint import shipped_classifier_path
    from snn_control.events.spikepoint_nir import read_nir

    out = run(
        'deploy',
        str(shipped_classifier_path()),
        '--target',
        'nir',
        '--output',
        str(tmp_path / 'sp.nir'),
    )
    assert out.returncode == 0 and 'wrote' in out.stdout, out.stderr
    assert read_nir(tmp_path / 'sp.nir').class_names[0] == 'hand_clapping'
    fits = run('deploy', str(shipped_classifier_path()), '--check', 'loihi2')
    assert (
        fits.returncode == 0 and 'spikepoint (compiled for Loihi) on Intel Loihi 2' in fits.stdout
    ), fits.stderr
    refused = run('deploy', str(shipped_classifier_path()), '--check', 'xylo_audio2')
    assert refused.returncode == 1 and "neurons exceed the board's 1008" in refused.stdout
    out = run('deploy', str(shipped_classifier_path()), '--target', 'lava-sim')
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert (
        out.returncode == 0
        and report['spike_agreement_with_numpy_fixed'] == 1.0
        and report['spikes'] > 0
    ), out
    info = run('info', str(shipped_classifier_path()))
    assert (
        info.returncode == 0
        and 'SpikePoint classifier:' in info.stdout
        and 'deploys to its NIR file' in info.stdout
    )


def test_deploy_xylo_writes_a_configuration_and_runs_it_in_xylosim(tmp_path):
    from random_networks import xylo_network

    path = xylo_network().save(tmp_path / 'net.npz')
    out = run('deploy', str(path), '--target', 'xylo', '--version', 'v2', '--steps', '100')
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report['model_matches_xylosim'] == 1 and report['spikes'] > 0
    assert report['target'] == 'xylo-v2' and report['hidden_neurons'] == 30
    config = tmp_path / 'net.xylo.json'
    assert json.loads(config.read_text())['specification']['weights_in'], 'no configuration'
    again = run('deploy', str(config), '--target', 'xylo', '--steps', '50')
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.strip().splitlines()[-1])['model_matches_xylosim'] == 1
    # a missing network and a foreign configuration file are named
    missing = run('deploy', str(tmp_path / 'missing.npz'), '--target', 'xylo')
    assert missing.returncode != 0 and 'missing.npz does not exist' in missing.stderr
    foreign = tmp_path / 'foreign.json'
    foreign.write_text('{"format": "samna"}')
    bad = run('deploy', str(foreign), '--target', 'xylo')
    assert bad.returncode == 2 and 'not an snn_control Xylo configuration' in bad.stderr


def test_deploy_xylo_takes_the_xylo_swimmer_and_names_a_controller_with_no_network(tmp_path):
    from snn_control.swimmer.controllers import shipped_path

    out = run(
        'deploy',
        str(shipped_path('xylo_ncap')),
        '--target',
        'xylo',
        '--steps',
        '60',
        '--output',
        str(tmp_path / 'swimmer.xylo.json'),
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report['model_matches_xylosim'] == 1 and report['network'] == 'xylo_ncap'
    assert (tmp_path / 'swimmer.xylo.json').is_file()
    mlp = run('deploy', str(shipped_path('mlp')), '--target', 'xylo')
    assert mlp.returncode == 2 and 'a mlp swimmer controller is no spiking network' in mlp.stderr


def test_deploy_xylo_refuses_the_float_blimp_with_the_rules_it_breaks():
    from snn_control.blimp.controller import weights_path

    out = run('deploy', str(weights_path('pd')), '--target', 'xylo')
    assert out.returncode == 1
    assert 'does not fit Xylo v2' in out.stderr and 'du [1.0] is not 2**-k' in out.stderr
