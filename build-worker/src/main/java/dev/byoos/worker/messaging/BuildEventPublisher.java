package dev.byoos.worker.messaging;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.reactive.messaging.MutinyEmitter;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildStarted;
import dev.byoos.contract.EventIds;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.messaging.KafkaSends;
import dev.byoos.messaging.resilience.DependencyUnavailableException;
import dev.byoos.worker.service.BuildEvents;
import dev.byoos.worker.service.ProgressReporter;

/**
 * Sends the worker's build events as CloudEvents keyed by build id. A stage's results (started,
 * completed, failed) are sent and waited for: the request is acknowledged only once Kafka has them;
 * one Kafka does not take is an outage the service waits out.
 * Progress goes out without waiting ({@link BuildProgressReporter}).
 */
@ApplicationScoped
public class BuildEventPublisher implements BuildEvents {

    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);
    /** What a build waits for while Kafka does not take its events. */
    static final String KAFKA = KafkaSends.KAFKA;

    private final MutinyEmitter<String> starts;
    private final MutinyEmitter<String> completions;
    private final MutinyEmitter<String> failures;
    private final MutinyEmitter<String> progressEvents;

    BuildEventPublisher(@Channel(Topics.BUILDS_STARTED) MutinyEmitter<String> starts,
            @Channel(Topics.BUILDS_COMPLETED) MutinyEmitter<String> completions,
            @Channel(Topics.BUILDS_FAILED) MutinyEmitter<String> failures,
            @Channel(Topics.BUILDS_PROGRESS) MutinyEmitter<String> progressEvents) {
        this.starts = starts;
        this.completions = completions;
        this.failures = failures;
        this.progressEvents = progressEvents;
    }

    @Override
    public void started(BuildStarted started) {
        send(starts, CloudEventMessages.forBuild(started.build().buildId(), EventTypes.BUILD_STARTED, started));
    }

    @Override
    public void completed(BuildCompleted completed) {
        send(completions, CloudEventMessages.forBuild(completed.build().buildId(), EventTypes.BUILD_COMPLETED,
                completed));
    }

    @Override
    public void completedAgain(String buildId, String recordedCompletion) {
        send(completions, CloudEventMessages.withId(EventIds.forStage(buildId, EventTypes.BUILD_COMPLETED), buildId,
                EventTypes.BUILD_COMPLETED, recordedCompletion));
    }

    @Override
    public void failed(BuildFailed failed) {
        send(failures, CloudEventMessages.forBuild(failed.build().buildId(), EventTypes.BUILD_FAILED, failed));
    }

    @Override
    public ProgressReporter progress(BuildCoordinates build) {
        return new BuildProgressReporter(progressEvents, build, System::nanoTime);
    }

    /**
     * @throws DependencyUnavailableException {@code kafka}, when Kafka did not take the event (down,
     *         no leader, timed out): the service waits it out. Only what no broker would ever take
     *         (too large, unserialisable) fails as it is ({@link KafkaSends}).
     */
    private static void send(MutinyEmitter<String> emitter, Message<String> event) {
        KafkaSends.sendAndWait(emitter, event, SEND_TIMEOUT);
    }
}
