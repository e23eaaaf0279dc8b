package dev.byoos.worker.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scratch space a worker takes over from a predecessor that was killed mid-build. */
class ScratchSpaceTest {

    /** Holds the lock as another worker process would, until its standard input closes. */
    private static final String LOCK_HOLDER = """
            import java.nio.channels.FileChannel;
            import java.nio.file.Path;
            import java.nio.file.StandardOpenOption;
            public class LockHolder {
                public static void main(String[] args) throws Exception {
                    try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE); var lock = channel.lock()) {
                        System.out.println("locked");
                        System.out.flush();
                        System.in.read();
                    }
                }
            }
            """;

    @TempDir
    Path scratch;

    @TempDir
    Path elsewhere;

    @Test
    void removesEverythingAKilledWorkerLeftWithoutFollowingLinks() throws Exception {
        Path leftover = Files.createDirectories(scratch.resolve("build-1/rootfs/etc"));
        Files.writeString(leftover.resolve("passwd"), "ops:x:1000:1000::/home/ops:/bin/sh\n");
        Path hostFile = Files.writeString(elsewhere.resolve("host-file"), "not the worker's");
        Files.createSymbolicLink(scratch.resolve("build-1/rootfs/host"), elsewhere);
        Files.writeString(scratch.resolve("stray-file"), "");

        ScratchSpace space = new ScratchSpace(scratch);
        try {
            space.claim();
            assertEquals(List.of(), space.entries());
            assertTrue(Files.exists(hostFile), "a link in a base tree is removed, its target left alone");
        } finally {
            space.release();
        }
    }

    @Test
    void aBuildStartsInAFreshDirectoryEvenWhereAnEarlierTryLeftOne() throws Exception {
        ScratchSpace space = new ScratchSpace(scratch);
        try {
            Path first = space.create("build-2", 1);
            Files.writeString(first.resolve("half-built.raw"), "partial");
            Path second = space.create("build-2", 1);
            assertEquals(first, second);
            try (var entries = Files.list(second)) {
                assertEquals(0, entries.count(), "nothing of the earlier try is built on");
            }
            space.remove(second);
            assertFalse(Files.exists(second));
        } finally {
            space.release();
        }
    }

    @Test
    void twoAttemptsOfABuildNeverShareADirectory() throws Exception {
        ScratchSpace space = new ScratchSpace(scratch);
        try {
            Path first = space.create("build-4", 1);
            Path firstFile = Files.writeString(first.resolve("disk.raw"), "attempt 1");
            Path second = space.create("build-4", 2);
            assertNotEquals(first, second);
            assertEquals("attempt 1", Files.readString(firstFile), "a later attempt leaves the earlier one's files alone");
        } finally {
            space.release();
        }
    }

    @Test
    void refusesABuildIdThatLeavesTheScratchDirectory() {
        ScratchSpace space = new ScratchSpace(scratch);
        try {
            assertThrows(IllegalArgumentException.class, () -> space.create("../outside", 1));
        } finally {
            space.release();
        }
    }

    @Test
    void refusesADirectoryAnotherWorkerProcessHolds() throws Exception {
        Path source = Files.writeString(elsewhere.resolve("LockHolder.java"), LOCK_HOLDER);
        Path building = Files.createDirectories(scratch.resolve("build-3"));
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                source.toString(), scratch.resolve(ScratchSpace.LOCK_FILE).toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("locked", out.readLine());
            ScratchSpace space = new ScratchSpace(scratch);
            IllegalStateException refused = assertThrows(IllegalStateException.class, space::claim);
            assertTrue(refused.getMessage().contains("in use by another worker process"), refused.getMessage());
            assertTrue(Files.isDirectory(building), "the other worker's build is left alone");
        } finally {
            holder.getOutputStream().close();
            holder.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
