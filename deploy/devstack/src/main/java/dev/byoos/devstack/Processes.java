package dev.byoos.devstack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Operating-system processes: the servers that run outside the JVM (PostgreSQL, the registry). */
final class Processes {

    private Processes() {
    }

    /** The first line of a pid file as a pid, if the file exists and holds one. */
    static Optional<Long> readPid(Path pidFile) {
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        try {
            String firstLine = Files.readAllLines(pidFile, StandardCharsets.UTF_8).stream()
                    .findFirst().orElse("").trim();
            return Optional.of(Long.parseLong(firstLine));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * A live process with that pid whose executable path contains {@code commandFragment}; the
     * check keeps a recycled pid of an unrelated process from being signalled.
     */
    static Optional<ProcessHandle> live(long pid, String commandFragment) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(handle -> handle.info().command().map(c -> c.contains(commandFragment)).orElse(false));
    }

    /**
     * Sends SIGTERM and waits for the process to exit.
     *
     * @throws IllegalStateException if it is still alive after the timeout
     */
    static void terminate(ProcessHandle process, Duration timeout, String what) {
        process.destroy();
        awaitExit(process, timeout, what);
    }

    static void awaitExit(ProcessHandle process, Duration timeout, String what) {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + " (pid " + process.pid() + ") did not exit within "
                    + timeout.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + what + " to exit", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not wait for " + what + " to exit", e.getCause());
        }
    }
}
