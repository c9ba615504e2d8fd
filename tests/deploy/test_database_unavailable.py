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


@pytest.mark.django_db(transaction=True)
def test_the_503_says_rolled_back_only_when_nothing_of_the_request_can_have_been_stored():
    from django.contrib.auth.models import Group
    from django.db import transaction

    from config.middleware import ROLLED_BACK, UNKNOWN, DatabaseUnavailableMiddleware

    def fails_inside_the_transaction(request):
        try:
            with transaction.atomic():
                Group.objects.create(name="inside")
                raise OperationalError("server closed the connection unexpectedly")
        except OperationalError as exc:
            return DatabaseUnavailableMiddleware.process_exception(None, request, exc)

    def fails_after_the_commit(request):
        with transaction.atomic():
            Group.objects.create(name="committed")
        try:
            Group.objects.count()  # the next statement: here the connection would break
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError as exc:
            return DatabaseUnavailableMiddleware.process_exception(None, request, exc)

    for view, expected in ((fails_inside_the_transaction, ROLLED_BACK), (fails_after_the_commit, UNKNOWN)):
        response = DatabaseUnavailableMiddleware(view)(RequestFactory().post("/api/v1/batches/"))
        assert response.status_code == 503 and json.loads(response.content)["detail"] == expected
    assert list(Group.objects.values_list("name", flat=True)) == ["committed"]
