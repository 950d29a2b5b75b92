"""Fixtures shared by the batch tests."""

from __future__ import annotations

import pytest

from matcher.batch import jobs as batch_module


@pytest.fixture
def jobs_asked(monkeypatch) -> list:
    """The ``jobs`` each ``run_batch`` call of the test is given (the command line's choice of
    worker processes), the calls themselves running as they would."""
    asked: list = []
    original = batch_module.run_batch

    def recording(*args, **kwargs):
        asked.append(kwargs["jobs"])
        return original(*args, **kwargs)

    monkeypatch.setattr(batch_module, "run_batch", recording)
    return asked
