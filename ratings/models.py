"""Studies, the material rated in them, who rates, and the ratings they give.

Integrity lives in the database as well as in Python: one rating per (rater, target,
instrument version), one score per (rating, item), and item scores inside the item's scale
(a trigger, see migration 0002, because the bound lives on the item row).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from instruments.models import InstrumentVersion, Item

from .fields import ContentHashField, EncryptedTextField


class Study(models.Model):
    class RatingDesign(models.TextChoices):
        CROSSED = "crossed", "crossed (the same raters rate the targets; gaps allowed)"
        ONE_WAY = "one-way", "one-way (each target is rated by its own interchangeable raters)"

    slug = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    instrument_versions = models.ManyToManyField(InstrumentVersion, blank=True, related_name="studies")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    managers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="managed_studies",
                                      help_text="users who may see and change the study (besides staff)")
    rating_design = models.CharField(
        max_length=16, choices=RatingDesign.choices, blank=True,
        help_text="how raters are laid over targets; blank: the report infers it from the ratings")
    created_at = models.DateTimeField(auto_now_add=True)
    material_deleted_at = models.DateTimeField(null=True, blank=True,
                                               help_text="when the targets' texts and metadata were deleted on request")

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.slug


class Target(models.Model):
    """One piece of material to rate (a session transcript, a paper), with its outcomes."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="targets")
    external_id = models.CharField(max_length=200)
    text = EncryptedTextField(help_text="encrypted at rest (ANCHOR_ENCRYPTION_KEYS)")
    text_sha256 = ContentHashField(source="text")
    metadata = models.JSONField(default=dict, blank=True)
    criteria = models.JSONField(default=dict, blank=True, help_text="named numeric outcomes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "external_id"], name="unique_target_per_study"),
        ]

    def __str__(self) -> str:
        return f"{self.study.slug}/{self.external_id}"


class Segment(models.Model):
    """One ordered segment of a target's material (an utterance of a session transcript), the
    unit a coding instrument codes. The text is encrypted at rest like the target's; the speaker
    (a role such as "therapist") decides which code sets apply and is kept when material is
    deleted, so the codes can still be analysed."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="segments")
    external_id = models.CharField(max_length=200)
    position = models.PositiveIntegerField(help_text="order within the target, from 0")
    speaker = models.CharField(max_length=100)
    text = EncryptedTextField(help_text="encrypted at rest (ANCHOR_ENCRYPTION_KEYS)")
    text_sha256 = ContentHashField(source="text")

    class Meta:
        ordering = ["target", "position"]
        constraints = [
            models.UniqueConstraint(fields=["target", "external_id"], name="unique_segment_id_per_target"),
            models.UniqueConstraint(fields=["target", "position"], name="unique_segment_position_per_target"),
        ]

    def __str__(self) -> str:
        return f"{self.target_id}/{self.external_id}"


class Rater(models.Model):
    """A human (with or without an account here) or an LLM configuration.

    Installation-wide raters (``study`` empty) are account holders and Anchor's own LLM raters.
    A rater named in an imported file belongs to that study (``study`` set), so the same id in
    two studies is two raters; with per-target ids, one per (target, label) (``target`` set).
    """

    class Kind(models.TextChoices):
        HUMAN = "human"
        LLM = "llm"

    # Unique among installation-wide raters (accounts, Anchor's LLM raters) and, separately,
    # within a study among the raters an imported file named: two studies may both have "R1".
    name = models.CharField(max_length=320)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    study = models.ForeignKey(Study, null=True, blank=True, on_delete=models.CASCADE, related_name="raters",
                              help_text="set for a rater an imported file named: its id is a label in this study")
    target = models.ForeignKey(Target, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                               help_text="set when the file's ids were per-target labels: this rater is "
                                         "one (target, label) and rated this target only")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="rater")
    model_path = models.CharField(max_length=500, blank=True)
    model_sha256 = models.CharField(max_length=64, blank=True)
    prompt_template_version = models.CharField(max_length=64, blank=True)
    decoding = models.JSONField(default=dict, blank=True)
    perturbation = models.JSONField(default=dict, blank=True,
                                    help_text="for a robustness run: what is perturbed before rating "
                                              "(ratings/llm/perturbations.py) and the base rater")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text="the study manager whose rater pool this rater is in")
    password_change_required = models.BooleanField(
        default=False, help_text="an invited rater signs in with a one-time password and must choose their own")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="human", model_path="", model_sha256="")
                | Q(kind="llm", user__isnull=True),
                name="rater_kind_fields",
            ),
            models.UniqueConstraint(fields=["name"], condition=Q(study__isnull=True), name="unique_global_rater_name"),
            models.UniqueConstraint(fields=["study", "name"], condition=Q(study__isnull=False),
                                    name="unique_rater_name_per_study"),
            models.CheckConstraint(condition=Q(study__isnull=True) | Q(user__isnull=True),
                                   name="study_rater_has_no_account"),
            models.CheckConstraint(condition=Q(target__isnull=True) | Q(study__isnull=False),
                                   name="per_target_rater_has_study"),
        ]

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        IN_PROGRESS = "in_progress"
        SUBMITTED = "submitted"

    rater = models.ForeignKey(Rater, on_delete=models.CASCADE, related_name="assignments")
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="assignments")
    instrument_version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Set when the assignment came from a SamplingPlan (targets drawn by LLM uncertainty): the
    # target's inclusion probability, which the report's weighting needs.
    inclusion_probability = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["target", "rater"]
        constraints = [
            models.UniqueConstraint(fields=["rater", "target", "instrument_version"],
                                    name="unique_assignment"),
        ]

    def __str__(self) -> str:
        return f"{self.rater} -> {self.target} ({self.instrument_version})"


class SamplingPlan(models.Model):
    """Targets drawn for human rating with probabilities that grow with an LLM rater's
    uncertainty (issue 15). ``probabilities`` holds every candidate target's inclusion
    probability by external id (targets already human-rated count with 1), so the report can
    weight the human ratings by 1/probability; ``selected`` lists the targets drawn."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="sampling_plans")
    instrument_version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="+")
    llm_rater = models.ForeignKey(Rater, on_delete=models.PROTECT, related_name="+")
    budget = models.PositiveIntegerField()
    mix = models.FloatField()
    seed = models.IntegerField(default=0)
    probabilities = models.JSONField(default=dict)
    selected = models.JSONField(default=list)
    method = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"sampling plan {self.pk} of {self.study} ({self.budget} targets)"


