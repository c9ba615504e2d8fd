"""Re-encrypting stored material with the current first key (key rotation)."""

from django.db import connection, transaction
from django.dispatch import Signal

from ratings.encryption import encrypted_with_primary, perturbation_decrypted, perturbation_encrypted
from ratings.models import Rater, Target

BATCH = 500

# Sent by ``rotate_encryption_key`` after the target texts, so apps that keep encrypted copies of
# material (the novelty pipeline's artefacts) re-encrypt them too; each receiver returns
# (label, re-encrypted, already current).
material_reencrypt = Signal()


def target_texts_reencrypt() -> tuple[int, int]:
    """Re-encrypt every target text not yet under the first key of ``ANCHOR_ENCRYPTION_KEYS``;
    returns (re-encrypted, already current). Each batch is one transaction, so an interrupted
    run leaves every row readable (old or new key) and a second run finishes the job."""
    done = current = 0
    ids = list(Target.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        with transaction.atomic():
            stale = [pk for pk, stored in stored_texts(batch) if not encrypted_with_primary(stored)]
            targets = list(Target.objects.filter(pk__in=stale).select_for_update())  # decrypted, any key
            Target.objects.bulk_update(targets, ["text"])  # written with the first key
        done, current = done + len(targets), current + len(batch) - len(targets)
    return done, current


def stored_texts(pks: list[int]) -> list[tuple[int, str]]:
    """(pk, text column as stored), not decrypted."""
    table = connection.ops.quote_name(Target._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, text FROM {table} WHERE id IN ({', '.join(['%s'] * len(pks))})", pks)
        return list(cursor.fetchall())


@transaction.atomic
def perturbation_edits_reencrypt() -> int:
    """Re-encrypt the edited material of content-edit robustness raters with the first key;
    returns how many raters changed."""
    done = 0
    for rater in Rater.objects.filter(perturbation__has_key="edits").select_for_update():
        edits = rater.perturbation.get("edits") or {}
        if all(encrypted_with_primary(text) for text in edits.values() if text):
            continue
        rater.perturbation = perturbation_encrypted(perturbation_decrypted(rater.perturbation))
        rater.save(update_fields=["perturbation"])
        done += 1
    return done
