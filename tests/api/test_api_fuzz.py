"""Schema-based fuzzing (schemathesis on the OpenAPI document): no 5xx, and no response that
contradicts the document, for every operation."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from service_fixtures import bearer, dispose_app, make_app

#: The live run's settings: the statuses each check accepts, per operation, with the reasons.
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture
def fuzz_app(tmp_path):
    app = make_app(tmp_path, f"sqlite:///{tmp_path / 'fuzz.sqlite'}")
    yield app
    dispose_app(app)


def test_no_server_errors_and_responses_match_the_document(fuzz_app):
    # Every check runs, "schema-valid data is accepted" included: the document enumerates the
    # taxonomy's ids and the ISO codes the service checks. The exceptions (an upload's bytes,
    # relations between fields) are the live run's, in tests/api/schemathesis.toml.
    config = SchemathesisConfig.from_path(CONFIG)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app, config=config)
    headers = bearer(fuzz_app.config["TOKENS"].admin)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            case.call_and_validate(headers=headers)

        fuzz()
