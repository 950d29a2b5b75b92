"""The service's application class: HTTP answers that Flask gives on its own, made to state what
the OpenAPI document says."""

from __future__ import annotations

from flask import Response, request
from flask_openapi3 import OpenAPI

__all__ = ["ServiceApp"]


class ServiceApp(OpenAPI):
    """flask-openapi3's app, whose automatic ``OPTIONS`` answers name the methods of the route
    the URL resolves to (every operation of that path pattern).

    Flask's own answer lists the methods of every rule that matches the URL: for
    ``/api/v1/sessions/{id}/agenda/add`` (POST) that includes the GET of
    ``/api/v1/sessions/{id}/agenda/{member_id}``, which also matches it, although a GET of that
    URL reads the agenda of a member called "add", not this resource. ``Allow`` says what this
    resource supports (RFC 9110 section 10.2.1), as the document lists it.
    """

    def make_default_options_response(self) -> Response:
        # flask-openapi3 adds a rule per operation: the resource is every rule of the same
        # pattern (GET and POST of /members are two rules), not every rule the URL matches.
        matched = request.url_rule
        methods = {"OPTIONS"}
        if matched is not None:
            for rule in self.url_map.iter_rules():
                if rule.rule == matched.rule:
                    methods.update(rule.methods or ())
        if "GET" in methods:
            methods.add("HEAD")
        response = self.response_class()
        response.allow.update(methods)
        return response