class ScoringJob(models.Model):
    """An LLM rater scoring a study's targets; progress counts are kept here for every reader."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="scoring_jobs")
    instrument_version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="+")
    rater = models.ForeignKey(Rater, on_delete=models.PROTECT, related_name="scoring_jobs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    subset = models.JSONField(null=True, blank=True,
                              help_text='a subset of the targets: {"target_pks": [...], "sample": {"n", "seed"} '
                                        'or null}; empty: every target')
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stalled_reason = models.TextField(blank=True, help_text="why no work is being done (set and cleared by "
                                                            "the reconciler; blank when the job moves)")
    stalled_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(completed__lte=F("total") - F("failed")),
                                   name="job_progress_within_total"),
        ]

    def __str__(self) -> str:
        return f"job {self.pk}: {self.rater} on {self.study} ({self.status})"


class Rating(models.Model):
    """One rater's rating of one target with one instrument version; item scores inside."""

    class Source(models.TextChoices):
        FORM = "form"
        IMPORT = "import"
        LLM = "llm"

    class Status(models.TextChoices):
        DRAFT = "draft"
        SUBMITTED = "submitted"

    # RESTRICT, not PROTECT: a rater with ratings cannot be deleted, but deleting a study takes
    # its own raters along with their ratings (which go with the study's targets).
    rater = models.ForeignKey(Rater, on_delete=models.RESTRICT, related_name="ratings")
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="ratings")
    instrument_version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="ratings")
    source = models.CharField(max_length=8, choices=Source.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    scoring_job = models.ForeignKey(ScoringJob, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="ratings")
    provenance = models.JSONField(default=dict, blank=True,
                                  help_text="model hash, prompt template, decoding, windows; or the import file")
    seconds_spent = models.FloatField(null=True, blank=True)
    scores_hash = models.CharField(max_length=80, null=True, blank=True, editable=False,
                                   help_text="an imported rating's numbers hashed, so a re-import diffs without "
                                             "reading its scores; null when not known (null, so SQLite adds the column in place)")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["target", "rater"]
        constraints = [
            models.UniqueConstraint(fields=["rater", "target", "instrument_version"],
                                    name="unique_rating_per_rater_target_version"),
            models.CheckConstraint(condition=Q(seconds_spent__isnull=True) | Q(seconds_spent__gte=0),
                                   name="rating_seconds_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.rater} on {self.target} ({self.instrument_version})"


class ItemScore(models.Model):
    """An item's score: the chosen point (a human's answer, an LLM's mode) and, for an LLM,
    the probability distribution over the scale and its expected score."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="item_scores")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()
    expected_score = models.FloatField(null=True, blank=True)
    distribution = models.JSONField(null=True, blank=True, help_text='{"1": 0.05, "2": 0.1, ...}')
    rationale = models.TextField(blank=True)

    class Meta:
        ordering = ["rating", "item__position"]
        constraints = [
            models.UniqueConstraint(fields=["rating", "item"], name="unique_item_score"),
        ]

    def __str__(self) -> str:
        return f"{self.item.code}={self.score}"


class SegmentCode(models.Model):
    """The code one rating gives one segment in one code set of a coding instrument: a rating of
    a coding instrument (one per rater, target and version, like any rating) holds one row per
    coded (segment, code set). An LLM's row also holds its distribution over the set's codes."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="segment_codes")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="codes")
    code_set = models.CharField(max_length=64)
    code = models.CharField(max_length=64)
    distribution = models.JSONField(null=True, blank=True, help_text='{"reflection": 0.7, "question": 0.2, ...}')

    class Meta:
        ordering = ["rating", "segment__position", "code_set"]
        constraints = [
            models.UniqueConstraint(fields=["rating", "segment", "code_set"], name="unique_segment_code"),
        ]

    def __str__(self) -> str:
        return f"{self.segment}:{self.code_set}={self.code}"


class Batch(models.Model):
    """A batch submitted through the API: its own study, scored by one job.

    The idempotency key is unique per owner in the database, so a retried request (even two
    racing ones) finds the first batch's job instead of starting a second.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="batches")
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    job = models.OneToOneField(ScoringJob, on_delete=models.CASCADE, related_name="batch")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "batches"
        constraints = [
            models.UniqueConstraint(fields=["owner", "idempotency_key"], name="unique_batch_idempotency_key",
                                    condition=Q(idempotency_key__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"batch {self.pk} (job {self.job_id})"


class ScoringTask(models.Model):
    """One target of a scoring job: the database's record of the work, the broker only wakes a
    worker up (docs/architecture.md, "The job state machine").

    queued (``enqueued_at`` empty: not yet handed to the broker, the outbox) -> running (a worker
    holds a lease until ``lease_until`` and renews it while it works) -> done | failed (``error``).
    A lease that runs out (the worker died) sends the task back to queued; the reconciler
    (ratings/services/reconciler.py) does that and hands queued tasks to the broker again.
    """

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    job = models.ForeignKey(ScoringJob, on_delete=models.CASCADE, related_name="tasks")
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0, help_text="leases taken (a worker started it)")
    lease_until = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="the worker holding or last holding it")
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="last handed to the broker; empty: due")
    error = models.TextField(blank=True)
    # The attempt in progress, written by the worker as it scores (at most every
    # ANCHOR_JOB_PROGRESS_SECONDS): when it took the lease, and the items it has read of the target.
    started_at = models.DateTimeField(null=True, blank=True, help_text="when the current attempt took the lease")
    items_done = models.PositiveIntegerField(default=0, help_text="items read so far by the current attempt")
    items_total = models.PositiveIntegerField(default=0, help_text="items to read (x windows); 0: not yet known")
    progress_at = models.DateTimeField(null=True, blank=True, help_text="when items_done was last written")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["job", "target"]
        constraints = [
            models.UniqueConstraint(fields=["job", "target"], name="unique_task_per_job_target"),
            models.CheckConstraint(condition=~Q(state="running") | Q(lease_until__isnull=False),
                                   name="running_task_has_lease"),
        ]
        indexes = [models.Index(fields=["state", "lease_until"], name="scoringtask_state_lease")]

    def __str__(self) -> str:
        return f"job {self.job_id} target {self.target_id}: {self.state}"


class WorkerHeartbeat(models.Model):
    """A live Celery worker and the queues it takes, written by the worker every few seconds
    (ratings/worker.py), so the reconciler and the job page can say when nobody takes a queue."""

    hostname = models.CharField(max_length=200, unique=True)
    queues = models.JSONField(default=list)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField()
    broker_error = models.TextField(blank=True, help_text="the last broker failure this worker met, if recent")

    class Meta:
        ordering = ["hostname"]

    def __str__(self) -> str:
        return f"{self.hostname} ({', '.join(self.queues)})"
