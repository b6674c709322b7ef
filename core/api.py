"""The API's shared pieces that every app's endpoints use: the error shape for the schema and
choice fields whose values are one named schema component. The handler that renders errors
is wiring (``marketplace.api``)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The shape of every API error, for the OpenAPI schema."""

    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class NamedChoiceField(serializers.ChoiceField):
    """A choice field whose set of values is one named schema component (``component``), so
    every serializer that uses it shares one enum and no two sets fight over a name."""

    def __init__(self, *, component: str, **kwargs) -> None:
        self.component = component
        super().__init__(**kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def map_serializer_field(self, auto_schema, direction):
        component = ResolvedComponent(
            name=self.target.component,
            type=ResolvedComponent.SCHEMA,
            object=self.target.component,
            schema={"type": "string", "enum": list(self.target.choices)},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref
