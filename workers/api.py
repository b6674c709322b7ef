"""An employer's blocks: list them, block a worker, lift a block. Only the employer who made
a block sees it (anybody else's is a 404)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import ErrorSerializer

from . import selectors, services
from .models import Block


class BlockSerializer(serializers.ModelSerializer):
    worker = serializers.IntegerField(source="worker_id", read_only=True)
    worker_name = serializers.CharField(
        source="worker.public_name", read_only=True, help_text="The worker's public name."
    )

    class Meta:
        model = Block
        fields = ["id", "worker", "worker_name", "reason", "created_at"]
        read_only_fields = fields


class BlockCreateSerializer(serializers.Serializer):
    worker = serializers.IntegerField(min_value=1, help_text="The id of the worker to block.")
    reason = serializers.CharField(
        max_length=services.REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="A note for yourself; the worker does not see it.",
    )


class BlockListView(ListAPIView):
    """The workers you blocked, newest first; ``POST`` blocks one."""

    serializer_class = BlockSerializer

    def get_queryset(self):
        return selectors.blocks_of(self.request.user)

    @extend_schema(responses={200: BlockSerializer(many=True), 401: ErrorSerializer})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=BlockCreateSerializer,
        responses={
            200: BlockSerializer,
            201: BlockSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
        },
        description="The worker no longer sees your campaigns in their feed nor may claim "
        "their tasks. 201 with the new block; blocking a worker already blocked is 200 with "
        "the existing block, its reason unchanged. Errors (400, with `errors.worker` or "
        "`errors.reason`): `invalid_worker` (no such user), `cannot_block_self`, `invalid`.",
    )
    def post(self, request: Request) -> Response:
        data = BlockCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        block, created = services.worker_block(
            employer=request.user,
            worker=User.objects.filter(pk=data.validated_data["worker"]).first(),
            reason=data.validated_data["reason"],
        )
        return Response(
            BlockSerializer(block).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class BlockDetailView(APIView):
    """One of your blocks; anybody else's is a 404."""

    @extend_schema(responses={204: None, 401: ErrorSerializer, 404: ErrorSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        """Lift the block: the worker sees and may claim your campaigns again."""
        block = selectors.block_of(request.user, pk)
        services.block_remove(block=block, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
