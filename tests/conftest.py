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


# CI runs property tests with a fixed seed so a submission's result does not depend on luck;
# locally they explore new examples on every run.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
import os  # noqa: E402

settings.load_profile("ci" if os.environ.get("CI") else "dev")
