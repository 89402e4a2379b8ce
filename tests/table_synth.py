"""One project table of corpora/001 (聘用律师费, title to footer) grown to any number of rows: the
input of the huge-table tests (tests/test_hardening.py, test_file_timeout.py, test_dask_cluster.py)
and benches (bench/bench_rows.py, bench/bad_inputs.py), so all of them measure the same table."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "001_ac55e88fbc470c63.txt"


def table_lines(rows: int = 0, names_only: bool = False) -> list[str]:
    """The table's lines; with `rows`, its indicator block repeated to that many rows, names
    numbered so that no two rows are the same (`names_only`: rows that print only a 三级 name)."""
    src = CORPUS.read_text(encoding="utf-8").split("\n")
    h = next(i for i, line in enumerate(src) if line.startswith("绩效指标\t一级指标"))
    f = next(i for i in range(h, h + 40) if src[i].startswith("负责人"))
    t = next(i for i in range(h, 0, -1) if src[i].startswith("项目名称"))
    block = src[h + 1 : f]
    body = block if not rows else []
    for i in range(rows):
        if names_only:
            body.append(f"\t\t\t指标名称{i}")
            continue
        cells = block[i % len(block)].split("\t")
        for c in (3, 6):
            if len(cells) > c and cells[c]:
                cells[c] += str(i // len(block))
        body.append("\t".join(cells))
    return ["2024年度部门预算", *src[t - 4 : h + 1], *body, src[f], ""]


def table_text(rows: int = 0, names_only: bool = False) -> str:
    return "\n".join(table_lines(rows, names_only))
