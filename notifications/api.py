"""Notifications API: the user's list with its unread count, mark one or all read."""

from __future__ import annotations

from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer
from core.db import replica_reads
from notifications import selectors, services
from notifications.models import Notification, NotificationKind
from notifications.texts import render_detail, render_title


class NotificationSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="One of: " + ", ".join(NotificationKind.values) + ".")
    text = serializers.SerializerMethodField(help_text="In the request's language.")
    detail = serializers.SerializerMethodField(help_text="The reason given, if any.")
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "params",
            "count",
            "text",
            "detail",
            "url",
            "unread",
            "created_at",
            "updated_at",
            "read_at",
        ]
        read_only_fields = fields

    def get_text(self, obj: Notification) -> str:
        return render_title(obj.kind, obj.params, obj.count)

    def get_detail(self, obj: Notification) -> str:
        return render_detail(obj.params)

    def get_unread(self, obj: Notification) -> bool:
        return obj.read_at is None


class NotificationPagination(PageNumberPagination):
    """``{next, previous, results}`` plus the user's ``unread`` count (no total COUNT)."""

    page_size = 20

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "unread": selectors.unread_count(self.request.user),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["unread"] = {"type": "integer"}
        schema["properties"].pop("count", None)
        schema["required"] = [name for name in schema.get("required", []) if name != "count"]
        return schema


@method_decorator(replica_reads, name="get")  # from the read replica, if there is one
class NotificationList(ListAPIView):
    serializer_class = NotificationSerializer
    pagination_class = NotificationPagination

    def get_queryset(self):
        return selectors.notifications_of(self.request.user)


_Unread = inline_serializer("NotificationsUnread", {"unread": serializers.IntegerField()})


class NotificationRead(APIView):
    @extend_schema(request=None, responses={200: _Unread, 404: ErrorSerializer})
    def post(self, request: Request, pk: int) -> Response:
        notification = selectors.notification_for(request.user, pk)
        services.notification_mark_read(notification=notification, by=request.user)
        return Response({"unread": selectors.unread_count(request.user)})


class NotificationReadAll(APIView):
    @extend_schema(request=None, responses={200: _Unread})
    def post(self, request: Request) -> Response:
        services.notifications_mark_all_read(by=request.user)
        return Response({"unread": 0})
