"""scanproc's helpers: a warmed-up helper pays no one-time cost in its first file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# In a fresh interpreter: warm(), then the first scan of a corpus document, counting the regex
# compilations, the kpiscan modules imported and the entries of jieba's dictionary read during that
# scan (all one-time costs).
PROBE = """
import json, sys, regex
from kpiscan.scanproc import warm
from kpiscan.batch import scan_one
from kpiscan.tokenize import segmenter
warm()
entries = len(segmenter().FREQ)
compiled, original = [], regex.compile
def counting(pattern, *a, **kw):
    compiled.append(str(pattern)[:60])
    return original(pattern, *a, **kw)
regex.compile = counting
before = set(sys.modules)
result = scan_one(sys.argv[1])
print(json.dumps({"compiled": compiled, "imported": sorted(m for m in set(sys.modules) - before if m.startswith("kpiscan")),
                  "dictionary_read": len(segmenter().FREQ) - entries,
                  "indicators": len(result.indicators), "problems": [str(p) for p in result.problems]}))
"""


def test_warm_helper_first_file_compiles_and_imports_nothing(corpora):
    doc = corpora / "000_dc3175b1d97e8850.txt"  # a department table too: the level2 category model
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", PROBE, str(doc)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout)
    assert seen["indicators"] > 100 and seen["problems"] == []
    assert seen["compiled"] == [] and seen["imported"] == []
    assert seen["dictionary_read"] == 0  # a helper reads all of jieba's dictionary when it warms
