package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;

/**
 * {@value EventTypes#BUILD_CANCELLED} on {@value Topics#BUILDS_CANCELLED}: a user cancelled a
 * build. Published by spec-service (through its outbox) once the build is CANCELLED in the read
 * model; every build-worker instance reads it, stops the build if it runs it, and skips the
 * build's request if it has not started yet.
 *
 * @param requestedBy the subject of the caller who cancelled
 */
public record BuildCancelled(BuildCoordinates build, String requestedBy) {

    public BuildCancelled {
        notNull(build, "build");
        notBlank(requestedBy, "requestedBy");
    }
}
