"""A worker's saved searches of the feed over the API: the feed's own filters under a name;
Kaaj tells the worker when a campaign that goes live matches one (``workers.searches``).

    GET/POST /api/v1/saved-searches/
    DELETE /api/v1/saved-searches/{id}/
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks.api.base import errors

from .models import SavedSearch
from .searches import (
    SAVED_SEARCH_NAME_MAX_CHARS,
    saved_search_delete,
    saved_search_of,
    saved_search_save,
    saved_searches_of,
)
from .serializers import FeedQuerySerializer


class SavedSearchSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = SavedSearch
        fields = [
            "id",
            "name",
            "q",
            "category",
            "min_reward_cents",
            "max_reward_cents",
            "hide_done",
            "created_at",
        ]
        read_only_fields = fields


class SavedSearchWriteSerializer(FeedQuerySerializer):
    """The feed's filters (as ``GET /api/v1/feed/`` takes them) and a name."""

    name = serializers.CharField(
        max_length=SAVED_SEARCH_NAME_MAX_CHARS,
        help_text=_("Saving a name you already use replaces that search."),
    )
    sort = None  # the order is the feed's business, not the search's


@extend_schema_view(
    get=extend_schema(responses={200: SavedSearchSerializer(many=True), **errors(401)}),
    post=extend_schema(
        request=SavedSearchWriteSerializer,
        responses={201: SavedSearchSerializer, **errors(400, 401, 409)},
        description="Save a search: you are told when a campaign you may take goes live "
        "and matches it. Errors: `invalid` (400: no name, a search that narrows nothing, an "
        "unknown category, the rewards upside down), `limit_reached` (409).",
    ),
)
class SavedSearchListView(ListAPIView):
    """Your saved searches, by name; ``POST`` saves one."""

    serializer_class = SavedSearchSerializer

    def get_queryset(self):
        return saved_searches_of(self.request.user)

    def post(self, request: Request) -> Response:
        data = SavedSearchWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        search = saved_search_save(
            worker=request.user, name=data.validated_data["name"], filters=data.filters()
        )
        return Response(SavedSearchSerializer(search).data, status=status.HTTP_201_CREATED)


class SavedSearchDetailView(APIView):
    @extend_schema(responses={204: None, **errors(401, 404)})
    def delete(self, request: Request, pk: int) -> Response:
        """Delete one of your saved searches."""
        saved_search_delete(search=saved_search_of(request.user, pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
