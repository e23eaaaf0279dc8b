package dev.byoos.worker.builder.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The human-readable log of one build: every command run, every tool's complaints, and the phases
 * the build went through (base, layers, image, boot-test, upload, or cached). A phase is one
 * concept with two uses: it goes to a {@link PhaseListener} (the worker turns phases into progress
 * events), so the builders report progress without knowing about Kafka, and the time spent in each
 * phase is measured (the worker records it as a histogram per phase). It keeps its first and last
 * {@link #KEPT_CHARS} characters, so a build that prints without end cannot exhaust the worker.
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

    /** What the log keeps: its first and its last this many characters, whatever a build prints. */
    static final int KEPT_CHARS = 1 << 20;

    private final StringBuilder head = new StringBuilder();
    private final Deque<String> tail = new ArrayDeque<>();
    private long tailChars;
    private long leftOutChars;
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
        String entry = Instant.now() + " " + line + "\n";
        if (tail.isEmpty() && head.length() + entry.length() <= KEPT_CHARS) {
            head.append(entry);
            return;
        }
        tail.addLast(entry);
        tailChars += entry.length();
        while (tailChars > KEPT_CHARS && tail.size() > 1) {
            String dropped = tail.removeFirst();
            tailChars -= dropped.length();
            leftOutChars += dropped.length();
        }
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
        StringBuilder text = new StringBuilder(head);
        if (leftOutChars > 0) {
            text.append("[... ").append(leftOutChars).append(" characters of log left out ...]\n");
        }
        tail.forEach(text::append);
        return text.toString();
    }
}
