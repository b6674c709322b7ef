"""An employer's groups of chosen workers over the API (private campaigns name them in their
``groups`` field). Only the owner sees a group: anybody else's is a 404.

    GET/POST /api/v1/groups/
    GET/PATCH/DELETE /api/v1/groups/{id}/
    GET/POST/DELETE /api/v1/groups/{id}/members/  {worker}
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from tasks import limits
from tasks.api.base import errors
from tasks.models import GroupMember, WorkerGroup
from tasks.selectors import group_members, group_of, groups_of
from tasks.services.groups import (
    group_create,
    group_delete,
    group_member_add,
    group_member_remove,
    group_rename,
)


class GroupSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=limits.GROUP_NAME_MAX_CHARS)
    member_count = serializers.IntegerField(read_only=True, help_text=_("Workers in it."))

    class Meta:
        model = WorkerGroup
        fields = ["id", "name", "member_count", "created_at"]
        read_only_fields = ["id", "member_count", "created_at"]


class MemberSerializer(serializers.ModelSerializer):
    worker = serializers.IntegerField(source="worker_id", read_only=True)
    worker_name = serializers.CharField(
        source="worker.public_name", read_only=True, help_text=_("The worker's public name.")
    )

    class Meta:
        model = GroupMember
        fields = ["worker", "worker_name", "added_at"]
        read_only_fields = fields


class MemberWriteSerializer(serializers.Serializer):
    worker = serializers.IntegerField(
        min_value=1, help_text=_("The worker's number (their id, on their profile page).")
    )


@extend_schema_view(
    get=extend_schema(responses={200: GroupSerializer(many=True), **errors(401)}),
    post=extend_schema(
        request=GroupSerializer,
        responses={201: GroupSerializer, **errors(400, 401, 409)},
        description="Make an empty group. Errors: `invalid` (400, or 409 for a name you "
        "already use), `limit_reached` (409: as many groups as Kaaj keeps).",
    ),
)
class GroupListView(ListAPIView):
    """Your groups of workers, by name, each with how many workers it holds; ``POST`` makes
    one."""

    serializer_class = GroupSerializer

    def get_queryset(self):
        return groups_of(self.request.user)

    def post(self, request: Request) -> Response:
        data = GroupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = group_create(owner=request.user, name=data.validated_data["name"])
        body = GroupSerializer(group_of(request.user, group.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class GroupDetailView(APIView):
    @extend_schema(responses={200: GroupSerializer, **errors(401, 404)})
    def get(self, request: Request, pk: int) -> Response:
        """One of your groups."""
        return Response(GroupSerializer(group_of(request.user, pk)).data)

    @extend_schema(
        request=GroupSerializer,
        responses={200: GroupSerializer, **errors(400, 401, 404, 409)},
        description="Rename the group. Errors as for making one.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        group = group_of(request.user, pk)
        data = GroupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group_rename(group=group, name=data.validated_data["name"], by=request.user)
        return Response(GroupSerializer(group_of(request.user, pk)).data)

    @extend_schema(
        responses={204: None, **errors(401, 404, 409)},
        description="Delete the group. Refused with `group_in_use` (409) while a campaign "
        "that is not over is open to it.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        group_delete(group=group_of(request.user, pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(responses={200: MemberSerializer(many=True), **errors(401, 404)}),
)
class GroupMembersView(ListAPIView):
    """The group's workers, newest first; ``POST {worker}`` adds one, ``DELETE {worker}``
    takes one out."""

    serializer_class = MemberSerializer

    def get_queryset(self):
        return group_members(group_of(self.request.user, self.kwargs["pk"]))

    @extend_schema(
        request=MemberWriteSerializer,
        responses={201: MemberSerializer, 200: MemberSerializer, **errors(400, 401, 404, 409)},
        description="Add a worker: 201, or 200 with the existing entry for a worker already "
        "in it. Errors: `invalid_worker` (400: no such worker), `own_group` (400), "
        "`limit_reached` (409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        group = group_of(request.user, pk)
        data = MemberWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member, added = group_member_add(
            group=group,
            worker=User.objects.filter(pk=data.validated_data["worker"]).first(),
            by=request.user,
        )
        return Response(
            MemberSerializer(member).data,
            status=status.HTTP_201_CREATED if added else status.HTTP_200_OK,
        )

    @extend_schema(
        request=MemberWriteSerializer,
        responses={204: None, **errors(400, 401, 404)},
        description="Take a worker out: they no longer see the group's private campaigns "
        "(work they claimed runs its course). A worker not in it: 204 all the same.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        group = group_of(request.user, pk)
        data = MemberWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group_member_remove(group=group, worker_id=data.validated_data["worker"], by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
