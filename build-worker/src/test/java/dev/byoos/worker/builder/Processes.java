package dev.byoos.worker.builder;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/** Finds processes by their full command line in /proc, to check that the builder left none behind. */
public final class Processes {

    /** Generous: killing is immediate, the bound only keeps a broken kill from hanging the test. */
    public static final Duration KILL_BOUND = Duration.ofSeconds(5);

    private Processes() {
    }

    /**
     * @return ids of the processes whose argv, joined by spaces, is {@code commandLine}. A killed
     *         process that nobody reaped yet (a zombie) has an empty command line and is not listed.
     */
    public static List<Long> running(String commandLine) {
        return matching(commandLine::equals);
    }

    /** @return ids of the processes whose argv, joined by spaces, contains {@code fragment} */
    public static List<Long> runningWith(String fragment) {
        return matching(commandLine -> commandLine.contains(fragment));
    }

    /** Waits until no process's command line contains {@code fragment} (a VM's disk path, say). */
    public static void awaitNoneWith(String fragment) {
        await("no process runs with " + fragment).atMost(KILL_BOUND).until(() -> runningWith(fragment).isEmpty());
    }

    public static void awaitOneWith(String fragment, Duration timeout) {
        await("a process runs with " + fragment).atMost(timeout).until(() -> !runningWith(fragment).isEmpty());
    }

    private static List<Long> matching(java.util.function.Predicate<String> commandLine) {
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            return entries.filter(entry -> entry.getFileName().toString().chars().allMatch(Character::isDigit))
                    .filter(entry -> commandLine.test(commandLine(entry)))
                    .map(entry -> Long.parseLong(entry.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new AssertionError("cannot list /proc", e);
        }
    }

    public static void awaitGone(String commandLine) {
        await("no process runs " + commandLine).atMost(KILL_BOUND).until(() -> running(commandLine).isEmpty());
    }

    public static void awaitStarted(String commandLine, Duration timeout) {
        await("a process runs " + commandLine).atMost(timeout).until(() -> !running(commandLine).isEmpty());
    }

    private static String commandLine(Path procEntry) {
        try {
            return new String(Files.readAllBytes(procEntry.resolve("cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').strip();
        } catch (IOException e) {
            return ""; // the process ended while we looked
        }
    }
}
