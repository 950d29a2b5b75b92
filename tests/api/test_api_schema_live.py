"""Schemathesis on a real server (``matcher serve``: gunicorn and its workers, over HTTP): every
check, positive and negative data, stateful sequences. The OpenAPI document must state exactly
what the service enforces: no 5xx, no answer the document does not describe, no schema-valid
request refused, no schema-violating one accepted, ``Allow`` as documented.

The exceptions are in tests/api/schemathesis.toml, each with its reason. Every check runs
(schemathesis' default, left as it is: checks named on the command line would override the
file's per-operation settings, which widen the statuses a check accepts for an upload's bytes
or relations between fields, and turn one check off where it misreads an answer).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from live_service import live_service

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CONFIG = Path(__file__).with_name("schemathesis.toml")
#: Examples per operation in the fuzzing phase, beside the coverage phase's own cases (every
#: boundary and every kind of wrong value of each parameter) and the stateful sequences: about a
#: minute on two cores, within the suite's ten.
EXAMPLES = 10


@pytest.fixture
def service(tmp_path):
    running = live_service(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def test_the_document_states_what_the_live_service_enforces(service):
    command = [
        SCHEMATHESIS,
        "--config-file",
        str(CONFIG),
        "run",
        f"{service.url}/api/v1/openapi.json",
        "-H",
        f"Authorization: Bearer {service.tokens['admin']}",
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "-n",
        str(EXAMPLES),
        "--generation-deterministic",
        "--no-color",
        "--suppress-health-check",
        "all",
    ]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=900)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-12_000:] + "\n--- server log ---\n" + service.log()
    # Every operation the run selected was tested (none skipped for want of a way to call it).
    selected = re.search(r"Selected: (\d+)/", output)
    tested = re.search(r"Tested: (\d+)", output)
    assert selected and tested and tested.group(1) == selected.group(1), output[-4000:]
