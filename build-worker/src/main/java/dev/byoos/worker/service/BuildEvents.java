package dev.byoos.worker.service;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildStarted;

/**
 * What the worker announces about its builds. The service decides what to announce and when;
 * messaging's implementation sends each as a CloudEvent and returns once Kafka has it.
 */
public interface BuildEvents {

    void started(BuildStarted started);

    void completed(BuildCompleted completed);

    /**
     * Announces a completion recorded by an earlier delivery of the request again, as it was
     * recorded: the same event id and the very same payload, so nothing downstream sees a new build.
     */
    void completedAgain(String buildId, String recordedCompletion);

    void failed(BuildFailed failed);

    /** A reporter of one build's phases, and of what it waits for, as progress events. */
    ProgressReporter progress(BuildCoordinates build);
}
