"""The worker's feed: campaigns with an open task this worker may claim now."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from core.api import ErrorSerializer
from core.pagination import count_free_page, page_number
from tasks.selectors import employer_stats_attach, feed

from .serializers import FeedItemSerializer, FeedQuerySerializer

FEED_PAGE_SIZE = 20


class FeedPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = FeedItemSerializer(many=True)


@extend_schema_view(
    get=extend_schema(
        parameters=[FeedQuerySerializer],
        responses={200: FeedPageSerializer, 400: ErrorSerializer, 401: ErrorSerializer},
    )
)
class FeedView(GenericAPIView):
    """Active campaigns you may claim from now (country, success rate, your per-campaign cap,
    the employer's blocks), best paid or newest first, each with the employer's approval rate
    and average time to rate. A fixed number of queries per page, whatever its size."""

    serializer_class = FeedItemSerializer

    def get_queryset(self):
        query = FeedQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return feed(
            worker=self.request.user,
            category=query.validated_data.get("category"),
            sort=query.validated_data["sort"],
        )

    pagination_class = None  # see get(): pages without a COUNT

    def get(self, request, *args, **kwargs):
        """One page (``?page=``), with its employers' track records (one more query)."""
        number = page_number(request.query_params.get("page"))
        page = count_free_page(self.get_queryset(), number, FEED_PAGE_SIZE)
        items = self.get_serializer(employer_stats_attach(page.object_list), many=True).data
        url = request.build_absolute_uri()
        return Response(
            {
                "next": replace_query_param(url, "page", number + 1) if page.has_next else None,
                "previous": (
                    replace_query_param(url, "page", number - 1) if page.has_previous else None
                ),
                "results": items,
            }
        )
