package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;

/**
 * {@value EventTypes#BUILD_STARTED} on {@value Topics#BUILDS_STARTED}: a worker took a build and
 * started working on it. Published again when a redelivered build starts on another worker; the
 * read model treats the repeats as one.
 *
 * @param worker the worker instance (host name) that runs the build
 */
public record BuildStarted(BuildCoordinates build, String worker) {

    public BuildStarted {
        notNull(build, "build");
        notBlank(worker, "worker");
    }
}
