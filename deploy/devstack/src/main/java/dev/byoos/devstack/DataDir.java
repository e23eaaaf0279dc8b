package dev.byoos.devstack;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/** The layout of a dev stack's data directory; every server keeps its state below it. */
public record DataDir(Path root) {

    /** Marks a directory as a dev stack's (so {@code wipe} never deletes anything else) and guards it. */
    static final String LOCK_FILE_NAME = "devstack.lock";

    public DataDir {
        root = root.toAbsolutePath().normalize();
    }

    public Path endpointsFile() {
        return root.resolve(Endpoints.FILE_NAME);
    }

    public Path lockFile() {
        return root.resolve(LOCK_FILE_NAME);
    }

    public Path logs() {
        return root.resolve("logs");
    }

    public Path kafka() {
        return root.resolve("kafka");
    }

    public Path postgres() {
        return root.resolve("postgres");
    }

    public Path s3() {
        return root.resolve("s3");
    }

    public Path registry() {
        return root.resolve("registry");
    }

    public boolean looksLikeDevStack() {
        return Files.isRegularFile(lockFile());
    }

    /**
     * Takes the directory's exclusive lock, held for the life of a running stack, so two stacks
     * never share a data directory and {@code wipe} can tell whether one is running.
     */
    Lock lock() throws IOException {
        Files.createDirectories(root);
        FileChannel channel = FileChannel.open(lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock fileLock;
        try {
            fileLock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            fileLock = null;
        }
        if (fileLock == null) {
            channel.close();
            throw new IllegalStateException("another dev stack is running on " + root
                    + " (stop it with: stop --data-dir " + root + ")");
        }
        return new Lock(channel, fileLock);
    }

    /**
     * Whether a live process holds this directory's lock. Only for processes other than the
     * stack's own: on Linux, closing any channel of a file drops all of this process's locks on it.
     */
    boolean isLocked() throws IOException {
        if (!Files.exists(lockFile())) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(lockFile(), StandardOpenOption.WRITE)) {
            FileLock fileLock = channel.tryLock();
            if (fileLock == null) {
                return true;
            }
            fileLock.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true;
        }
    }

    /** The pid recorded in endpoints.properties, if the file is there and readable. */
    Optional<Long> recordedPid() {
        Path file = endpointsFile();
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Endpoints.load(file).devstackPid());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** An acquired directory lock; closing releases it. */
    static final class Lock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock fileLock;

        private Lock(FileChannel channel, FileLock fileLock) throws IOException {
            this.channel = channel;
            this.fileLock = fileLock;
            // The owner's pid, for humans looking at a stuck directory.
            channel.truncate(0);
            channel.write(StandardCharsets.UTF_8.encode(ProcessHandle.current().pid() + "\n"));
        }

        @Override
        public void close() throws IOException {
            try {
                fileLock.release();
            } finally {
                channel.close();
            }
        }
    }
}
