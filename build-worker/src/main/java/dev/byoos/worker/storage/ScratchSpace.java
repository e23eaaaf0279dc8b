package dev.byoos.worker.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

import dev.byoos.worker.config.WorkerConfig;

/**
 * The worker's local scratch space ({@code byoos.worker.scratch-dir}): one directory per running build
 * attempt ({@code <build id>.attempt-<n>}, the attempt of the build's lease), removed when the build ends.
 *
 * <p>A worker killed mid-build (SIGKILL, OOM, a node lost) cannot clean up, and its half-built
 * trees would otherwise stay forever, or worse, be built on: a redelivered request would apply the
 * spec's layers a second time to a tree that already has them. So one worker process owns the
 * directory at a time, through an exclusive lock the operating system releases however the process
 * ends, and a worker that takes the lock removes everything in it before it accepts builds: no
 * process is building there any more, and none of those builds was acknowledged, so each is
 * redelivered and built again from a fresh directory.
 */
@ApplicationScoped
public class ScratchSpace {

    private static final Logger LOG = Logger.getLogger(ScratchSpace.class);

    /** Held (flock) for the worker's lifetime; the one entry a starting worker does not remove. */
    static final String LOCK_FILE = ".worker.lock";

    private final Path root;
    private FileChannel lockChannel;
    private FileLock lock;

    @Inject
    public ScratchSpace(WorkerConfig config) {
        this(config.scratchDir());
    }

    ScratchSpace(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /**
     * At startup, ahead of the messaging channels (which start at LIBRARY_BEFORE): a worker that
     * cannot have its scratch directory fails to start instead of failing every build.
     */
    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
        claim();
    }

    /**
     * Takes the directory for this process and removes what an earlier worker left in it.
     *
     * @throws IllegalStateException when another worker process holds the directory
     */
    public synchronized void claim() {
        if (lock != null) {
            return;
        }
        try {
            Files.createDirectories(root);
            lockChannel = FileChannel.open(root.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            lock = lockChannel.tryLock();
            if (lock == null) {
                lockChannel.close();
                lockChannel = null;
                throw new IllegalStateException("the scratch directory " + root + " is in use by another worker "
                        + "process; give each worker a directory of its own (byoos.worker.scratch-dir, BYOOS_SCRATCH_DIR)");
            }
            for (Path leftover : entries()) {
                LOG.warnf("removing %s: left by a worker that ended mid-build (its request is built again)", leftover);
                FileTrees.delete(leftover);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the scratch directory " + root, e);
        }
    }

    /**
     * @param attempt the build's attempt (its lease's number): two attempts of one build, on workers
     *                sharing a disk or not, never share a directory
     * @return a new, empty directory for the build's attempt; what an earlier try of the same
     *         attempt left there is removed first
     */
    public Path create(String buildId, long attempt) throws IOException {
        claim();
        Path directory = root.resolve(buildId + ".attempt-" + attempt).normalize();
        if (!directory.getParent().equals(root)) {
            throw new IllegalArgumentException("not a build id: " + buildId);
        }
        FileTrees.delete(directory);
        return Files.createDirectories(directory);
    }

    /** Removes a build's directory; a failure is logged, not thrown: the build's outcome stands. */
    public void remove(Path directory) {
        try {
            FileTrees.delete(directory);
        } catch (IOException e) {
            LOG.warnf("could not remove scratch directory %s: %s", directory, e.getMessage());
        }
    }

    /** @return the build directories in the scratch space now */
    List<Path> entries() throws IOException {
        try (Stream<Path> entries = Files.list(root)) {
            return entries.filter(entry -> !entry.getFileName().toString().equals(LOCK_FILE)).sorted().toList();
        }
    }

    @PreDestroy
    synchronized void release() {
        try {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException e) {
            LOG.warnf("could not release the lock on %s: %s", root, e.getMessage());
        } finally {
            lock = null;
            lockChannel = null;
        }
    }
}
