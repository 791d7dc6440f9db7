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
``snn-control run blimp_ros`` (the main job): the blimp flown over real ROS 2 topics.

For each controller (the evolved SNN, then the PID) the graph ``blimp_sim`` (or
``blimp_sim_pid``) runs as separate processes: the MuJoCo blimp node and the controller
node talk over Fast DDS exactly as on the robot. This process records every topic of the
loop into a rosbag2 MCAP file per controller and rebuilds the flight from the recording:
true altitude (the sim's ground truth), measured altitude, command and the SNN's spikes
as they travelled on the spike topic. It prints the step metrics side by side and writes
the plot.

The simulation runs ``--rate-scale`` times faster than real time (5x by default: the
paper's 3 x 70 s profile takes 42 s of wall time per controller). The blimp node holds
its clock until this recorder and the controller are connected (``wait_for_subscribers``),
so the recording starts at t = 0 whatever DDS discovery takes.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
import json
import os
from pathlib import Path
import time
from typing import Any, Sequence

import numpy as np
from snn_control.sim.blimp.profiles import make_profile, PROFILES, STEP_S
from snn_control.sim.closed_loop import plot_traces, setpoint_at, step_metrics, Trace

CONTROL_DT = 0.1
#: label -> (graph, controller node name)
CONTROLLERS = {'snn': ('blimp_sim', 'snn_controller'), 'pid': ('blimp_sim_pid', 'pid_controller')}
LABELS = {'snn': 'SNN (evolved PD+I), ROS 2', 'pid': 'PID, ROS 2'}


class FlightLog:
    """What the recorder saw, deserialised for evaluation."""

    def __init__(self) -> None:
        self.truth: dict[float, float] = {}  # sim time -> true altitude
        self.measured: dict[float, float] = {}  # sim time -> measured altitude
        self.command_at_truth: dict[float, float] = (
            {}
        )  # sim time -> latest command when it arrived
        self.spikes: dict[float, dict[str, np.ndarray]] = {}
        self.last_command = 0.0
        self.commands = 0


def stamp_s(stamp) -> float:
    return round(stamp.sec + stamp.nanosec * 1e-9, 6)


def fly(
    label: str,
    profile: str,
    buoyancy: str,
    step_s: float,
    rate_scale: float,
    seed: int,
    bag_path: Path,
    timeout_margin_s: float = 60.0,
    controller_params: dict[str, Any] | None = None,
) -> tuple[Trace, Path]:
    """
    Fly one controller through the profile over ROS 2; returns its trace and the bag.

    ``controller_params`` are given to the controller node (e.g. ``{"controller.backend":
    "xylosim"}``: the blimp SNN born for Xylo, stepped by SynSense's simulator).
    """
    from geometry_msgs.msg import PointStamped
    import rclpy
    from rclpy.serialization import deserialize_message
    from sensor_msgs.msg import PointCloud2, Range
    from snn_control.ros.graph import GraphRunner, load_graph
    from snn_control.ros.node_base import COMMAND_QOS, make_executor, SENSOR_QOS
    from snn_control.ros.recorder import BagRecorder
    from snn_control.ros.spike_codec import to_population_vectors
    from std_msgs.msg import Float64

    graph_name, controller_node = CONTROLLERS[label]
    steps = make_profile(profile, step_s)
    duration = sum(d for d, _ in steps)
    log = FlightLog()

    def on_truth(data: bytes) -> None:
        msg = deserialize_message(data, PointStamped)
        t = stamp_s(msg.header.stamp)
        log.truth[t] = msg.point.z
        log.command_at_truth[t] = log.last_command

    def on_altitude(data: bytes) -> None:
        msg = deserialize_message(data, Range)
        log.measured[stamp_s(msg.header.stamp)] = msg.range

    def on_command(data: bytes) -> None:
        log.last_command = deserialize_message(data, Float64).data
        log.commands += 1

    def on_spikes(data: bytes) -> None:
        msg = deserialize_message(data, PointCloud2)
        log.spikes[stamp_s(msg.header.stamp)] = to_population_vectors(msg)

    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node('flight_recorder', context=context)
    executor = make_executor(context)
    executor.add_node(node)
    recorder = BagRecorder(node, bag_path)
    runner = None
    try:
        recorder.record('/blimp_sim/ground_truth', PointStamped, COMMAND_QOS, on_truth)
        recorder.record('/altitude_setpoint', Float64, COMMAND_QOS)
        recorder.record('/motor_command', Float64, COMMAND_QOS, on_command)
        topics = ['/blimp_sim/ground_truth', '/altitude_setpoint', '/motor_command']
        if label == 'snn':
            recorder.record(f'/{controller_node}/spikes', PointCloud2, SENSOR_QOS, on_spikes)
            topics.append(f'/{controller_node}/spikes')
        overrides = {
            'blimp_sim': {
                'profile': profile,
                'buoyancy': buoyancy,
                'step_s': float(step_s),
                'rate_scale': float(rate_scale),
                'seed': int(seed),
                'wait_for_subscribers': 2,
                # lockstep: a busy machine slows the flight instead of changing it
                'lockstep_timeout_s': 2.0,
            },
            controller_node: dict(controller_params or {}),
        }
        runner = GraphRunner(load_graph(graph_name), overrides)
        runner.start()
        # The sim starts when the controller and this recorder listen to /altitude, so the
        # recorder subscribes to it last, once its other subscriptions have found their
        # publishers: nothing of the flight is missed whatever discovery takes.
        deadline = time.monotonic() + timeout_margin_s
        while any(node.count_publishers(t) < 1 for t in topics):
            if time.monotonic() > deadline:
                missing = [t for t in topics if node.count_publishers(t) < 1]
                raise TimeoutError(
                    f'{label}: no publisher appeared on {missing} within {timeout_margin_s:.0f} s'
                )
            executor.spin_once(timeout_sec=0.05)
        executor.spin_once(timeout_sec=0.2)  # let the matched endpoints settle
        recorder.record('/altitude', Range, SENSOR_QOS, on_altitude)
        deadline = time.monotonic() + duration / rate_scale + timeout_margin_s
        last_report = 0.0
        while not log.truth or max(log.truth) < duration - 1e-6:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f'{label}: the flight did not finish within '
                    f'{duration / rate_scale + timeout_margin_s:.0f} s '
                    f'(sim time reached {max(log.truth, default=0.0):.1f} of {duration:.0f} s)'
                )
            exited = {n: c for n, c in runner.poll().items() if c is not None}
            if exited:
                raise RuntimeError(f'{label}: node(s) exited during the flight: {exited}')
            executor.spin_once(timeout_sec=0.05)
            now = max(log.truth, default=0.0)
            if now - last_report >= 30.0:
                last_report = now
                print(f'[{label}] sim time {now:5.0f} / {duration:.0f} s', flush=True)
        executor.spin_once(timeout_sec=0.2)  # the last command and spikes
    except BaseException:
        recorder.abort()
        raise
    finally:
        if runner is not None:
            runner.stop()
        node.destroy_node()
        rclpy.shutdown(context=context)
    bag = recorder.close()
    return build_trace(log, steps), bag


def build_trace(log: FlightLog, steps: list[tuple[float, float]]) -> Trace:
    """
    Return the flight as a :class:`Trace` on the ticks after t = 0.

    As the offline loop records it.
    """
    times = sorted(t for t in log.truth if t > 0)
    if not times:
        raise RuntimeError('no ground truth was recorded')
    measured = np.array([log.measured.get(t, np.nan) for t in times])
    spikes: dict[str, np.ndarray] = {}
    if log.spikes:
        sizes = {pop: v.size for pop, v in next(iter(log.spikes.values())).items()}
        # The spikes answering the sample of tick k drive the step to tick k + 1.
        previous = [0.0, *times[:-1]]
        for pop, n in sizes.items():
            spikes[pop] = np.array(
                [log.spikes.get(t, {}).get(pop, np.zeros(n, bool)) for t in previous]
            )
    return Trace(
        time=np.array(times),
        altitude=np.array([log.truth[t] for t in times]),
        measured=measured,
        setpoint=np.array([setpoint_at(steps, t) for t in times]),
        command=np.array([log.command_at_truth[t] for t in times]),
        spikes=spikes,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='snn-control run blimp_ros', description=__doc__.split('\n\n')[0]
    )
    parser.add_argument('--profile', choices=sorted(PROFILES), default='absolute_steps')
    parser.add_argument('--buoyancy', choices=['neutral', 'negative'], default='negative')
    parser.add_argument('--step-s', type=float, default=STEP_S, help='seconds per setpoint')
    parser.add_argument(
        '--rate-scale', type=float, default=5.0, help='simulated seconds per wall-clock second'
    )
    parser.add_argument('--controllers', default='snn,pid', help='comma-separated: snn, pid')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default='results')
    args = parser.parse_args(list(argv) if argv is not None else None)
    labels = [c.strip() for c in args.controllers.split(',') if c.strip()]
    unknown = sorted(set(labels) - set(CONTROLLERS))
    if unknown or not labels:
        parser.error(f'unknown controller(s) {unknown}; choose from {sorted(CONTROLLERS)}')
    run_id = datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S')
    traces, report, bags = {}, {}, {}
    for label in labels:
        bag_path = (
            Path(args.out) / 'bags' / f'blimp_{label}_{args.profile}_{args.buoyancy}_{run_id}'
        )
        print(
            f'[{label}] flying {args.profile} ({args.step_s:g} s per step, {args.buoyancy} '
            'buoyancy) '
            f'over ROS 2 at {args.rate_scale:g}x real time',
            flush=True,
        )
        trace, bag = fly(
            label, args.profile, args.buoyancy, args.step_s, args.rate_scale, args.seed, bag_path
        )
        traces[LABELS[label]] = trace
        bags[label] = str(bag)
        report[label] = {
            k: round(v, 4) for k, v in step_metrics(trace, steady_window_s=10.0).items()
        }
    os.makedirs(args.out, exist_ok=True)
    plot = plot_traces(
        traces,
        os.path.join(args.out, f'blimp_ros_{args.profile}_{args.buoyancy}.png'),
        f"blimp over ROS 2, {args.profile.replace('_', ' ')}, {args.buoyancy} buoyancy",
    )
    for label, metrics in report.items():
        print(f'{LABELS[label]:>28}: ' + ', '.join(f'{k} {v}' for k, v in metrics.items()))
        print(f"{'':>28}  bag: {bags[label]}")
    print(f'plot: {plot}')
    print(json.dumps({'metrics': report, 'bags': bags, 'plot': plot}, sort_keys=True))
    return 0
