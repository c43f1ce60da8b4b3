"""The REST API's pagination. A module of its own, importing nothing of the project: DRF
imports it while rest_framework.generics is itself being imported."""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """`?page=2&page_size=100`; each page says how many rows there are in all (`count`).

    A page past the last (or not a number) is a 404 in the API's error shape."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
