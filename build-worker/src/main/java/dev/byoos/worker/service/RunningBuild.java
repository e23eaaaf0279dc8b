package dev.byoos.worker.service;

import java.time.Instant;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;

/**
 * One build while this worker runs it, across its tries (retries within this worker's attempt).
 *
 * @param lease     this worker's attempt at the build: its number names the scratch directory and
 *                  the staging keys, and it is confirmed before anything others can see is written
 * @param startedAt when the first try began: the provenance's start and the build's duration
 */
record RunningBuild(BuildRequested request, BuildLease lease, BuildLog log, ProgressReporter progress,
        BuildCancellation cancellation, Instant startedAt) {

    String buildId() {
        return request.build().buildId();
    }

    BuildCoordinates coordinates() {
        return request.build();
    }
}
