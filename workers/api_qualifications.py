"""Qualification tests over the API: list and write them (employers; moderators for the
platform's), read one (workers get the questions, never the answers), take one.

    GET/POST /api/v1/qualifications/
    GET/PATCH /api/v1/qualifications/{id}/
    POST /api/v1/qualifications/{id}/attempts/  {answers} -> {passed, score, retry_after}
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks import qualifications as rules
from tasks.api.base import errors
from tasks.models import Qualification
from tasks.selectors import qualification_of, qualifications_for
from tasks.services.qualifications import (
    QualificationSpec,
    may_edit,
    qualification_attempt,
    qualification_create,
    qualification_update,
    retake_wait,
)


class QuestionSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=rules.QUESTION_MAX_CHARS)
    kind = serializers.ChoiceField(choices=rules.KINDS)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=rules.CHOICE_MAX_CHARS),
        max_length=rules.CHOICES_MAX,
        required=False,
        default=list,
        help_text=_("A choice question's choices; empty for a text question."),
    )
    answer = serializers.JSONField(
        help_text=_(
            "The right answer: a choice's index (from 0) or the expected text. Only the "
            "test's author sees it."
        )
    )


class QualificationSerializer(serializers.ModelSerializer):
    """A test as its reader may see it: the questions always, their answers only for its
    author (``can_edit``)."""

    platform = serializers.BooleanField(
        source="is_platform",
        default=False,
        help_text=_("Kaaj's own test, which every employer may require (moderators write them)."),
    )
    owner_name = serializers.SerializerMethodField(help_text=_("Who wrote it."))
    questions = QuestionSerializer(many=True, max_length=rules.QUESTIONS_MAX)
    held = serializers.BooleanField(read_only=True, help_text=_("You passed it."))
    retry_after = serializers.SerializerMethodField(
        help_text=_("When you may take it again after a failed attempt; null: now.")
    )
    can_edit = serializers.SerializerMethodField()

    class Meta:
        model = Qualification
        fields = [
            "id",
            "name",
            "description",
            "platform",
            "owner_name",
            "pass_mark",
            "retake_after_hours",
            "is_active",
            "questions",
            "held",
            "retry_after",
            "can_edit",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def get_owner_name(self, qualification: Qualification) -> str:
        return "Kaaj" if qualification.owner is None else qualification.owner.public_name

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_retry_after(self, qualification: Qualification):
        wait = retake_wait(qualification)
        return None if wait is None else serializers.DateTimeField().to_representation(wait)

    def get_can_edit(self, qualification: Qualification) -> bool:
        return may_edit(qualification, self.context["request"].user)

    def to_representation(self, qualification: Qualification) -> dict:
        data = super().to_representation(qualification)
        if not data["can_edit"]:
            data["questions"] = rules.for_worker(qualification.questions)
        return data

    def to_spec(self, qualification: Qualification | None = None) -> QualificationSpec:
        """The author's choices: the request's over the test's (for a PATCH)."""
        values = self.validated_data
        current = qualification or Qualification(retake_after_hours=24, is_active=True)

        def value(name: str):
            return values.get(name, getattr(current, name))

        return QualificationSpec(
            name=value("name") or "",
            description=value("description") or "",
            questions=[dict(q) for q in values["questions"]]
            if "questions" in values
            else current.questions,
            pass_mark=value("pass_mark") or 0,
            retake_after_hours=value("retake_after_hours"),
            is_active=value("is_active"),
        )


class AttemptSerializer(serializers.Serializer):
    answers = serializers.ListField(
        child=serializers.JSONField(),
        max_length=rules.QUESTIONS_MAX,
        help_text=_("One answer a question, in order: a choice's index, or a short text."),
    )


class AttemptResultSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    score = serializers.IntegerField(help_text=_("Percent of the questions answered right."))
    retry_after = serializers.DateTimeField(
        allow_null=True, help_text=_("When you may try again (failed attempts only).")
    )


@extend_schema_view(
    get=extend_schema(responses={200: QualificationSerializer(many=True), **errors(401)}),
    post=extend_schema(
        request=QualificationSerializer,
        responses={201: QualificationSerializer, **errors(400, 401, 403)},
        description="Write a test. `platform: true` (moderators only) makes it Kaaj's. "
        "Errors: `invalid` (400, with `errors` per field), `permission_denied` (403).",
    ),
)
class QualificationListView(ListAPIView):
    """Every open test (yours too when retired), each with whether you passed it and when
    you may retake it; ``POST`` writes one."""

    serializer_class = QualificationSerializer

    def get_queryset(self):
        return qualifications_for(self.request.user)

    def post(self, request: Request) -> Response:
        data = QualificationSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        created = qualification_create(
            by=request.user,
            spec=data.to_spec(),
            platform=data.validated_data.get("is_platform", False),
        )
        body = QualificationSerializer(
            qualification_of(request.user, created.pk), context={"request": request}
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class QualificationDetailView(APIView):
    @extend_schema(responses={200: QualificationSerializer, **errors(401, 404)})
    def get(self, request: Request, pk: int) -> Response:
        """One test: its questions (with their answers for its author only)."""
        qualification = qualification_of(request.user, pk)
        return Response(QualificationSerializer(qualification, context={"request": request}).data)

    @extend_schema(
        request=QualificationSerializer,
        responses={200: QualificationSerializer, **errors(400, 401, 404)},
        description="Change your test (`is_active: false` retires it: nobody may take it "
        "any more; who passed it keeps the qualification).",
    )
    def patch(self, request: Request, pk: int) -> Response:
        qualification = qualification_of(request.user, pk)
        data = QualificationSerializer(
            qualification, data=request.data, partial=True, context={"request": request}
        )
        data.is_valid(raise_exception=True)
        qualification_update(
            qualification=qualification, by=request.user, spec=data.to_spec(qualification)
        )
        fresh = qualification_of(request.user, pk)
        return Response(QualificationSerializer(fresh, context={"request": request}).data)


class AttemptView(APIView):
    @extend_schema(
        request=AttemptSerializer,
        responses={201: AttemptResultSerializer, **errors(400, 401, 403, 404, 409)},
        description="Take the test: graded at once; a pass gives you the qualification. "
        "Errors: `invalid` (400: not one answer a question), `own_qualification` (403), "
        "`qualification_closed`, `already_qualified`, `retry_later` (409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        qualification = qualification_of(request.user, pk)
        data = AttemptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = qualification_attempt(
            qualification=qualification, worker=request.user, answers=data.validated_data["answers"]
        )
        body = AttemptResultSerializer(
            {
                "passed": result.attempt.passed,
                "score": result.attempt.score,
                "retry_after": result.retry_after,
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED)
