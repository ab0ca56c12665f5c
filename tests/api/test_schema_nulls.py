"""A read-only field over a nullable or blank column says so in the schema.

DRF cannot tell that `source="assignee.username"` may be None when there is no assignee, and
it drops `allow_blank` from read-only fields, so the OpenAPI schema promised a string, a URL
or one of the choices where the API answers null or "". Every model serializer of the API
is walked: a read-only field whose source crosses a nullable relation or ends on a nullable
column must be declared with `allow_null=True`; a read-only choice, URL or e-mail field over
a column that may be blank, with `allow_blank=True`.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers

pytestmark = pytest.mark.fuzz
ROOT = Path(__file__).resolve().parents[2]


def _modules():
    """Every module of our apps that can hold an API serializer."""
    found = []
    for app in apps.get_app_configs():
        if not Path(app.path).is_relative_to(ROOT):
            continue
        names = [f"{app.name}.serializers"]
        if (Path(app.path) / "api").is_dir():
            names += [f"{app.name}.api.{m.name}" for m in pkgutil.iter_modules([f"{app.path}/api"])]
        for name in names:
            try:
                found.append(importlib.import_module(name))
            except ModuleNotFoundError:
                continue
    return found


def _model_serializers():
    seen = set()
    for module in _modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            meta = getattr(cls, "Meta", None)
            if (
                issubclass(cls, serializers.ModelSerializer)
                and getattr(meta, "model", None) is not None
                and cls not in seen
            ):
                seen.add(cls)
                yield cls


def _nullable(model, source_attrs: list[str]) -> bool:
    """Whether following source_attrs from model can meet a None."""
    for attr in source_attrs:
        try:
            field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return False  # a property or method: its annotation speaks for it
        if field.many_to_many or field.one_to_many:
            return False  # a list, empty rather than null
        if field.one_to_one and not field.concrete:  # the reverse side may be missing
            return True
        if field.null:
            return True
        if not field.is_relation:
            return False
        model = field.related_model
    return False


# Fields whose schema has a format or an enum that "" does not satisfy.
FORMATTED = (serializers.ChoiceField, serializers.URLField, serializers.EmailField)


def _blank(model, source_attrs: list[str]) -> bool:
    for attr in source_attrs[:-1]:
        try:
            model = model._meta.get_field(attr).related_model
        except FieldDoesNotExist:
            return False
        if model is None:
            return False
    try:
        return model._meta.get_field(source_attrs[-1]).blank
    except FieldDoesNotExist:
        return False


def _offenders() -> list[str]:
    found = []
    for cls in _model_serializers():
        try:
            fields = cls().fields
        except Exception:  # noqa: BLE001 - needs context to build: the fuzzing covers it
            continue
        model = cls.Meta.model
        for name, field in fields.items():
            if not field.read_only or field.source == "*":
                continue
            if isinstance(field, serializers.SerializerMethodField | serializers.ManyRelatedField):
                continue
            where = f"{cls.__module__}.{cls.__name__}.{name} (source {field.source})"
            if not field.allow_null and _nullable(model, field.source_attrs):
                found.append(f"{where}: allow_null")
            if (
                isinstance(field, FORMATTED)
                and not getattr(field, "allow_blank", False)
                and _blank(model, field.source_attrs)
            ):
                found.append(f"{where}: allow_blank")
    return sorted(found)


def test_read_only_fields_over_nullable_or_blank_columns_allow_them():
    assert _offenders() == []
