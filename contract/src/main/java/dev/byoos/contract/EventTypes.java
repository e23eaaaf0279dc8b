package dev.byoos.contract;

/**
 * CloudEvent {@code type} values. Versioned: a breaking change to a payload gets a new type
 * ({@code .v2}) published alongside the old one until every consumer has moved.
 */
public final class EventTypes {

    /** An ImageSpec document (YAML or JSON) submitted by another system. */
    public static final String SPEC_SUBMITTED = "dev.byoos.spec.submitted.v1";
    public static final String SPEC_REJECTED = "dev.byoos.spec.rejected.v1";
    public static final String BUILD_REQUESTED = "dev.byoos.build.requested.v1";
    public static final String BUILD_STARTED = "dev.byoos.build.started.v1";
    public static final String BUILD_PROGRESS = "dev.byoos.build.progress.v1";
    public static final String BUILD_CANCELLED = "dev.byoos.build.cancelled.v1";
    public static final String BUILD_COMPLETED = "dev.byoos.build.completed.v1";
    public static final String BUILD_FAILED = "dev.byoos.build.failed.v1";
    public static final String ARTIFACT_STORED = "dev.byoos.artifact.stored.v1";
    public static final String PACK_PUBLISHED = "dev.byoos.pack.published.v1";
    /** A submitter of the owning team deprecated a published pack version. */
    public static final String PACK_DEPRECATED = "dev.byoos.pack.deprecated.v1";
    /** An administrator revoked a published pack version: it must not be used, and is never reused. */
    public static final String PACK_REVOKED = "dev.byoos.pack.revoked.v1";

    private EventTypes() {
    }
}
