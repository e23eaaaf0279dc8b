package dev.byoos.worker.builder.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The human-readable log of one build: every command run, every tool's complaints, and the phases
 * the build went through (base, layers, image, boot-test, upload, or cached). A phase is one
 * concept with two uses: it goes to a {@link PhaseListener} (the worker turns phases into progress
 * events), so the builders report progress without knowing about Kafka, and the time spent in each
 * phase is measured (the worker records it as a histogram per phase).
 */
public final class BuildLog {

    /** Told of every phase a build enters and of progress within it. */
    @FunctionalInterface
    public interface PhaseListener {
        /**
         * @param phase   what the build is doing, e.g. {@code base}, {@code layers}, {@code image}
         * @param percent 0..100 for the whole build
         * @param detail  a line a person can read
         */
        void onPhase(String phase, int percent, String detail);

        /** The build left {@code phase}: another began, it paused between attempts, or it ended. */
        default void onPhaseEnded(String phase) {
        }
    }

    private final StringBuilder text = new StringBuilder();
    private final PhaseListener phases;
    private final Map<String, Duration> phaseDurations = new LinkedHashMap<>();
    private String phase;
    private long phaseStartedNanos;

    public BuildLog() {
        this((phase, percent, detail) -> {
        });
    }

    public BuildLog(PhaseListener phases) {
        this.phases = phases;
    }

    public synchronized void line(String line) {
        text.append(Instant.now()).append(' ').append(line).append('\n');
    }

    /**
     * Records that the build entered (or advanced within) {@code next}: a line in the log, the
     * listener told, and, when this is a different phase, the current one ended and timed. A phase
     * entered again later adds up.
     */
    public void phase(String next, int percent, String detail) {
        synchronized (this) {
            if (!next.equals(phase)) {
                endPhase();
                phase = next;
                phaseStartedNanos = System.nanoTime();
            }
            line("[" + next + " " + percent + "%] " + detail);
        }
        phases.onPhase(next, percent, detail);
    }

    /** Ends the current phase, if any; the build's phases are complete. */
    public synchronized void endPhase() {
        if (phase != null) {
            phaseDurations.merge(phase, Duration.ofNanos(System.nanoTime() - phaseStartedNanos), Duration::plus);
            phases.onPhaseEnded(phase);
            phase = null;
        }
    }

    /** How long each ended phase took, in the order the phases first started. */
    public synchronized Map<String, Duration> phaseDurations() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(phaseDurations));
    }

    @Override
    public synchronized String toString() {
        return text.toString();
    }
}
