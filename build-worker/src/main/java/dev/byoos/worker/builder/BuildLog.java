package dev.byoos.worker.builder;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The human-readable log of one build: every command run and every tool's complaints, and the
 * phase the build is in (base, layers, disk, formats, boot-test, upload), so that the log shows
 * where the time went and the worker can measure each phase.
 */
public final class BuildLog {

    private final StringBuilder text = new StringBuilder();
    private final Map<String, Duration> phaseDurations = new LinkedHashMap<>();
    private String phase;
    private long phaseStartedNanos;

    public synchronized void line(String line) {
        text.append(Instant.now()).append(' ').append(line).append('\n');
    }

    /** Ends the current phase, if any, and starts {@code next}; a phase entered again adds up. */
    public synchronized void phase(String next) {
        endPhase();
        phase = next;
        phaseStartedNanos = System.nanoTime();
        line("phase " + next);
    }

    /** Ends the current phase; the build's phases are complete. */
    public synchronized void endPhase() {
        if (phase != null) {
            phaseDurations.merge(phase, Duration.ofNanos(System.nanoTime() - phaseStartedNanos), Duration::plus);
            phase = null;
        }
    }

    /** How long each ended phase took, in the order the phases first started. */
    public synchronized Map<String, Duration> phaseDurations() {
        return Map.copyOf(phaseDurations);
    }

    @Override
    public synchronized String toString() {
        return text.toString();
    }
}
