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
ROS 2's own linters as tests, as ros2/demos' ``demo_nodes_py`` runs them.

``ament_flake8`` with ROS 2's configuration (99 columns; the package's ``ament_flake8.ini``)
and the flake8 plugins ROS 2 runs it with (quotes, import order, builtins, comprehensions,
docstrings)
and ``ament_pep257`` with the ament convention, over every Python file of the package;
``ament_xmllint`` on ``package.xml``; and ament_copyright's rule for the Apache-2.0 license
(that tool is on PyPI under no name: ``ros-ament-copyright`` and ``ament-copyright`` have no
distribution).
"""
from pathlib import Path
import shutil

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [str(ROOT / p) for p in ('snn_control', 'sim', 'hardware', 'launch', 'test', 'setup.py')]


def test_flake8():
    from ament_flake8.main import main_with_errors

    rc, errors = main_with_errors(argv=SOURCES)
    listed = '\n'.join(errors[:50])
    assert rc == 0, f'ament_flake8 found {len(errors)} code style error(s):\n{listed}'


def test_pep257():
    from ament_pep257.main import main

    assert main(argv=SOURCES) == 0, 'ament_pep257 found docstring errors (see the output above)'


def test_xmllint(tmp_path):
    """
    Check ``package.xml`` with ament_xmllint (PyPI ``ament-xmllint``), which runs ``xmllint``.

    The schema that the manifest's ``xml-model`` names is online (download.ros.org), and the
    tests run offline: ament_xmllint checks a copy without that processing instruction (well
    formed XML), and catkin_pkg validates it as a format-3 manifest
    (test_ros_package.py::test_package_xml_is_a_valid_format_3_manifest).
    """
    from ament_xmllint.main import main

    assert shutil.which('xmllint'), 'xmllint is missing: Debian libxml2-utils (bootstrap.sh)'
    text = (ROOT / 'package.xml').read_text()
    model = next(line for line in text.splitlines() if line.startswith('<?xml-model '))
    assert 'package_format3.xsd' in model
    offline = tmp_path / 'package.xml'
    offline.write_text(text.replace(model + '\n', ''))
    assert main(argv=[str(offline)]) == 0, 'ament_xmllint: package.xml is invalid (see above)'
    broken = tmp_path / 'broken' / 'package.xml'
    broken.parent.mkdir()
    broken.write_text(offline.read_text().replace('</package>', ''))
    assert main(argv=[str(broken)]) == 1, 'ament_xmllint must find a malformed manifest'


APACHE_NOTICE = """Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License."""


def _header_comment(path: Path) -> str:
    lines = path.read_text().split('\n')
    if lines and lines[0].startswith('#!'):
        lines = lines[1:]
    block = []
    for line in lines:
        if not line.startswith('#'):
            break
        block.append(line[2:] if line.startswith('# ') else line[1:])
    return '\n'.join(block)


def test_copyright():
    """
    Check every source file for a copyright notice and the package's license.

    ament_copyright's rule for the apache2 license (the ROS 2 tool itself is not on PyPI):
    the first comment block of every Python file names a copyright holder and year and
    carries the Apache-2.0 notice, and the package ships the license text it names.
    """
    import re

    roots = [Path(src) for src in SOURCES]
    files = sorted(p for r in roots for p in ([r] if r.suffix == '.py' else r.rglob('*.py')))
    assert len(files) > 100
    missing = [str(p.relative_to(ROOT)) for p in files
               if not re.match(r'Copyright \d{4}(-\d{4})? \S.*\n\n', _header_comment(p))
               or APACHE_NOTICE not in _header_comment(p)]
    assert not missing, f'files without the copyright and license header: {missing}'
    assert 'Apache License\n' in (ROOT / 'LICENSE').read_text()
    assert '<license>Apache-2.0</license>' in (ROOT / 'package.xml').read_text()
