"""A fresh investigation store per test (the real Store, in memory)."""
from __future__ import annotations

import pytest

from jitbench.store import Store


@pytest.fixture
def store():
    s = Store()
    yield s
    s.close()
