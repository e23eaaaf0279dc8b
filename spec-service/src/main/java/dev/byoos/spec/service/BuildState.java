package dev.byoos.spec.service;

/**
 * Where a build stands. States only move forward (by rank), and terminal states never change, so
 * late, duplicated or reordered events cannot move a build backwards.
 */
public enum BuildState {
    /** Stored with its spec; the build request is in the outbox. */
    ACCEPTED(0),
    /** The build request is on Kafka, waiting for a worker. */
    QUEUED(1),
    /** The image is built and staged; artifact-service is verifying it. */
    BUILT(3),
    /** The image is verified and stored at its content address. */
    STORED(4),
    /** The BYOOS pack is in the registry. Terminal. */
    PUBLISHED(5),
    /** A stage gave up; see the failure fields. Terminal. */
    FAILED(6);

    private final int rank;

    BuildState(int rank) {
        this.rank = rank;
    }

    public boolean isTerminal() {
        return this == PUBLISHED || this == FAILED;
    }

    /** @return the state after an event that implies {@code next}, ignoring moves backwards */
    public BuildState advanceTo(BuildState next) {
        if (isTerminal() || next.rank <= rank) {
            return this;
        }
        return next;
    }
}
