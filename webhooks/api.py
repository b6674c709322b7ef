"""Webhook endpoints and their deliveries, for the employer who owns them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer, NamedChoiceField

from . import selectors, services
from .models import Delivery, DeliveryStatus, Endpoint, WebhookEvent


def event_field(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(component="WebhookEventEnum", choices=WebhookEvent.choices, **kwargs)


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=event_field(), help_text="Subscribed events; empty means every event."
    )

    class Meta:
        model = Endpoint
        fields = ["id", "url", "description", "events", "is_active", "created_at"]
        read_only_fields = fields


class EndpointWithSecretSerializer(EndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Signs every event (Kaaj-Signature); keep it private."
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class EndpointCreateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text="An https:// URL on the internet.")
    description = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default=""
    )
    events = serializers.ListField(
        child=event_field(),
        required=False,
        default=list,
        help_text="Events to receive; empty or left out means every event.",
    )


class DeliverySerializer(serializers.ModelSerializer):
    endpoint = serializers.IntegerField(source="endpoint_id", read_only=True)
    status = NamedChoiceField(
        component="WebhookDeliveryStatusEnum", choices=DeliveryStatus.choices, read_only=True
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "endpoint",
            "event",
            "event_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
            "payload",
        ]
        read_only_fields = fields


class EndpointListView(ListAPIView):
    """Your webhook endpoints; ``POST`` adds one (its secret is in the answer)."""

    serializer_class = EndpointSerializer

    def get_queryset(self):
        return Endpoint.objects.filter(employer=self.request.user).order_by("created_at", "id")

    @extend_schema(responses={200: EndpointSerializer(many=True), 401: ErrorSerializer})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=EndpointCreateSerializer,
        responses={
            201: EndpointWithSecretSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            409: ErrorSerializer,
        },
        description="Errors: `https_required`, `private_address`, `invalid_url`, "
        "`invalid_event` (400); `too_many_endpoints` (409).",
    )
    def post(self, request: Request) -> Response:
        data = EndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(employer=request.user, **data.validated_data)
        return Response(EndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointDetailView(APIView):
    """One of your endpoints, with its secret; anybody else's is a 404."""

    @extend_schema(
        responses={200: EndpointWithSecretSerializer, 401: ErrorSerializer, 404: ErrorSerializer}
    )
    def get(self, request: Request, pk: int) -> Response:
        endpoint = selectors.endpoint_of(request.user, pk)
        return Response(EndpointWithSecretSerializer(endpoint).data)

    @extend_schema(responses={204: None, 401: ErrorSerializer, 404: ErrorSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        endpoint = selectors.endpoint_of(request.user, pk)
        services.endpoint_delete(endpoint=endpoint, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointDeliveriesView(ListAPIView):
    """The endpoint's deliveries, newest first; ``?status=pending|succeeded|failed``."""

    serializer_class = DeliverySerializer

    def get_queryset(self):
        endpoint = selectors.endpoint_of(self.request.user, self.kwargs["pk"])
        rows = endpoint.deliveries.order_by("-created_at", "-id")
        wanted = self.request.query_params.get("status", "")
        return rows.filter(status=wanted) if wanted in DeliveryStatus.values else rows

    @extend_schema(
        responses={
            200: DeliverySerializer(many=True),
            401: ErrorSerializer,
            404: ErrorSerializer,
        }
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class DeliveryResendView(APIView):
    """Send a delivery again now: same event id and payload, a fresh signature."""

    @extend_schema(
        request=None,
        responses={
            202: DeliverySerializer,
            401: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
        description="Errors: `in_flight` (409) while an attempt is under way.",
    )
    def post(self, request: Request, pk: int) -> Response:
        delivery = selectors.delivery_of(request.user, pk)
        delivery = services.delivery_resend(delivery=delivery, by=request.user)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
