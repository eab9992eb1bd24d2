"""Read-only serializers rendered straight from their declared fields.

DRF's Serializer.to_representation walks every field through get_attribute and
to_representation, about 40% of the plan and today requests (docs/PERFORMANCE.md).
A FastRender serializer compiles its declared fields once per class into plain
getters and conversions with the same results, so the declared fields stay the one
list of each shape: the published schema and the rendering both come from them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import Manager
from rest_framework import fields, serializers

Render = Callable[[Any], Any]


def _getter(field: fields.Field) -> Render:
    """The field's value read from an instance, as DRF's get_attribute reads it for a
    read-only field: through `source` (dots allowed), None past a missing object."""
    attrs = field.source_attrs
    if not attrs:  # source="*"
        return lambda instance: instance
    if len(attrs) == 1:
        name = attrs[0]
        return lambda instance: getattr(instance, name)

    def get(instance: Any) -> Any:
        for name in attrs:
            if instance is None:
                return None
            instance = getattr(instance, name)
        return instance

    return get


def _choice(value: Any) -> Any:
    return value if value in ("", None) else str(value)


def _converter(field: fields.Field) -> Render:
    """What DRF's to_representation of this field does to a value that is not None."""
    if isinstance(field, serializers.ListSerializer):
        assert field.child is not None
        child = _converter(field.child)
        return lambda values: [
            child(value) for value in (values.all() if isinstance(values, Manager) else values)
        ]
    if isinstance(field, FastRender):
        return type(field).compiled()
    if isinstance(field, fields.ListField):
        item = _converter(field.child)
        return lambda values: [None if value is None else item(value) for value in values]
    if isinstance(field, fields.BooleanField):
        return bool
    if isinstance(field, fields.IntegerField):
        return int
    if isinstance(field, fields.ChoiceField):
        return _choice
    if isinstance(field, fields.CharField):
        return str
    if isinstance(field, fields.DateField) and not isinstance(field, fields.DateTimeField):
        return lambda value: value.isoformat()
    return field.to_representation  # anything else the way DRF does it


class FastRender(serializers.Serializer[Any]):
    """A read-only serializer whose rendering is compiled from its declared fields."""

    _compiled: ClassVar[Render | None] = None

    @classmethod
    def compiled(cls) -> Render:
        if cls.__dict__.get("_compiled") is None:
            cls._compiled = cls._compile()
        return cls.__dict__["_compiled"]  # type: ignore[no-any-return]

    @classmethod
    def _compile(cls) -> Render:
        prototype = cls()  # binds the fields; method fields call its methods
        steps: list[tuple[str, Render, Render]] = []
        for name, field in prototype.fields.items():
            if field.write_only:
                continue
            if isinstance(field, fields.SerializerMethodField):
                steps.append((name, getattr(prototype, field.method_name), _identity))
            else:
                steps.append((name, _getter(field), _converter(field)))

        def render(instance: Any) -> dict[str, Any]:
            result = {}
            for name, get, convert in steps:
                value = get(instance)
                result[name] = None if value is None else convert(value)
            return result

        return render

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return self.compiled()(instance)  # type: ignore[no-any-return]


def _identity(value: Any) -> Any:
    return value
