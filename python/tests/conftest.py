"""Shared fixtures: the GPU tests skip with one line each without a CUDA device, unless
KLAB_REQUIRE_GPU=1 (then they fail: a GPU runner must run them)."""

import os

import pytest
import torch


def _gpu_missing_reason():
    import kernel_lab

    if not torch.cuda.is_available():
        return "no CUDA device (torch.cuda.is_available() is False)"
    if not kernel_lab.native_available():
        return "kernel_lab's native module or the CUDA driver is missing"
    return None


@pytest.fixture
def cuda():
    """The CUDA device, or a one-line skip (a failure under KLAB_REQUIRE_GPU=1)."""
    why = _gpu_missing_reason()
    if why is not None:
        if os.environ.get("KLAB_REQUIRE_GPU") == "1":
            pytest.fail(f"KLAB_REQUIRE_GPU=1 but {why}")
        pytest.skip(why)
    return torch.device("cuda", torch.cuda.current_device())


@pytest.fixture
def fallback(monkeypatch):
    """Sets KERNEL_LAB_FALLBACK for one test: fallback("never")."""

    def set_mode(mode):
        monkeypatch.setenv("KERNEL_LAB_FALLBACK", mode)

    return set_mode
