from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "corpora"


@pytest.fixture(scope="session")
def corpora() -> Path:
    return CORPORA


@pytest.fixture(scope="session")
def corpus_files() -> list[Path]:
    return sorted(CORPORA.glob("*.txt"))
