"""Every reason the operator gives, in conditions and in Events: one name per situation.

A reason is the machine-readable half of a condition or an Event (``kubectl get events``, alerting
rules and ``kubectl wait`` match on it); the message is the human half. Reasons are CamelCase as
metav1.Condition requires. ECI phases never become reasons verbatim (a phase is text from a server):
:func:`for_phase` maps the known ones and calls the rest ``InstanceUnknown``.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    # -- Ready: the instance runs and matches the spec
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    DRIFT_REPORTED = "DriftReported"
    """Ready, but the instance differs from the spec and ``driftPolicy: Report`` leaves it so."""

    # -- progressing: something is under way
    CREATING = "Creating"
    UPDATING = "Updating"
    REPLACING = "Replacing"
    WAITING_FOR_INSTANCE = "WaitingForInstance"
    """ECI is busy with the instance (or it is not yet updatable); the change waits for it."""
    CONFIRMING_LOSS = "ConfirmingLoss"
    """The recorded instance is missing from ECI's answers; direct reads confirm before anything is
    re-created (reads lag writes)."""
    CONFIRMING_ABSENCE = "ConfirmingAbsence"
    """Nothing is recorded, but an earlier operator process may have created an instance whose ID it
    never recorded: the uid-tag search must stay empty over the grace window before a Create."""
    RETRYING = "RetryingAfterError"
    WAITING_FOR_REFERENCE = "WaitingForReference"
    """A referenced Secret or ConfigMap does not exist yet; re-checked with short backoff for a while."""
    DELETING = "Deleting"
    ORPHANING = "Orphaning"
    DELETION_BLOCKED = "DeletionBlocked"

    INSTANCE_SCHEDULING = "InstanceScheduling"
    INSTANCE_PENDING = "InstancePending"
    INSTANCE_UPDATING = "InstanceUpdating"
    INSTANCE_RESTARTING = "InstanceRestarting"
    INSTANCE_TERMINATING = "InstanceTerminating"
    INSTANCE_UNKNOWN = "InstanceUnknown"
    CONTAINERS_NOT_READY = "ContainersNotReady"
    """The instance runs but a container is not ready (failing probe, crash loop, image pull)."""

    # -- stalled: retrying cannot help until something changes
    INVALID_SPEC = "InvalidSpec"
    MISSING_REFERENCE = "MissingReference"
    NO_CREDENTIALS = "NoCredentials"
    ECI_REJECTED = "EciRejected"
    AUTH_FAILED = "AuthFailed"
    UPDATE_BLOCKED = "UpdateBlockedByPolicy"
    UPDATE_NOT_APPLIED = "UpdateNotApplied"
    INSTANCE_NOT_UPDATABLE = "InstanceNotUpdatable"
    RESTART_NOT_POSSIBLE = "RestartNotPossible"
    """A restart was asked for (``eci.operator.dev/restartedAt``) but the instance has finished or
    failed, and ECI restarts only Pending or Running instances."""
    OWNED_BY_ANOTHER = "OwnedByAnother"
    ADOPTION_NOT_ALLOWED = "AdoptionNotAllowed"
    ADOPTION_TARGET_NOT_FOUND = "AdoptionTargetNotFound"
    INSTANCE_FAILED = "InstanceFailed"
    INSTANCE_SCHEDULE_FAILED = "InstanceScheduleFailed"
    INSTANCE_EXPIRED = "InstanceExpired"
    ACCOUNT_NOT_ALLOWED = "AccountNotAllowed"
    """spec.accountRef names an EciAccount that does not allow this namespace: no ECI call is made."""
    ACCOUNT_NOT_FOUND = "AccountNotFound"
    ACCOUNT_INVALID = "AccountInvalid"
    CREDENTIALS_VALID = "CredentialsValid"
    """An EciAccount's Ready reason: ECI accepted its credentials."""

    # -- Events only: one-off facts
    CREATED = "Created"
    ADOPTED = "Adopted"
    UPDATED = "Updated"
    RESTARTED = "Restarted"
    REPLACED = "Replaced"
    DRIFT_DETECTED = "DriftDetected"
    INSTANCE_LOST = "InstanceLost"
    FAILED = "Failed"
    DELETED = "Deleted"
    ORPHANED = "Orphaned"
    FIELDS_IGNORED = "UnenforceableFieldsIgnored"
    """The instance runs without Pod-spec fields ECI cannot enforce (``unenforceableFields: Ignore``)."""

    # -- the other conditions' reason while they are False
    NOT_RECONCILING = "NotReconciling"
    NOT_STALLED = "NotStalled"


_PHASES = {
    "Running": Reason.RUNNING,
    "Succeeded": Reason.SUCCEEDED,
    "Scheduling": Reason.INSTANCE_SCHEDULING,
    "Pending": Reason.INSTANCE_PENDING,
    "Updating": Reason.INSTANCE_UPDATING,
    "Restarting": Reason.INSTANCE_RESTARTING,
    "Terminating": Reason.INSTANCE_TERMINATING,
    "Failed": Reason.INSTANCE_FAILED,
    "ScheduleFailed": Reason.INSTANCE_SCHEDULE_FAILED,
    "Expired": Reason.INSTANCE_EXPIRED,
}


def for_phase(phase: str) -> Reason:
    """The reason that names an ECI phase (``InstanceUnknown`` for a phase this version does not know)."""
    return _PHASES.get(phase, Reason.INSTANCE_UNKNOWN)
