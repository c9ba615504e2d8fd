"""Publishing definitions: versions are immutable, identical content is not stored twice,
and a refused definition stores nothing."""

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from instruments.definition import DefinitionError, content_hash, load_definition
from instruments.models import Instrument, InstrumentVersion, Item
from instruments.services import instrument_load


def test_publishing_stores_version_items_and_hash(db, builtin_text):
    result = instrument_load(text=builtin_text("therapy-engagement"))
    version = result.version
    assert result.created
    assert version.content_hash == content_hash(load_definition(builtin_text("therapy-engagement")))
    items = list(version.items.all())
    assert [i.code for i in items][:2] == ["participation", "disclosure"]
    assert [(i.scale_min, i.scale_max) for i in items] == [(1, 5)] * 10
    assert [i.code for i in items if i.reverse] == ["resistance"]


def test_publishing_the_same_content_twice_is_a_no_op(db, builtin_text):
    first = instrument_load(text=builtin_text("therapy-engagement"))
    again = instrument_load(text=yaml.safe_dump(yaml.safe_load(builtin_text("therapy-engagement"))))
    assert not again.created and again.version.pk == first.version.pk
    assert InstrumentVersion.objects.count() == 1 and Item.objects.count() == 10


def _edited(text: str, version: str) -> str:
    document = yaml.safe_load(text)
    document["items"][0]["text"] = "The client joined in."
    document["version"] = version
    return yaml.safe_dump(document)


def test_edited_content_under_a_published_version_is_refused(db, builtin_text):
    instrument_load(text=builtin_text("therapy-engagement"))
    with pytest.raises(DefinitionError) as raised:
        instrument_load(text=_edited(builtin_text("therapy-engagement"), "1.0.0"))
    assert raised.value.problems[0].path == "version"
    assert "immutable" in raised.value.problems[0].message
    assert InstrumentVersion.objects.count() == 1


def test_an_edit_is_published_as_a_new_version(db, builtin_text):
    first = instrument_load(text=builtin_text("therapy-engagement")).version
    second = instrument_load(text=_edited(builtin_text("therapy-engagement"), "1.1.0")).version
    assert second.instrument_id == first.instrument_id and second.version == "1.1.0"
    assert first.items.get(code="participation").text != second.items.get(code="participation").text
    first.refresh_from_db()
    assert first.definition["items"][0]["text"].startswith("The client took an active part")


def test_a_published_version_cannot_be_saved_again(db, builtin_text):
    version = instrument_load(text=builtin_text("therapy-engagement")).version
    version.title = "changed"
    with pytest.raises(ValidationError, match="immutable"):
        version.save()


def test_load_instrument_command_refuses_a_bad_file_and_stores_nothing(db, builtin_text, write_file):
    document = yaml.safe_load(builtin_text("therapy-engagement"))
    document["items"][3]["scale"] = "nope"
    document["subscales"][1]["method"] = "median"
    path = write_file("bad.yaml", yaml.safe_dump(document))
    with pytest.raises(CommandError) as raised:
        call_command("load_instrument", str(path))
    message = str(raised.value)
    assert "nothing stored" in message
    assert "items[3].scale" in message and "subscales[1].method" in message
    assert Instrument.objects.count() == 0 and InstrumentVersion.objects.count() == 0


def test_load_and_export_commands_round_trip(db, builtin_text, write_file, capsys):
    call_command("load_instrument", "--builtin")
    assert InstrumentVersion.objects.count() == 4  # the four built-ins
    capsys.readouterr()
    for fmt, suffix in (("yaml", "yaml"), ("json", "json")):
        call_command("export_instrument", "novelty-assessment", "--format", fmt)
        exported = write_file(f"novelty.{suffix}", capsys.readouterr().out)
        call_command("load_instrument", str(exported))
        assert "already published, unchanged" in capsys.readouterr().out
    assert InstrumentVersion.objects.count() == 4


def test_export_of_an_unknown_instrument_is_an_error(db):
    with pytest.raises(CommandError, match="no published instrument 'ghost'"):
        call_command("export_instrument", "ghost")
