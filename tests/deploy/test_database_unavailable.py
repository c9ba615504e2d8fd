"""The 503 of a lost database connection, for pages and the API (the stack test drops a real
connection behind gunicorn; this checks both shapes and that other errors pass through)."""

import json

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from config.middleware import DatabaseUnavailableMiddleware

middleware = DatabaseUnavailableMiddleware(lambda request: None)


@pytest.mark.parametrize("error", [OperationalError("server closed the connection unexpectedly"),
                                   InterfaceError("connection already closed")])
def test_a_page_answers_503_with_a_sentence(error):
    response = middleware.process_exception(RequestFactory().post("/rate/3/"), error)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.content.decode().startswith("The database connection was lost")


def test_the_api_answers_503_with_its_error_shape():
    response = middleware.process_exception(RequestFactory().post("/api/v1/batches/"), OperationalError("gone"))
    assert response.status_code == 503
    assert json.loads(response.content)["detail"].startswith("The database connection was lost")


def test_other_errors_are_left_to_django():
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("a bug")) is None
