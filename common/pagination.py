"""The REST API's default pagination (kept apart from the views, which DRF settings import)."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """`?page=N&page_size=M` (at most 1000); answers `{count, next, previous, results}`."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request):
        """A `page_size` that is not a whole number from 1 to 1000 is a 400, not ignored."""
        values = request.query_params.getlist(self.page_size_query_param)
        for value in values:
            if not value.isdigit() or not 1 <= int(value) <= self.max_page_size:
                raise ValidationError({self.page_size_query_param: [
                    f"a whole number from 1 to {self.max_page_size}, not {value!r}"]})
        return int(values[-1]) if values else self.page_size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1)
        return parameters
