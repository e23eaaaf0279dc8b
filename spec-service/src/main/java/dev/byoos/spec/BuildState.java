package dev.byoos.spec;

import java.util.Arrays;
import java.util.List;

/**
 * Where a build stands. States only move forward (by rank), and terminal states never change, so
 * late, duplicated or reordered events cannot move a build backwards or revive a finished one.
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
    /** A user cancelled the build before it finished. Terminal. */
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

    /** @return the state after an event that implies {@code next}, ignoring moves backwards */
    public BuildState advanceTo(BuildState next) {
        if (isTerminal() || next.rank <= rank) {
            return this;
        }
        return next;
    }
}
