"""Page-number pagination whose `page` is what the schema says: a positive integer."""

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class StrictPageNumberPagination(PageNumberPagination):
    """A `page` that is not a positive integer is a 400; a page past the end stays a 404."""

    last_page_strings = ()

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: Any = None) -> Any:
        page = request.query_params.get(self.page_query_param)
        # Checked as text: int() of thousands of digits raises.
        if page is not None and not (page.isascii() and page.isdigit() and page.strip("0")):
            raise ValidationError({self.page_query_param: ["Give a page number: 1, 2, 3 ..."]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters
