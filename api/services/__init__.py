"""The service's domain: plain functions over the database, shared by the API and the pages.

A service takes a database session (SQLAlchemy's) and plain values (ids, a
:class:`api.auth.Caller`, validated fields) and returns rows, dicts or the library's objects;
it never reads the request (``flask.request``, ``flask.g``) nor builds a response. Its
refusals are :class:`api.errors.ApiError` (via :func:`api.errors.abort`), which carry the
HTTP status they are answered with. The blueprints (:mod:`api.members`, :mod:`api.sessions`...)
parse a request, call a service and answer; the manager pages (:mod:`api.web`) call the same
services, so that both apply the same rules.

The modules, each importing only those listed before it (the services' imports form no cycle,
see ``tests/api/test_api_layers.py``):

- :mod:`.networks`: the networks' display names in English and Ukrainian.
- :mod:`.members`: a member's profile as the API gives and takes it (parsing, storing,
  compare-and-set revisions), who may act for a member, the list of members.
- :mod:`.feedback`: feedback on suggestions: recording it, the declined partners, and each
  side's latest answer, which makes a mutual match (contacts shown, a partnership learnt).
- :mod:`.transfer`: import and export of members and links (CSV, XLSX, JSON), for the API and
  the CLI.
- :mod:`.serving`: the model that serves suggestions in every worker, and training, activating
  and purging model versions.
- :mod:`.suggestions`: partners ranked for a stored or a prospective member by the served
  model, with the per-worker cache.
- :mod:`.sessions`: matchmaking sessions in the database: access, load, change and save
  (all or nothing, optimistic revisions), outcomes flowing back as feedback.
- :mod:`.erasure`: a member leaving the service: its withdrawal, or the erasure of every row
  about it (its sessions included).
- :mod:`.insights`: the cluster insights, computed in the background once per network, model
  version and data revision, and stored for every worker.

Nothing is imported here: ``import api.services`` costs nothing, and each module loads only
what it uses.
"""
