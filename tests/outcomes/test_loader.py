"""load_questionnaires: the shipped definitions, idempotently; a clinic's licensed file,
checked whole before anything is written."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ptrx.outcomes.models import Questionnaire

pytestmark = pytest.mark.django_db


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_questionnaires", *args, stdout=out)
    return out.getvalue()


def odi(sections: int) -> dict:
    return {
        "code": "odi", "name": "Oswestry Disability Index", "scoring": "odi", "min_answered": 8,
        "meaningful_change": {"points": 10, "percent": 30, "higher_is_better": False},
        "items": [{"key": f"s{n}", "text": f"Section {n}", "min": 0, "max": 5, "optional": True} for n in range(sections)],
    }  # fmt: skip


def test_loading_twice_keeps_what_is_there(library):
    assert load() == "questionnaires: 0 written, 4 kept\n"
    Questionnaire.objects.filter(code="psfs").update(name="Edited")
    load()
    assert Questionnaire.objects.get(code="psfs").name == "Edited"
    assert load("--reset") == "questionnaires: 4 written, 0 kept\n"
    assert Questionnaire.objects.get(code="psfs").name == "Patient-Specific Functional Scale"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (json.dumps([odi(10), odi(9) | {"code": "odi2"}]), "10 sections scored 0-5"),
        (json.dumps([odi(10) | {"scoring": "median"}]), "unknown scoring rule"),
        (json.dumps([odi(10) | {"branches": ["lateral"]}]), "branches"),
        (json.dumps([odi(10) | {"first_day": "soon"}]), "first_day"),
        (json.dumps([odi(10) | {"min_answered": 2.5}]), "min_answered"),
        ("{not json", "cannot read"),
        (json.dumps({"code": "odi"}), "list of definitions"),
    ],
)
def test_a_bad_file_exits_non_zero_and_writes_nothing(library, tmp_path, content, message):
    path = tmp_path / "clinic.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        load("--file", str(path))
    assert not Questionnaire.objects.filter(code__startswith="odi").exists()


def test_a_licensed_oswestry_file_loads(library, tmp_path):
    path = tmp_path / "odi.json"
    path.write_text(json.dumps([odi(10)]))
    assert load("--file", str(path)) == "questionnaires: 1 written, 0 kept\n"
    assert Questionnaire.objects.get(code="odi").scoring == "odi"
    with pytest.raises(CommandError, match="cannot read"):
        load("--file", str(tmp_path / "missing.json"))
