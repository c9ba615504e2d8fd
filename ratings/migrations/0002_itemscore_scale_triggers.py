"""Database triggers that keep every item score inside its item's scale.

A CHECK constraint cannot read another table, and the scale bounds live on the item row, so
the rule is a trigger on insert and update, in both databases Anchor supports. A second rule
refuses a score whose item belongs to another instrument version than its rating.
"""

from django.db import migrations

MESSAGE_RANGE = "item score outside the item's scale"
MESSAGE_VERSION = "item score for an item of another instrument version than its rating"

SQLITE_BODY = """
BEGIN
  SELECT RAISE(ABORT, 'item score outside the item''s scale')
  WHERE EXISTS (
    SELECT 1 FROM instruments_item i WHERE i.id = NEW.item_id AND (
      NEW.score < i.scale_min OR NEW.score > i.scale_max
      OR (NEW.expected_score IS NOT NULL
          AND (NEW.expected_score < i.scale_min OR NEW.expected_score > i.scale_max))));
  SELECT RAISE(ABORT, 'item score for an item of another instrument version than its rating')
  WHERE (SELECT instrument_version_id FROM instruments_item WHERE id = NEW.item_id)
     <> (SELECT instrument_version_id FROM ratings_rating WHERE id = NEW.rating_id);
END;
"""

SQLITE_FORWARD = [
    f"CREATE TRIGGER ratings_itemscore_in_scale_{event.lower()} BEFORE {event} ON ratings_itemscore"
    + SQLITE_BODY
    for event in ("INSERT", "UPDATE")
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ratings_itemscore_in_scale_insert;",
    "DROP TRIGGER IF EXISTS ratings_itemscore_in_scale_update;",
]

POSTGRES_FORWARD = [
    """
CREATE FUNCTION ratings_itemscore_in_scale() RETURNS trigger AS $$
DECLARE
  item RECORD;
BEGIN
  SELECT scale_min, scale_max, instrument_version_id INTO item
    FROM instruments_item WHERE id = NEW.item_id;
  IF NEW.score < item.scale_min OR NEW.score > item.scale_max
     OR (NEW.expected_score IS NOT NULL
         AND (NEW.expected_score < item.scale_min OR NEW.expected_score > item.scale_max)) THEN
    RAISE EXCEPTION 'item score outside the item''s scale' USING ERRCODE = 'check_violation';
  END IF;
  IF item.instrument_version_id <> (SELECT instrument_version_id FROM ratings_rating
                                     WHERE id = NEW.rating_id) THEN
    RAISE EXCEPTION 'item score for an item of another instrument version than its rating'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER ratings_itemscore_in_scale BEFORE INSERT OR UPDATE ON ratings_itemscore
  FOR EACH ROW EXECUTE FUNCTION ratings_itemscore_in_scale();
""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS ratings_itemscore_in_scale ON ratings_itemscore;",
    "DROP FUNCTION IF EXISTS ratings_itemscore_in_scale();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"no item-score triggers for {schema_editor.connection.vendor}")
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("ratings", "0001_initial"), ("instruments", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
