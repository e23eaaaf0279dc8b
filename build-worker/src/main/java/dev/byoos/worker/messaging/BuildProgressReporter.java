package dev.byoos.worker.messaging;

import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.function.LongSupplier;

import org.jboss.logging.Logger;

import io.smallrye.reactive.messaging.MutinyEmitter;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildProgress;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.worker.service.ProgressReporter;

/**
 * Turns one build's phases into {@code build.progress} events: every change of phase (or of what
 * the build waits for) is sent, and progress within a phase at most once per
 * {@link #MIN_INTERVAL}, so a chatty builder cannot flood the topic.
 *
 * <p>Progress is informational: events are sent without waiting for Kafka, and one that is lost
 * is only logged. Each has an id of its own (unlike a stage's results), since every one is news.
 */
final class BuildProgressReporter implements ProgressReporter {

    static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
    static final String STAGE = "build";
    private static final Logger LOG = Logger.getLogger(BuildProgressReporter.class);

    private final MutinyEmitter<String> emitter;
    private final BuildCoordinates build;
    private final LongSupplier nanoClock;
    private String lastPhase;
    private String lastWaitingFor;
    private long lastSentNanos;

    BuildProgressReporter(MutinyEmitter<String> emitter, BuildCoordinates build, LongSupplier nanoClock) {
        this.emitter = emitter;
        this.build = build;
        this.nanoClock = nanoClock;
    }

    @Override
    public void onPhase(String phase, int percent, String detail) {
        report(phase, percent, null, detail, false);
    }

    /** Always sent: each wait is news, and there are only as many as a build has retries. */
    @Override
    public void waiting(String phase, int percent, String dependency, String detail) {
        report(phase, percent, dependency, detail, true);
    }

    @Override
    public synchronized String currentPhase() {
        return lastPhase == null ? "starting" : lastPhase;
    }

    private synchronized void report(String phase, int percent, String waitingFor, String detail, boolean always) {
        long now = nanoClock.getAsLong();
        boolean changed = always || !phase.equals(lastPhase) || !Objects.equals(waitingFor, lastWaitingFor);
        if (!changed && now - lastSentNanos < MIN_INTERVAL.toNanos()) {
            return;
        }
        lastPhase = phase;
        lastWaitingFor = waitingFor;
        lastSentNanos = now;
        BuildProgress progress = new BuildProgress(build, STAGE, phase, Math.max(0, Math.min(100, percent)), waitingFor,
                detail);
        emitter.sendMessage(CloudEventMessages.withId(UUID.randomUUID().toString(), build.buildId(),
                EventTypes.BUILD_PROGRESS, EventJson.write(progress)))
                .subscribe().with(sent -> {
                }, failure -> LOG.debugf("build %s: a progress event was lost: %s", build.buildId(),
                        failure.getMessage()));
    }
}
