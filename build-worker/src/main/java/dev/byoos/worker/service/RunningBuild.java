package dev.byoos.worker.service;

import java.time.Instant;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;

/**
 * One build while this worker runs it, across its attempts.
 *
 * @param startedAt when the first attempt began: the provenance's start and the build's duration
 */
record RunningBuild(BuildRequested request, BuildLog log, ProgressReporter progress, BuildCancellation cancellation,
        Instant startedAt) {

    String buildId() {
        return request.build().buildId();
    }

    BuildCoordinates coordinates() {
        return request.build();
    }
}
