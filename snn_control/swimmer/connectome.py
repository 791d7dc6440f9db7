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
What the real C. elegans connectome says about NCAP's sign pattern.

Reads the hermaphrodite edge list (``herm_full_edgelist.csv``: Source, Target, Weight,
Type; names padded with spaces) and the White et al. 1986 table, groups neurons into the
classes of the forward-locomotion circuit (command interneuron AVB, B-class motor neurons
DB/VB, D-class GABAergic motor neurons DD/VD) and body-wall muscles (dorsal ``dBWM``/``MD``,
ventral ``vBWM``/``MV``), and counts synapses between classes. NCAP's pattern, per side:

* ipsilateral excitation: DB -> dorsal muscle, VB -> ventral muscle (cholinergic);
* contralateral inhibition: DB -> VD -> ventral muscle and VB -> DD -> dorsal muscle (the
  B-neuron excites the D-class neuron that inhibits the opposite muscle, GABA);
* and, outside NCAP's four weights, AVB -> B-class (the forward command) and B -> B.
"""

from __future__ import annotations

from collections import Counter
import csv
from pathlib import Path
import re

from snn_control.shared_data import BESIDE_CHECKOUT

#: where the data sits beside a checkout of this repository (``../shared/data``)
DEFAULT_DIR = BESIDE_CHECKOUT / 'celegans'

CLASSES = {
    'AVB': r'AVB[LR]',
    'DB': r'DB\d+',
    'VB': r'VB\d+',
    'DD': r'DD\d+',
    'VD': r'VD\d+',
    'dorsal_muscle': r'(dBWM[LR]\d+|MD[LR]\d+)',
    'ventral_muscle': r'(vBWM[LR]\d+|MV[LR]\d+)',
}


def neuron_class(name: str) -> str | None:
    name = name.strip()
    for cls, pattern in CLASSES.items():
        if re.fullmatch(pattern, name):
            return cls
    return None


def read_edges(directory: Path = DEFAULT_DIR) -> list[tuple[str, str, int, str, str]]:
    """(pre, post, synapses, type, source file) of both edge lists; clear error if absent."""
    directory = Path(directory)
    files = {'herm_full_edgelist.csv': ',', 'aconnectome_white_1986_whole.csv': '\t'}
    edges = []
    for name, delimiter in files.items():
        path = directory / name
        if not path.is_file():
            raise FileNotFoundError(
                f'connectome file {path} is missing (see ../shared/data/celegans/SOURCE.md)'
            )
        with open(path, newline='') as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            header = [h.strip().lower() for h in next(reader)]
            expected = (
                ['source', 'target', 'weight', 'type']
                if delimiter == ','
                else ['pre', 'post', 'type', 'synapses']
            )
            if header != expected:
                raise ValueError(f'{path}: header {header}, expected {expected}')
            for row in reader:
                if len(row) < 4:
                    continue
                if delimiter == ',':
                    pre, post, weight, kind = row[0], row[1], row[2], row[3]
                else:
                    pre, post, kind, weight = row[0], row[1], row[2], row[3]
                edges.append((pre.strip(), post.strip(), int(weight), kind.strip(), name))
    return edges


def class_synapses(edges, source_file: str, kind: str = 'chemical') -> Counter:
    counts: Counter = Counter()
    for pre, post, weight, k, src in edges:
        if src != source_file or k != kind:
            continue
        a, b = neuron_class(pre), neuron_class(post)
        if a and b:
            counts[(a, b)] += weight
    return counts


def analyse(directory: Path = DEFAULT_DIR) -> dict:
    """Synapse counts behind each NCAP connection and whether the sign pattern holds."""
    edges = read_edges(directory)
    chem = class_synapses(edges, 'herm_full_edgelist.csv')
    gap = class_synapses(edges, 'herm_full_edgelist.csv', 'electrical')
    rows = {
        'ipsilateral excitation': {
            'DB->dorsal_muscle': chem[('DB', 'dorsal_muscle')],
            'VB->ventral_muscle': chem[('VB', 'ventral_muscle')],
        },
        'direct contralateral (absent in NCAP)': {
            'DB->ventral_muscle': chem[('DB', 'ventral_muscle')],
            'VB->dorsal_muscle': chem[('VB', 'dorsal_muscle')],
        },
        'B -> opposite D (contralateral inhibition, step 1)': {
            'DB->VD': chem[('DB', 'VD')],
            'VB->DD': chem[('VB', 'DD')],
        },
        'B -> same-side D': {'DB->DD': chem[('DB', 'DD')], 'VB->VD': chem[('VB', 'VD')]},
        'D -> own-side muscle (inhibition, step 2)': {
            'DD->dorsal_muscle': chem[('DD', 'dorsal_muscle')],
            'VD->ventral_muscle': chem[('VD', 'ventral_muscle')],
        },
        'command AVB -> B (chemical)': {
            'AVB->DB': chem[('AVB', 'DB')],
            'AVB->VB': chem[('AVB', 'VB')],
        },
        'command AVB -> B (gap junctions)': {
            'AVB->DB': gap[('AVB', 'DB')],
            'AVB->VB': gap[('AVB', 'VB')],
        },
        'B -> B (chemical)': {'DB->DB': chem[('DB', 'DB')], 'VB->VB': chem[('VB', 'VB')]},
    }
    ipsi = sum(rows['ipsilateral excitation'].values())
    direct_contra = sum(rows['direct contralateral (absent in NCAP)'].values())
    cross_d = sum(rows['B -> opposite D (contralateral inhibition, step 1)'].values())
    same_d = sum(rows['B -> same-side D'].values())
    d_out = sum(rows['D -> own-side muscle (inhibition, step 2)'].values())
    avb_gap, avb_chem = (
        sum(rows[k].values())
        for k in ('command AVB -> B (gap junctions)', 'command AVB -> B (chemical)')
    )
    findings = {
        # NCAP's w_ipsi >= 0: every B -> muscle synapse is ipsilateral.
        'ipsilateral_fraction_of_b_to_muscle': round(ipsi / max(ipsi + direct_contra, 1), 3),
        # NCAP's w_contra <= 0 is the B -> opposite-D -> muscle path; the real circuit also
        # drives same-side D neurons (self-inhibition NCAP leaves out).
        'opposite_side_fraction_of_b_to_d': round(cross_d / max(cross_d + same_d, 1), 3),
        'd_to_own_side_muscle_synapses': d_out,
        # The forward command reaches B neurons through gap junctions: a tonic drive (a bias)
        # that NCAP's B neurons do not have.
        'avb_to_b_gap_junction_fraction': round(avb_gap / max(avb_gap + avb_chem, 1), 3),
    }
    return {'rows': rows, 'findings': findings}


def report(directory: Path = DEFAULT_DIR) -> str:
    result = analyse(directory)
    lines = ['| pathway | connection | synapses |', '| --- | --- | ---: |']
    for pathway, conns in result['rows'].items():
        for conn, n in conns.items():
            lines.append(f'| {pathway} | {conn} | {n} |')
    lines.append('')
    lines += [f"- {k.replace('_', ' ')}: {v}" for k, v in result['findings'].items()]
    return '\n'.join(lines)


if __name__ == '__main__':
    print(report())
