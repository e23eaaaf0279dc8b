package dev.byoos.spec;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Where a build stands. States only move forward (by rank), and terminal states never change, so
 * late, duplicated or reordered events cannot move a build backwards or revive a finished one; the
 * one exception is a cancel the pipeline overtook ({@link #advanceTo}).
 */
public enum BuildState {
    /** Stored with its spec; the build request is in the outbox. */
    ACCEPTED(0),
    /** The build request is on Kafka, waiting for a worker. */
    QUEUED(1),
    /** A worker started the build. */
    BUILDING(2),
    /** The image is built and staged; artifact-service is verifying it. */
    BUILT(3),
    /** The image is verified and stored at its content address. */
    STORED(4),
    /** The BYOOS pack is in the registry. Terminal. */
    PUBLISHED(5),
    /** A stage gave up; see the failure fields. Terminal. */
    FAILED(6),
    /**
     * A user cancelled the build before it was built. Terminal, unless the worker had finished the
     * build before it heard of the cancel ({@link #advanceTo}).
     */
    CANCELLED(6),
    /**
     * An identical spec for this target was already built and published; this build points at
     * that artifact and pack instead of building again. Terminal from the start.
     */
    REUSED(6);

    private final int rank;

    BuildState(int rank) {
        this.rank = rank;
    }

    /**
     * Who moves a build on from this state: the process an SRE looks at when a build sits here too
     * long. Empty for terminal states.
     */
    public Optional<String> awaitedFrom() {
        return Optional.ofNullable(switch (this) {
            case ACCEPTED -> "spec-service (outbox)";
            case QUEUED, BUILDING -> "build-worker";
            case BUILT -> "artifact-service";
            case STORED -> "pack-publisher";
            case PUBLISHED, FAILED, CANCELLED, REUSED -> null;
        });
    }

    public boolean isTerminal() {
        return this == PUBLISHED || this == FAILED || this == CANCELLED || this == REUSED;
    }

    /** A finished build whose target may be built again (a retry, or a resubmission of its spec). */
    public boolean canBeBuiltAgain() {
        return this == FAILED || this == CANCELLED;
    }

    /** Whether this is a state of a build going well, at or before {@code goal} (not failed, cancelled or reused). */
    public boolean isOnTheWayTo(BuildState goal) {
        return rank <= goal.rank && this != FAILED && this != CANCELLED && this != REUSED;
    }

    /** Whether a build going well passes this state before {@code other}. */
    public boolean isBefore(BuildState other) {
        return rank < other.rank;
    }

    /** @return the states of a build going well that come after {@code state} */
    public static List<BuildState> after(BuildState state) {
        return Arrays.stream(values()).filter(later -> later.rank > state.rank && later.isOnTheWayTo(PUBLISHED))
                .toList();
    }

    /**
     * Whether a cancel of a build in this state can still stop it: only before its image is built.
     * From BUILT on, artifact-service and pack-publisher store and publish it whatever a cancel says.
     */
    public boolean canBeCancelled() {
        return rank < BUILT.rank;
    }

    /**
     * @return the state after an event that implies {@code next}, ignoring moves backwards. A
     *         CANCELLED build follows an event that it was built (or stored, or published): the worker
     *         finished before it heard of the cancel, the later stages store and publish the image,
     *         and the read model must not claim CANCELLED while the registry holds the pack.
     */
    public BuildState advanceTo(BuildState next) {
        if (this == CANCELLED && !next.canBeCancelled() && next.isOnTheWayTo(PUBLISHED)) {
            return next;
        }
        if (isTerminal() || next.rank <= rank) {
            return this;
        }
        return next;
    }
}
