"""The service's fixtures: `app` (seeded, once on SQLite and once on PostgreSQL), its test
`client` and its users' `tokens`. The data and helpers they are built from are in
service_fixtures.py, which tests import for the constants and helpers they use."""

import pytest
from service_fixtures import Tokens, dispose_app, make_app, postgres_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app(request, tmp_path):
    """The seeded app, once on SQLite and once on PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'test.sqlite'}" if request.param == "sqlite" else postgres_url()
    app = make_app(tmp_path, url)
    yield app
    dispose_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(app) -> Tokens:
    return app.config["TOKENS"]
