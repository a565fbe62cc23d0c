# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTML validation report, opened in a real headless browser (Debian's chromium).

Renders a report with passing, warning and failing checks, takes a
screenshot, and checks that the browser rendered the summary: the DOM after
rendering has the per-node, per-category cells, and the screenshot shows the
green, amber and red of those cells. A missing chromium fails the test (it is
a test dependency: apt-get install chromium).

Run: .venv/bin/pytest tests/browser
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path
from typing import List, Tuple

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / '.collections'))

from ansible_collections.ollama_lab.distributed.plugins.module_utils import report  # noqa: E402

RECORDS = [
    dict(node='node1', category='prerequisites', name='cpu', status='pass', message='expected 1; found 2'),
    dict(node='node1', category='installation', name='binary_version', status='fail',
         message='expected version 9.9.9; found 0.1.0'),
    dict(node='node1', category='security', name='production_auth', status='warn', message='auth off in a lab'),
    dict(node='node2', category='prerequisites', name='cpu', status='pass', message='expected 1; found 2'),
    dict(node='node2', category='installation', name='binary_version', status='pass', message='expected 0.1.0'),
    dict(node='node2', category='security', name='production_auth', status='pass', message='auth on'),
    dict(node='cluster', category='cluster', name='agreement', status='pass', message='all agree'),
]
GREEN, AMBER, RED = (0x2e, 0x9e, 0x49), (0xf0, 0xa3, 0x0a), (0xd1, 0x34, 0x38)


def _chromium() -> str:
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        path = shutil.which(name)
        if path:
            return path
    raise AssertionError('no chromium on PATH: install it (apt-get install chromium) to run the browser test')


def _run(args: List[str]) -> subprocess.CompletedProcess:
    base = [_chromium(), '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
            '--force-device-scale-factor=1', '--window-size=1280,900']
    return subprocess.run(base + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, check=False)


def _png_pixels(data: bytes) -> Tuple[int, int, List[Tuple[int, int, int]]]:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what chromium writes) with the standard library."""
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat, width, height, ctype = 8, b'', 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, ctype, _c, _f, interlace = struct.unpack('>IIBBBBB', chunk)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
        elif kind == b'IDAT':
            idat += chunk
        pos += 12 + length
    bpp = 4 if ctype == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    pixels = []
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xff
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xff
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xff
        pixels.extend(tuple(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    return width, height, pixels


def test_html_report_renders_its_summary_in_chromium(tmp_path: Path) -> None:
    page = tmp_path / 'validation.html'
    page.write_text(report.to_html(RECORDS, title='Browser test', meta={'cluster': 'ollama_nodes'}), encoding='utf-8')

    dom = _run(['--dump-dom', page.as_uri()])
    assert dom.returncode == 0, dom.stderr.decode()[-500:]
    html = dom.stdout.decode()
    assert '<table id="summary"' in html and 'Overall: FAIL' in html
    assert 'data-node="node1" data-category="installation" data-status="fail"' in html
    assert 'data-node="node1" data-category="security" data-status="warn"' in html
    assert html.count('<tr class="check ') == len(RECORDS)

    shot = tmp_path / 'validation.png'
    run = _run(['--screenshot=%s' % shot, page.as_uri()])
    assert run.returncode == 0 and shot.exists(), run.stderr.decode()[-500:]
    width, height, pixels = _png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 900)
    counts = Counter(pixels)
    # the summary cells and the overall badge are painted in their colours
    assert counts[GREEN] > 2000, 'green cells not rendered'
    assert counts[AMBER] > 1000, 'amber cell not rendered'
    assert counts[RED] > 1000, 'red cells not rendered'
    # the red of the failed installation cell lies above the checks table (the summary is on screen)
    first_red_row = min(i // width for i, px in enumerate(pixels) if px == RED)
    assert first_red_row < height // 2
