"""Shared fixtures of the Python tests."""

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
