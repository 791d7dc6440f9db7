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

"""
``snn-control``.

One command line for simulations, graphs of nodes, training, benchmarks, deployment.

Subcommands (each imports only what it needs, so ``snn-control --help`` is instant):

* ``run [scenario]``      closed loops: blimp_ros (default: the blimp over ROS 2), blimp, swimmer,
  hover
* ``launch <graph>``      start a graph of ROS 2 nodes as separate processes (our ``ros2 launch``)
* ``train <system> ...``  training pipelines (``train blimp --network pd``, ``train swimmer`` ...)
* ``bench <name>``        benchmarks; ``--json`` prints one JSON object on the last line
* ``query <map> <images>`` localise a folder of images in a place map (visual place recognition)
* ``deploy``              run or export a network for a target (lava-sim, loihi2, nir), or check a
  board fit
* ``info <network.npz>``  describe a network file
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Callable, Sequence, TYPE_CHECKING

if TYPE_CHECKING:
    from snn_control.engine.network import NetworkSpec

#: ``bench`` names -> "module:function" returning a dict of figures (filled in per system).
BENCHMARKS: dict[str, str] = {
    'engine': 'snn_control.bench.engine:run',
    'blimp': 'snn_control.bench.blimp:run',
    'swimmer': 'snn_control.bench.swimmer:run',
    'deploy': 'snn_control.bench.deploy:run',
    'vpr': 'snn_control.bench.vpr:run',
    'events': 'snn_control.bench.events:run',
    'lava': 'snn_control.bench.lava:run',
}

#: ``train`` systems -> "module:main" taking argv.
TRAINERS: dict[str, str] = {
    'blimp': 'snn_control.blimp.evolve:main',
    'swimmer': 'snn_control.swimmer.train:main',
    'vpr': 'snn_control.vpr.cli:train_main',
    'actions': 'snn_control.events.train_actions:main',
}

#: ``run`` scenarios -> "module:main" taking argv.
SCENARIOS: dict[str, str] = {
    'hover': 'snn_control.sim.hover.run:main',
    'blimp': 'snn_control.sim.blimp.run:main',
    'blimp_ros': 'snn_control.ros.flight:main',
    'swimmer': 'snn_control.sim.swimmer.run:main',
}
#: What ``snn-control run`` runs without a scenario (the README's main job): the blimp's
#: evolved SNN and the PID flown over real ROS 2 topics, recorded to MCAP.
DEFAULT_SCENARIO = 'blimp_ros'


def _resolve(target: str) -> Callable:
    module, _, attr = target.partition(':')
    return getattr(importlib.import_module(module), attr)


def _forward(table: dict[str, str], kind: str, name: str, argv: Sequence[str]) -> int:
    if name not in table:
        print(
            f"snn-control: unknown {kind} {name!r}; known: {', '.join(sorted(table))}",
            file=sys.stderr,
        )
        return 2
    try:
        entry = _resolve(table[name])
    except ModuleNotFoundError as exc:
        print(
            f'snn-control: {kind} {name!r} is not available in this build ({exc})', file=sys.stderr
        )
        return 2
    return int(entry(list(argv)) or 0)


def _bench(args: argparse.Namespace) -> int:
    if args.name not in BENCHMARKS:
        print(
            f'snn-control: unknown benchmark {args.name!r}; known: '
            f"{', '.join(sorted(BENCHMARKS))}",
            file=sys.stderr,
        )
        return 2
    options = {'runs': args.runs} if args.runs is not None else {}
    if options and args.name != 'lava':
        print(
            f'snn-control bench: --runs is an option of bench lava, not of bench {args.name}',
            file=sys.stderr,
        )
        return 2
    figures = _resolve(BENCHMARKS[args.name])(quick=args.quick, **options)
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            print(f'{key:<{width}}  {value}')
    return 0


class _SpikePointFile(Exception):
    """
    Signal that the file is a SpikePoint classifier.

    It is no network file: see :mod:`snn_control.events.spikepoint_nir`.
    """

    def __init__(self, classifier) -> None:
        super().__init__('SpikePoint classifier')
        self.classifier = classifier


#: How a SpikePoint classifier deploys (``info``).
SPIKEPOINT_TARGETS = (
    'its NIR file (--target nir), and compiled for Loihi (snn_control.events.spikepoint_loihi) to '
    "Lava's fixed-point simulation (--target lava-sim) and the board checks (--check)"
)


def _load_network(path: str) -> NetworkSpec:
    """
    Load a network file, a swimmer controller's network, or a place map's query network.

    A place map gives the query network of its ensemble (:mod:`snn_control.vpr.network`); a
    spiking NCAP's controller file its network; a SpikePoint classifier raises
    :class:`_SpikePointFile`.
    """
    from snn_control.engine.network import NetworkFileError, NetworkSpec

    try:
        return NetworkSpec.load(path)
    except NetworkFileError as not_a_network:
        for read in (_place_map_network, _swimmer_network, _spikepoint_classifier):
            spec = read(path)
            if spec is not None:
                return spec
        raise not_a_network from None


def _place_map_network(path: str) -> NetworkSpec | None:
    from snn_control.vpr.network import ensemble_network
    from snn_control.vpr.place_map import load_map, PlaceMapError

    try:
        place_map = load_map(path)
    except PlaceMapError:
        return None
    return ensemble_network(place_map.ensemble, place_map.network_inhibition)


def _swimmer_network(path: str) -> NetworkSpec | None:
    from snn_control.engine.network import NetworkFileError
    from snn_control.npz_io import read_npz
    from snn_control.swimmer.controllers import (
        FORMAT,
        load_swimmer_controller,
        load_swimmer_file,
        SPIKING_CONTROLLERS,
    )

    try:
        content = read_npz(path, 'network file')
    except (ValueError, OSError):  # unreadable: the network file's own error says so
        return None
    if str(content.get('format', '')) != FORMAT:
        return None
    try:
        kind = load_swimmer_file(path)['kind']
    except ValueError as exc:  # a swimmer file, but a bad one: a bad network file
        raise NetworkFileError(str(exc)) from None
    if kind not in SPIKING_CONTROLLERS:
        raise NetworkFileError(f'{path}: a {kind} swimmer controller is no spiking network')
    return load_swimmer_controller(path, backend='numpy').spec


def _spikepoint_classifier(path: str) -> None:
    from snn_control.events.spikepoint import load_classifier, SpikePointError

    try:
        classifier = load_classifier(path)
    except SpikePointError:
        return None
    raise _SpikePointFile(classifier) from None


def _loihi2(how: str) -> int:
    """
    Return the loihi2 target: exit 3 with what is missing.

    Or 0 where Loihi2HwCfg is available.
    """
    from snn_control.engine.lava_backend import hardware_run_config

    try:
        hardware_run_config()
    except RuntimeError as exc:
        print(f'snn-control deploy: {exc}', file=sys.stderr)
        return 3
    print(f'Loihi2HwCfg is available; {how} on the board.')
    return 0


def _check(name: str, network, board: str) -> int:
    """``--check``: whether ``network()`` (built only for a known board) fits; exit 1 if not."""
    from snn_control.hardware.boards import BOARDS, check_fit

    if board not in BOARDS:
        print(
            f'snn-control deploy: unknown board {board!r}; known: {sorted(BOARDS)}',
            file=sys.stderr,
        )
        return 2
    report = check_fit(network(), board)
    print(
        f'{name} on {BOARDS[board].name}: {report.neurons} neurons, {report.synapses} synapses, '
        f"max fan-in {report.max_fan_in}: {'fits' if report.fits else 'does not fit'}"
    )
    for reason in report.reasons:
        print(f'  - {reason}')
    return 0 if report.fits else 1


def _deploy_spikepoint(args: argparse.Namespace, classifier) -> int:
    from snn_control.events.spikepoint_loihi import compile_classifier

    if args.check:
        return _check(
            'spikepoint (compiled for Loihi)',
            lambda: compile_classifier(classifier).structure,
            args.check,
        )
    if args.target == 'nir':
        from snn_control.events.spikepoint_nir import write_nir

        out = args.output or str(args.network).rsplit('.', 1)[0] + '.nir'
        write_nir(classifier, out)
        print(f'wrote {out}')
        print(
            '  note: max-pools are written as SumPool2d nodes with OR/AND threshold neurons '
            '(exact for spike '
            'counts up to 2); PLIF layers as 1x1 Conv2d into LIF with tau = dt / (1 - keep)'
        )
        return 0
    if args.target == 'loihi2':
        return _loihi2(
            'run the network of spikepoint_loihi.compile_classifier there (LavaNetwork.from_fixed)'
        )
    from snn_control.events.spikepoint_loihi import lava_parity
    from snn_control.events.windows import GroupedRates
    import torch

    # lava-sim: two windows of random input spikes (rates drawn from --seed), streamed
    # through Lava's bit-accurate models and the engine's integer step
    cfg, points = classifier.model.config, classifier.points
    rng = torch.Generator().manual_seed(args.seed)
    rates = GroupedRates(
        torch.rand((2, points.n_groups, points.n_neighbours, cfg.offset_channels), generator=rng),
        torch.rand((2, points.n_groups, cfg.group_channels), generator=rng),
    )
    compiled = compile_classifier(classifier)
    parity = lava_parity(compiled, rates.code(cfg.timesteps, rng, cfg.coding))
    report = {
        'network': 'spikepoint',
        'neurons': compiled.n_neurons,
        'synapses': compiled.n_synapses,
        'pipeline_depth': compiled.depth,
        'steps': parity.steps,
        'spikes': parity.spikes,
        'spike_agreement_with_numpy_fixed': 1.0
        - parity.differences / (parity.steps * compiled.n_neurons),
    }
    print(json.dumps(report, sort_keys=True))
    return 0 if parity.differences == 0 else 1


def _deploy(args: argparse.Namespace) -> int:
    import numpy as np
    from snn_control.engine.network import NetworkFileError

    if args.target == 'xylo':
        return _deploy_xylo(args)
    try:
        spec = _load_network(args.network)
    except NetworkFileError as exc:
        print(f'snn-control deploy: {exc}', file=sys.stderr)
        return 2
    except _SpikePointFile as spikepoint:
        return _deploy_spikepoint(args, spikepoint.classifier)
    if args.check:
        return _check(spec.name, lambda: spec, args.check)
    if args.target == 'nir':
        from snn_control.engine.nir_io import SEMANTIC_NOTES, write_nir

        out = args.output or str(args.network).rsplit('.', 1)[0] + '.nir'
        write_nir(spec, out)
        print(f'wrote {out}')
        for note in SEMANTIC_NOTES:
            print(f'  note: {note}')
        return 0
    if args.target == 'loihi2':
        return _loihi2("run the network with LavaNetwork(spec, 'fixed') there")
    # lava-sim: run the network in Lava (bit-accurately in fixed point) and check it against ours.
    from snn_control.engine.lava_backend import LavaNetwork
    from snn_control.engine.simulator import Simulator

    rng = np.random.default_rng(args.seed)
    currents = rng.normal(0.0, args.input_std, (args.steps, spec.n_inputs))
    ours = Simulator(spec, library='numpy', mode=args.mode).run(currents)
    with LavaNetwork(spec, args.mode) as net:
        lava = net.run(
            currents, progress=_Progress(f'{spec.name} in Lava ({args.mode} mode)', args.steps)
        )
    agree = float((ours['spikes'] == lava['spikes']).mean())
    difference = float(np.abs(ours['v'] - lava['v']).max()) if args.steps else 0.0
    report = {
        'network': spec.name,
        'mode': args.mode,
        'neurons': spec.n_neurons,
        'synapses': spec.n_synapses,
        'steps': args.steps,
        'spikes': int(lava['spikes'].sum()),
        f'spike_agreement_with_numpy_{args.mode}': agree,
        'max_voltage_difference': difference,
    }
    print(json.dumps(report, sort_keys=True))
    # The parity the backends promise: bit for bit in fixed point, 1e-5 in float.
    return 0 if agree == 1.0 and difference <= (0.0 if args.mode == 'fixed' else 1e-5) else 1


def _deploy_xylo(args: argparse.Namespace) -> int:
    """
    Compile a network for Xylo, write its configuration file, run it in ``xylosim``.

    A Xylo configuration file (``.json``) is read and run as it is. The run feeds random
    currents through the host's encoder into SynSense's ``xylosim`` and into the engine's
    integer model, which must agree bit for bit; the spike agreement with the engine's float
    simulation of the network (when there is one) says what the integers cost.
    """
    import numpy as np
    from snn_control.engine.network import NetworkFileError
    from snn_control.engine.neurons import layout
    from snn_control.engine.simulator import Simulator
    from snn_control.engine.xylo_program import (
        compile_xylo,
        XyloConfigFileError,
        XyloProgram,
        XyloRuleError,
        XyloRunner,
    )

    spec = None
    try:
        if str(args.network).endswith('.json'):
            program = XyloProgram.load(args.network)
            if program.version != args.version:
                raise XyloConfigFileError(
                    f'{args.network} is a Xylo {program.version} configuration, not '
                    f'{args.version}'
                )
        else:
            spec = _load_network(args.network)
            program = compile_xylo(spec, args.version)
    except (NetworkFileError, XyloConfigFileError) as exc:
        print(f'snn-control deploy: {exc}', file=sys.stderr)
        return 2
    except XyloRuleError as exc:
        print(f'snn-control deploy: {exc}', file=sys.stderr)
        return 1
    except _SpikePointFile:
        print('snn-control deploy: SpikePoint has no Xylo target', file=sys.stderr)
        return 2
    if spec is None:
        lay = _layout_of(program)
    else:
        lay = layout(spec)
        out = args.output or str(args.network).rsplit('.', 1)[0] + '.xylo.json'
        program.save(out)
        print(f'wrote {out}', file=sys.stderr)
    rng = np.random.default_rng(args.seed)
    currents = rng.normal(0.0, args.input_std, (args.steps, program.config.n_inputs))
    runners = {name: XyloRunner(program, lay, name) for name in ('model', 'xylosim')}
    runs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, runner in runners.items():
        progress = _Progress(f'{program.network} on Xylo {args.version} ({name})', args.steps)
        steps = []
        for t, current in enumerate(currents):
            steps.append(runner.step(current))
            progress(t + 1)
        runner.close()
        runs[name] = (np.array([s for s, _ in steps]), np.array([v for _, v in steps]))
    exact = all(np.array_equal(a, b) for a, b in zip(runs['model'], runs['xylosim']))
    c = program.config
    report = {
        'network': program.network,
        'target': f'xylo-{args.version}',
        'input_channels': c.n_inputs,
        'hidden_neurons': c.n_hidden,
        'readout_neurons': c.n_outputs,
        'synapses': int(
            sum(np.count_nonzero(w) for w in (c.weights_in, c.weights_rec, c.weights_out))
        ),
        'steps': args.steps,
        'spikes': int(runs['xylosim'][0].sum()),
        'model_matches_xylosim': int(exact),
    }
    if spec is not None:
        ours = Simulator(spec, library='numpy').run(currents)
        fired = np.minimum(runs['xylosim'][0], 1)
        spiking = np.concatenate(
            [np.arange(lay.n)[lay.slices[p.name]] for p in spec.populations if p.spiking]
        )
        report['spike_agreement_with_numpy_float'] = float(
            (fired[:, spiking] == ours['spikes'][:, spiking]).mean()
        )
    print(json.dumps(report, sort_keys=True))
    return 0 if exact else 1


def _layout_of(program):
    """Return a flat layout for a configuration read without its network (encoder, hidden, out)."""
    from snn_control.engine.neurons import Layout

    n_in = program.config.n_inputs
    slices, at = {program.input_population: slice(0, n_in)}, n_in
    for name, (a, b) in list(program.hidden.items()) + list(program.readouts.items()):
        slices[name] = slice(at, at + b - a)
        at += b - a
    return Layout(tuple(slices), slices, at, slices[program.input_population])


class _Progress:
    """Progress of a long run on stderr, at most once a second (and at the first report)."""

    def __init__(self, what: str, total: int) -> None:
        self.what, self.total, self.last = what, total, None

    def __call__(self, done: int) -> None:
        import time

        now = time.monotonic()
        if self.last is None or now - self.last >= 1.0 or done == self.total:
            print(f'[deploy] {self.what}: step {done}/{self.total}', file=sys.stderr, flush=True)
            self.last = now


def _info(args: argparse.Namespace) -> int:
    from snn_control.engine.network import NetworkFileError

    try:
        spec = _load_network(args.network)
    except NetworkFileError as exc:
        print(f'snn-control info: {exc}', file=sys.stderr)
        return 2
    except _SpikePointFile as spikepoint:
        from snn_control.events.spikepoint import count_parameters

        classifier = spikepoint.classifier
        print(
            f'SpikePoint classifier: {count_parameters(classifier.model)} parameters, classes '
            f"{', '.join(classifier.class_names)}, sensor "
            f'{classifier.sensor_size[0]}x{classifier.sensor_size[1]}'
        )
        print(f'  network: {json.dumps(classifier.model.config.as_dict(), sort_keys=True)}')
        print(f'  point clouds: {json.dumps(classifier.points.as_dict(), sort_keys=True)}')
        print(f'  deploys to {SPIKEPOINT_TARGETS}')
        return 0
    print(
        f'{spec.name}: {spec.n_neurons} neurons, {spec.n_synapses} synapses, input '
        f'{spec.input_population!r}'
    )
    for pop in spec.populations:
        print(f'  population {pop.name:<12} {pop.size:>5} x {pop.model} ({pop.reset} reset)')
    for conn in spec.connections:
        print(f'  connection {conn.name:<30} {conn.weight.shape}')
    if spec.metadata:
        print(f'  metadata: {json.dumps(dict(spec.metadata), sort_keys=True)[:400]}')
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='snn-control', description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)

    p = sub.add_parser(
        'run',
        help=f"closed-loop simulations: {', '.join(SCENARIOS)} (default {DEFAULT_SCENARIO})",
        add_help=False,
    )
    p.add_argument('scenario', nargs='?', default=DEFAULT_SCENARIO)
    p = sub.add_parser(
        'launch', help='start a graph of ROS 2 nodes as separate processes', add_help=False
    )
    p = sub.add_parser('train', help='training pipelines', add_help=False)
    p.add_argument('system')
    p = sub.add_parser('query', help='localise a folder of images in a place map', add_help=False)

    p = sub.add_parser('bench', help='benchmarks')
    p.add_argument('name')
    p.add_argument(
        '--json', action='store_true', help='print one JSON object of figures on the last line'
    )
    p.add_argument('--quick', action='store_true', help='fewer repetitions (noisier figures)')
    p.add_argument('--runs', type=int, help='bench lava: runs of each Lava path (default 50)')
    p.set_defaults(handler=_bench)

    p = sub.add_parser('deploy', help='run or export a network for a target')
    p.add_argument(
        'network', help="network file (.npz) or place map (its ensemble's query network)"
    )
    p.add_argument(
        '--target', choices=['lava-sim', 'loihi2', 'nir', 'xylo'], default='lava-sim'
    )
    p.add_argument('--version', choices=['v2'], default='v2', help='xylo target: chip version')
    p.add_argument(
        '--output', help='output file (nir and xylo targets; default: beside the network)'
    )
    p.add_argument(
        '--check',
        metavar='BOARD',
        help='only check whether the network fits a board '
        '(loihi2, spinnaker2, xylo_audio2, speck, cpu); exit 1 when it does not',
    )
    p.add_argument('--steps', type=int, default=200)
    p.add_argument(
        '--mode',
        choices=['fixed', 'float'],
        default='fixed',
        help="lava-sim arithmetic: Loihi's bit-accurate fixed point (default) or floating point",
    )
    p.add_argument('--input-std', type=float, default=1.0)
    p.add_argument('--seed', type=int, default=0)
    p.set_defaults(handler=_deploy)

    p = sub.add_parser('info', help='describe a network file')
    p.add_argument('network')
    p.set_defaults(handler=_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # run/launch/train forward their remaining arguments to the owning module's parser.
    if argv and argv[0] == 'launch':
        return _forward({'graph': 'snn_control.ros.graph:main'}, 'command', 'graph', argv[1:])
    if argv and argv[0] == 'query':
        return _forward({'query': 'snn_control.vpr.cli:query_main'}, 'command', 'query', argv[1:])
    if argv and argv[0] == 'train':
        if len(argv) < 2:
            print(
                f"usage: snn-control train <system> ...; systems: {', '.join(sorted(TRAINERS))}",
                file=sys.stderr,
            )
            return 2
        return _forward(TRAINERS, 'training system', argv[1], argv[2:])
    if argv and argv[0] == 'run':
        rest = argv[1:]
        scenario = rest[0] if rest and not rest[0].startswith('-') else DEFAULT_SCENARIO
        if rest and not rest[0].startswith('-'):
            rest = rest[1:]
        return _forward(SCENARIOS, 'scenario', scenario, rest)
    args = build_parser().parse_args(argv)
    _exit_cleanly_on_sigterm()
    from snn_control.engine.lava_backend import LavaRuntimeError

    try:
        return int(args.handler(args) or 0)
    except (ValueError, OSError, LavaRuntimeError) as exc:
        print(f'snn-control {args.command}: {exc}', file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        print(
            f"snn-control {args.command}: interrupted{f' ({exc})' if str(exc) else ''}",
            file=sys.stderr,
        )
        return 128 + getattr(exc, 'signum', 2)


def _exit_cleanly_on_sigterm() -> None:
    """
    Make SIGTERM unwind like Ctrl-C.

    ``finally`` blocks and context managers run, so Lava's processes are ended, instead of the
    interpreter being killed where it stands.
    """
    import signal

    def interrupt(signum: int, frame: object) -> None:
        exc = KeyboardInterrupt(f'signal {signal.Signals(signum).name}')
        exc.signum = signum
        raise exc

    signal.signal(signal.SIGTERM, interrupt)


if __name__ == '__main__':
    sys.exit(main())
