package dev.byoos.worker.builder.base;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Stream;

import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.builder.rootfs.RootFilesystem;

/**
 * Base trees kept by content key, each in {@code <dir>/<key>/rootfs}, made once and shared by
 * every build that asks for the same key. An entry is made in a temporary directory and renamed
 * into place, so a worker that dies while making one never leaves a half tree behind.
 *
 * <p>One maker per key at a time: threads of one worker wait on an in-process lock (file locks
 * belong to the whole JVM, so they cannot order its threads), and worker processes sharing the
 * directory wait on a lock file next to the entry. Entries made by {@link #checkout} belong to a
 * lineage and are removed once superseded by a newer entry of it; the others never expire.
 *
 * <p>Each entry records the {@link Sha256#ofTree} digest of its tree ({@value #DIGEST_FILE}),
 * taken when it was made. A build copies the tree and {@link #verify verifies its copy} against
 * that digest before using it, so a cached base that changed after it was made (a disk error, a
 * hand edit, another process) is never built from: it is discarded and made again.
 */
final class BaseCache {

    /** Makes an entry's content in {@code entry} (a fresh directory): at least {@code entry/rootfs}. */
    @FunctionalInterface
    interface Maker {
        void make(Path entry) throws IOException;
    }

    static final String DIGEST_FILE = "tree.sha256";
    /** What the entries that supersede each other share ({@link #checkout}); absent in entries that never expire. */
    static final String LINEAGE_FILE = "lineage";
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration LOCK_POLL = Duration.ofMillis(500);
    private static final Map<Path, ReentrantLock> IN_PROCESS_LOCKS = new ConcurrentHashMap<>();

    private final Path dir;

