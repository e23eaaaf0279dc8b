package dev.byoos.worker.messaging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.byoos.worker.builder.TestBases;

/** Gives the worker under test a bases catalog: the example bases plus the busybox base. */
public class TestBasesResource implements QuarkusTestResourceLifecycleManager {

    static final Path BASES = Path.of("target", "test-bases").toAbsolutePath();

    @Override
    public Map<String, String> start() {
        try {
            // A catalog left by an earlier run would make the copy collide with itself.
            Process remove = new ProcessBuilder("rm", "-rf", "--", BASES.toString()).inheritIO().start();
            if (!remove.waitFor(60, TimeUnit.SECONDS) || remove.exitValue() != 0) {
                throw new IllegalStateException("could not remove " + BASES);
            }
            TestBases.catalog(Files.createDirectories(BASES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return Map.of("byoos.worker.bases-dir", BASES.toString());
    }

    @Override
    public void stop() {
        // Kept for inspection; the next run starts from a fresh copy.
    }
}
