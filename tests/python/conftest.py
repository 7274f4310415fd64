"""Shared fixtures of the Python tests."""

import os
from pathlib import Path

import pytest

import becore

HERE = Path(__file__).parent


@pytest.fixture
def pyt():
    """tests/python/pyt_kernels.cpp loaded under the prefix "pyt" (again after a test that shut
    the registry down; loading the same content again is a no-op)."""
    becore.load_file(HERE / "pyt_kernels.cpp", prefix="pyt")
    return "pyt"


@pytest.fixture
def besim():
    """The besim binary of this build: ctest's Python.pytest sets BECORE_BESIM. Run by hand
    without it, the tests comparing with besim skip, saying so."""
    path = os.environ.get("BECORE_BESIM")
    if not path:
        pytest.skip("BECORE_BESIM is not set (ctest -R Python.pytest sets it to build/bin/besim)")
    return Path(path)
