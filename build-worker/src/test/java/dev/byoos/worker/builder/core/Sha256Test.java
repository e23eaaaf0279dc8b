package dev.byoos.worker.builder.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Sha256Test {

    @TempDir
    Path dir;

    @Test
    void aFileHashedToItsEndWithoutBeingStoppedHasItsOneSha256() throws IOException {
        byte[] bytes = new byte[300_000];
        new Random(7).nextBytes(bytes);
        Path file = Files.write(dir.resolve("disk.raw"), bytes);

        assertEquals(Sha256.of(bytes), Sha256.of(file));
        assertEquals(Sha256.of(bytes), Sha256.of(file, () -> false));
    }

    @Test
    void aHashStoppedBeforeTheEndStopsReadingAndGivesNoSha256() throws IOException {
        Path file = Files.write(dir.resolve("disk.raw"), new byte[1 << 20]);
        AtomicInteger asked = new AtomicInteger();

        // Asked before each of the sixteen blocks is hashed: stopped at the third, which is read but not hashed.
        CancellationException stopped = assertThrows(CancellationException.class,
                () -> Sha256.of(file, () -> asked.incrementAndGet() > 2));
        assertEquals(3, asked.get());
        assertEquals("stopped before the end of " + file, stopped.getMessage());
    }
}
