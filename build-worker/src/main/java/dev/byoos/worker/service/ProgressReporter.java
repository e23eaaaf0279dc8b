package dev.byoos.worker.service;

import dev.byoos.worker.builder.core.BuildLog;

/** One build's progress as its users see it: the phases its log reports, and the waits between attempts. */
public interface ProgressReporter extends BuildLog.PhaseListener {

    /**
     * The build is not failing but waiting for {@code dependency} (e.g. {@code disk}) to come back.
     * Always reported: each wait is news, and there are only as many as a build has retries.
     */
    void waiting(String phase, int percent, String dependency, String detail);

    /** The phase the build was last in, for messages about where it stopped. */
    String currentPhase();
}
