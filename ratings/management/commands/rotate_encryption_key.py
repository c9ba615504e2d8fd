"""``manage.py rotate_encryption_key``: re-encrypt every target text with the first key."""

from django.core.management.base import BaseCommand

from ratings.services.encryption_keys import material_reencrypt, perturbation_edits_reencrypt, target_texts_reencrypt


class Command(BaseCommand):
    help = ("Re-encrypt stored material with the first key of ANCHOR_ENCRYPTION_KEYS (put the new key "
            "first, keep the old ones after it, run this, then remove the old keys).")

    def handle(self, *args, **options):
        done, current = target_texts_reencrypt()
        self.stdout.write(f"{done} target text(s) re-encrypted with the first key, {current} already current")
        raters = perturbation_edits_reencrypt()
        self.stdout.write(f"{raters} content-edit rater(s) re-encrypted")
        for _, (label, done, current) in material_reencrypt.send(sender=None):
            self.stdout.write(f"{done} {label} re-encrypted with the first key, {current} already current")
