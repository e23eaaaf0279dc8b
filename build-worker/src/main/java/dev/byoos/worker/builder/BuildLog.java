package dev.byoos.worker.builder;

import java.time.Instant;

/**
 * The human-readable log of one build: every command run, every tool's complaints, and the phases
 * the build went through. Phases also go to a {@link PhaseListener} (the worker turns them into
 * progress events), so the builders report progress without knowing about Kafka.
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
    }

    private final StringBuilder text = new StringBuilder();
    private final PhaseListener phases;

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

    /** Records that the build entered (or advanced within) {@code phase}. */
    public void phase(String phase, int percent, String detail) {
        line("[" + phase + " " + percent + "%] " + detail);
        phases.onPhase(phase, percent, detail);
    }

    @Override
    public synchronized String toString() {
        return text.toString();
    }
}