    BaseCache(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /**
     * @param description what the entry is, for the build log (e.g. {@code debootstrap base <key> (bookworm from …)})
     * @return the cached tree of {@code key}, made by {@code maker} now when the cache does not have it yet.
     *         Read-only for callers: copy it before changing anything.
     */
    Path obtain(String key, String description, Maker maker, Path workDir, BuildLog log,
            BuildCancellation cancellation) {
        Path tree = tree(key);
        if (Files.isDirectory(tree)) {
            log.line(description + ": cached");
            return tree;
        }
        return locked(key, cancellation, () -> {
            // Whoever held the lock before us may have made it.
            if (Files.isDirectory(tree)) {
                log.line(description + ": made by a concurrent build, reusing it");
            } else {
                make(key, Optional.empty(), description, maker, workDir, log);
            }
            return tree;
        });
    }

    /**
     * Copies the entry {@code key} into the build as {@code name}, making it first when the cache
     * does not have it yet, and {@link #verify verifies} the copy. Entries of one lineage (the same
     * suite and mirror) supersede each other: once the copy is made, the others are removed, unless
     * a build is copying one of them right now (it holds that entry's locks; the next checkout
     * removes it).
     *
     * @param lineage what the entries that supersede each other share, a file name's worth of text
     */
    RootFilesystem checkout(String key, String lineage, String description, Maker maker, String name, Path workDir,
            CommandRunner commands, BuildLog log, BuildCancellation cancellation) {
        Path tree = tree(key);
        // Copied under the entry's locks, so that no other build removes it half way through the copy.
        RootFilesystem copy = locked(key, cancellation, () -> {
            if (Files.isDirectory(tree)) {
                log.line(description + ": cached");
            } else {
                make(key, Optional.of(lineage), description, maker, workDir, log);
            }
            RootFilesystem copied = RootFilesystem.copyOf(tree, name, workDir, commands);
            verify(key, description, copied.root(), workDir, log);
            return copied;
        });
        evictSuperseded(key, lineage, workDir, log);
        return copy;
    }

    /** Runs {@code work} holding the entry's in-process lock and its lock file. */
    private <T> T locked(String key, BuildCancellation cancellation, Supplier<T> work) {
        ReentrantLock threads = IN_PROCESS_LOCKS.computeIfAbsent(dir.resolve(key), path -> new ReentrantLock());
        awaitLock(threads, cancellation);
        try (FileChannel lockFile = openLockFile(key); FileLock processes = awaitLock(lockFile, cancellation)) {
            return work.get();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            threads.unlock();
        }
    }

    /** Makes the entry {@code key} in a partial directory and renames it into place; the caller holds its locks. */
    private void make(String key, Optional<String> lineage, String description, Maker maker, Path workDir,
            BuildLog log) {
        log.line(description + ": not cached, making it");
        // Cleaning up must work in a cancelled build too: it gets a runner of its own.
        CommandRunner cleanup = new CommandRunner(log, new BuildCancellation());
        Path partial = dir.resolve("." + key + ".partial-" + UUID.randomUUID());
        try {
            removeLeftovers(key, workDir, cleanup);
            try {
                maker.make(Files.createDirectories(partial));
                Files.writeString(partial.resolve(DIGEST_FILE), Sha256.ofTree(partial.resolve("rootfs")) + "\n");
                if (lineage.isPresent()) {
                    Files.writeString(partial.resolve(LINEAGE_FILE), lineage.get() + "\n");
                }
                Files.move(partial, dir.resolve(key), StandardCopyOption.ATOMIC_MOVE);
            } finally {
                if (Files.exists(partial)) {
                    remove(partial, workDir, cleanup);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Removes the entries of {@code lineage} other than {@code key}, each only if its locks are free
     * at once: a build holding them is making or copying that entry, and a later checkout removes it.
     */
    private void evictSuperseded(String key, String lineage, Path workDir, BuildLog log) {
        List<Path> superseded;
        try (Stream<Path> entries = Files.list(dir)) {
            superseded = entries.filter(entry -> !entry.getFileName().toString().startsWith(".")
                    && !entry.getFileName().toString().equals(key) && lineage.equals(lineageOf(entry))).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Path entry : superseded) {
            String other = entry.getFileName().toString();
            ReentrantLock threads = IN_PROCESS_LOCKS.computeIfAbsent(entry, path -> new ReentrantLock());
            if (!threads.tryLock()) {
                continue;
            }
            try (FileChannel lockFile = openLockFile(other); FileLock processes = lockFile.tryLock()) {
                if (processes != null) {
                    discard(other, workDir, log);
                    log.line("base cache: removed " + other + ", superseded by " + key);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                threads.unlock();
            }
        }
    }

    private static String lineageOf(Path entry) {
        try {
            return Files.readString(entry.resolve(LINEAGE_FILE)).strip();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Checks a build's copy of the entry {@code key} against the digest recorded when the entry was
     * made. On a mismatch (or no digest) the entry is discarded, so that the next attempt makes it again.
     *
     * @throws BuildException INFRASTRUCTURE BASE_CACHE_CORRUPT on a mismatch (retried like any
     *                        infrastructure failure)
     */
    void verify(String key, String description, Path copy, Path workDir, BuildLog log) {
        Path entry = dir.resolve(key);
        String recorded;
        try {
            recorded = Files.readString(entry.resolve(DIGEST_FILE)).strip();
        } catch (IOException e) {
            recorded = "(none recorded)";
        }
        String copied = Sha256.ofTree(copy);
        if (copied.equals(recorded)) {
            return;
        }
        log.line(description + ": the cached tree's digest is " + copied + ", recorded " + recorded
                + "; discarding the entry");
        discard(key, workDir, log);
        throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "BASE_CACHE_CORRUPT", description
                + " in the worker's cache no longer matches the digest recorded when it was made; it was"
                + " discarded and will be made again", null);
    }

    /** Moves the entry out of the way at once (atomically), then removes it. */
    private void discard(String key, Path workDir, BuildLog log) {
        Path discarded = dir.resolve("." + key + ".discarded-" + UUID.randomUUID());
        try {
            Files.move(dir.resolve(key), discarded, StandardCopyOption.ATOMIC_MOVE);
            remove(discarded, workDir, new CommandRunner(log, new BuildCancellation()));
        } catch (IOException e) {
            // Another build discarded it first: the next attempt makes it again all the same.
        }
    }

    /** Whether the entry {@code key} is made (a build's checkout would copy it without making it). */
    boolean has(String key) {
        return Files.isDirectory(tree(key));
    }

    private Path tree(String key) {
        return dir.resolve(key).resolve("rootfs");
    }

    /** Partial entries of a worker that died while making this key. */
    private void removeLeftovers(String key, Path workDir, CommandRunner commands) throws IOException {
        List<Path> leftovers;
        try (Stream<Path> entries = Files.list(dir)) {
            leftovers = entries.filter(path -> path.getFileName().toString().startsWith("." + key + ".partial-"))
                    .toList();
        }
        for (Path leftover : leftovers) {
            remove(leftover, workDir, commands);
        }
    }

    /**
     * debootstrap mounts /proc and /sys inside the tree; killed, it leaves them mounted. They are
     * unmounted first, and rm stays on the tree's own filesystem in any case.
     */
    private static void remove(Path partial, Path workDir, CommandRunner commands) throws IOException {
        List<String> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String mountPoint = line.split(" ")[1].replace("\\040", " ");
            if (Path.of(mountPoint).startsWith(partial)) {
                mounts.add(mountPoint);
            }
        }
        mounts.sort(Comparator.comparingInt(String::length).reversed());
        for (String mountPoint : mounts) {
            commands.run(TOOL_TIMEOUT, workDir, null, "umount", "--lazy", mountPoint);
        }
        commands.run(TOOL_TIMEOUT, workDir, null, "rm", "-rf", "--one-file-system", "--", partial.toString());
    }

    private FileChannel openLockFile(String key) throws IOException {
        Files.createDirectories(dir);
        return FileChannel.open(dir.resolve("." + key + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    }

    /** Waits for the lock, giving up when the build is cancelled meanwhile. */
    private static void awaitLock(ReentrantLock lock, BuildCancellation cancellation) {
        try {
            while (!lock.tryLock(LOCK_POLL.toMillis(), TimeUnit.MILLISECONDS)) {
                cancellation.throwIfCancelled();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "INTERRUPTED", "build interrupted", e);
        }
    }

    private static FileLock awaitLock(FileChannel channel, BuildCancellation cancellation) throws IOException {
        for (FileLock lock = channel.tryLock();; lock = channel.tryLock()) {
            if (lock != null) {
                return lock;
            }
            cancellation.throwIfCancelled();
            try {
                Thread.sleep(LOCK_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "INTERRUPTED", "build interrupted", e);
            }
        }
    }
}
