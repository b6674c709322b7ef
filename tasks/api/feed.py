"""The worker's feed: campaigns with an open task this worker may claim now."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView

from marketplace.api import ErrorSerializer
from tasks.selectors import employer_stats_attach, feed

from .serializers import FeedItemSerializer, FeedQuerySerializer


@extend_schema_view(
    get=extend_schema(
        parameters=[FeedQuerySerializer],
        responses={200: FeedItemSerializer(many=True), 400: ErrorSerializer, 401: ErrorSerializer},
    )
)
class FeedView(ListAPIView):
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

    def paginate_queryset(self, queryset):
        """The page, with its employers' track records (one query for the whole page)."""
        page = super().paginate_queryset(queryset)
        return None if page is None else employer_stats_attach(page)
