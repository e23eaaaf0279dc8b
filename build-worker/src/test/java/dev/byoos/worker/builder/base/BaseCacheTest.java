package dev.byoos.worker.builder.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.builder.rootfs.RootFilesystem;

/**
 * Entries of one lineage (a suite from a mirror) supersede each other: the cache keeps the newest,
 * and never removes one that another worker process is making or copying (it holds its lock file).
 */
class BaseCacheTest {

    private static final String LINEAGE = "bookworm-from-the-test-mirror";

    /** The cache in cache/, the builds' directories in builds/. */
    @TempDir
    Path dir;
    private Path cacheDir;
    private final BuildLog log = new BuildLog();
    private final CommandRunner commands = new CommandRunner(log, new BuildCancellation());

    @BeforeEach
    void directories() throws IOException {
        cacheDir = Files.createDirectories(dir.resolve("cache"));
        Files.createDirectories(dir.resolve("builds"));
    }

    @Test
    void aNewerEntryOfTheSameLineageReplacesTheOlderOne() {
        BaseCache cache = new BaseCache(cacheDir);
        assertFalse(cache.has("a".repeat(64)));
        RootFilesystem old = checkout(cache, "a".repeat(64), LINEAGE, "old\n");
        assertTrue(cache.has("a".repeat(64)));
        checkout(cache, "c".repeat(64), "another suite", "other\n");

        RootFilesystem updated = checkout(cache, "b".repeat(64), LINEAGE, "updated\n");

        assertFalse(Files.exists(cacheDir.resolve("a".repeat(64))), log.toString());
        assertFalse(cache.has("a".repeat(64)), "a superseded entry is not had");
        assertTrue(Files.isDirectory(cacheDir.resolve("b".repeat(64) + "/rootfs")));
        assertTrue(Files.isDirectory(cacheDir.resolve("c".repeat(64) + "/rootfs")), "another lineage is kept");
        assertTrue(log.toString().contains("base cache: removed " + "a".repeat(64) + ", superseded by " + "b".repeat(64)),
                log.toString());
        assertEquals("old\n", read(old.root().resolve("etc/release")));
        assertEquals("updated\n", read(updated.root().resolve("etc/release")));
    }

    @Test
    void anEntryAnotherWorkerHoldsIsKeptUntilItLetsGo() throws Exception {
        BaseCache cache = new BaseCache(cacheDir);
        checkout(cache, "a".repeat(64), LINEAGE, "old\n");
        Process otherWorker = holdLock(cacheDir.resolve("." + "a".repeat(64) + ".lock"));
        try {
            checkout(cache, "b".repeat(64), LINEAGE, "updated\n");
            assertTrue(Files.isDirectory(cacheDir.resolve("a".repeat(64) + "/rootfs")), "removed while in use");
        } finally {
            otherWorker.destroy();
            otherWorker.waitFor();
        }

        checkout(cache, "b".repeat(64), LINEAGE, "updated\n");

        assertFalse(Files.exists(cacheDir.resolve("a".repeat(64))), log.toString());
        assertFalse(cache.has("a".repeat(64)), "a superseded entry is not had");
    }

    /** Each checkout in a build directory of its own, as builds have. */
    private RootFilesystem checkout(BaseCache cache, String key, String lineage, String release) {
        Path buildDir;
        try {
            buildDir = Files.createTempDirectory(dir.resolve("builds"), "build-");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return cache.checkout(key, lineage, "test base " + key, entry -> {
            Files.createDirectories(entry.resolve("rootfs/etc"));
            Files.writeString(entry.resolve("rootfs/etc/release"), release);
        }, key, buildDir, commands, log, new BuildCancellation());
    }

    /** Another process holding the entry's lock file, as a worker making or copying it does (fcntl locks, like Java's). */
    private static Process holdLock(Path lockFile) throws IOException {
        Process process = new ProcessBuilder("python3", "-c", "import fcntl, sys, time\n"
                + "f = open(sys.argv[1], 'a')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(600)\n",
                lockFile.toString()).redirectErrorStream(true).start();
        BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("locked", output.readLine());
        return process;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
