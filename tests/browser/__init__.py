# A package, so that this folder's conftest.py is imported as ``browser.conftest`` and does not
# take the module name ``conftest`` that the engine's tests import their helpers from.
