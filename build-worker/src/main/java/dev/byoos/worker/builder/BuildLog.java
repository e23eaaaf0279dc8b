package dev.byoos.worker.builder;

import java.time.Instant;

/** The human-readable log of one build: every command run and every tool's complaints. */
public final class BuildLog {

    private final StringBuilder text = new StringBuilder();

    public synchronized void line(String line) {
        text.append(Instant.now()).append(' ').append(line).append('\n');
    }

    @Override
    public synchronized String toString() {
        return text.toString();
    }
}
