package dev.byoos.spec.service;

import java.util.UUID;

import dev.byoos.spec.BuildState;

/** A cancel that could no longer stop the build (HTTP 409, problem type {@code too-late-to-cancel}). */
public class TooLateToCancelException extends BuildConflictException {

    public TooLateToCancelException(UUID buildId, BuildState state) {
        super("build " + buildId + " is " + state + (state.isTerminal() ? "; it has finished"
                : "; its image is built and is being stored and published, which a cancel no longer stops")
                + "; only a build not yet BUILT can be cancelled");
    }
}
