package dev.byoos.worker.builder.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;

/**
 * Runs the external tools a build needs (sfdisk, mke2fs, qemu-img, …) and the spec's scripts with a
 * time limit. A command that runs out of time, or whose build is cancelled, is killed with its
 * whole process tree. Everything run is appended to the build log.
 */
public final class CommandRunner {

    /** How long to wait for a finished command's output: a background child can hold the pipe open. */
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(10);
    /** Enough of a virtual machine's console to see why it did not boot. */
    private static final int WATCHED_LINES_KEPT = 40;
    /** Colour and cursor sequences (systemd, firmware) that make a console line unreadable in a log. */
    private static final Pattern TERMINAL_CONTROL = Pattern.compile("\\u001B(\\[[0-9;?]*[A-Za-z]|[()][A-Z0-9]|[=>c])|\\r");
    /** Output readers block; they get threads of their own rather than the (tiny) common pool. */
    private static final ExecutorService OUTPUT_READERS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "command-output");
        thread.setDaemon(true);
        return thread;
    });

    private final BuildLog log;
    private final BuildCancellation cancellation;

    public CommandRunner(BuildLog log, BuildCancellation cancellation) {
        this.log = log;
        this.cancellation = cancellation;
    }

    /**
     * How a command ended.
     *
     * @param timedOut whether it was killed for running out of time ({@code code} is then meaningless)
     * @param output   standard output (for scripts: standard output and error, interleaved)
     * @param errors   standard error (empty for scripts)
     * @param breached the failure code of the limit it broke and was stopped for (see {@link Containment}),
     *                 or empty; {@code code} is then meaningless
     */
    public record Exit(boolean timedOut, int code, String output, String errors, Optional<String> breached) {
    }

    /**
     * Bounds on a contained command besides its time limit.
     *
     * @param outputBytes the most output it may print: beyond it, it is stopped for {@value #OUTPUT_LIMIT}
     * @param guard       asked every {@link #GUARD_INTERVAL} while it runs; a breached limit's failure code stops it
     */
    public record Containment(long outputBytes, Guard guard) {
    }

    /** Watches a running contained command (its memory, processes, CPU time). */
    @FunctionalInterface
    public interface Guard {
        /**
         * @param command the running command (its descendants are everything it started)
         * @return the failure code of a limit the command has broken, or empty while it keeps within bounds
         */
        Optional<String> breached(ProcessHandle command);
    }

    public static final String OUTPUT_LIMIT = "OUTPUT_LIMIT";
    /** How often a contained command's guard is asked. */
    static final Duration GUARD_INTERVAL = Duration.ofMillis(200);
    /** What a script's log keeps of its output: the first and the last this many bytes. */
    static final int KEPT_OUTPUT_BYTES = 64 * 1024;

    /** A line in the build log for work the worker does itself, where a tool's command line would be. */
    public void note(String line) {
        log.line(line);
    }

    /** @throws BuildCancelledException once the build was cancelled: for work done in the worker itself */
    public void throwIfCancelled() {
        cancellation.throwIfCancelled();
    }

    /**
     * Runs a tool in the worker's environment.
     *
     * @return the command's standard output
     * @throws BuildException when the tool is missing, fails or runs out of time
     */
    public String run(Duration timeout, Path workDir, String stdin, String... command) {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(List.of(command))).directory(workDir.toFile());
        builder.environment().put("LC_ALL", "C");
        Exit exit = execute(builder, timeout, stdin, null);
        if (exit.timedOut()) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "TOOL_TIMEOUT",
                    command[0] + " did not finish within " + timeout, null);
        }
        if (!exit.errors().isBlank()) {
            log.line(exit.errors().strip());
        }
        if (exit.code() != 0) {
            throw new BuildException(BuildException.Kind.BUILDER, "TOOL_FAILED",
                    command[0] + " exited with " + exit.code() + ": "
                            + lastLines(exit.errors().isBlank() ? exit.output() : exit.errors()),
                    null);
        }
        return exit.output();
    }

    /**
     * Runs a script (or any command whose outcome the caller judges) with exactly {@code environment},
     * in a session of its own so that a kill reaches every process it forks. Its output goes to
     * the build log.
     */
    public Exit runScript(Duration timeout, Path workDir, Map<String, String> environment, String... command) {
        return runContained(timeout, workDir, environment, UNCONTAINED, command);
    }

    /**
     * {@link #runScript}, stopped (with its whole process tree) as soon as it prints more than the
     * containment allows or its guard reports a broken limit. Only the head and the tail of its
     * output are kept, whatever it prints.
     */
    public Exit runContained(Duration timeout, Path workDir, Map<String, String> environment, Containment containment,
            String... command) {
        List<String> argv = new ArrayList<>(List.of("setsid"));
        argv.addAll(List.of(command));
        ProcessBuilder builder = new ProcessBuilder(argv).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(environment);
        Exit exit = execute(builder, timeout, null, containment);
        if (!exit.output().isBlank()) {
            log.line(exit.output().strip());
        }
        return exit;
    }

    /**
     * How a watched command ended.
     *
     * @param stopLine  the output line that stopped it, or null when it ended on its own or ran out of time
     * @param timedOut  whether it was killed for running out of time
     * @param lastLines its last lines of output (standard output and error, interleaved)
     */
    public record Watched(String stopLine, boolean timedOut, List<String> lastLines) {
    }

    /**
     * Runs a long-lived command (a virtual machine) while reading its output line by line, and
     * kills it with its process tree as soon as a line satisfies {@code stopAt}, when it runs out
     * of time, or when the build is cancelled. The caller judges the outcome.
     */
    public Watched watch(Duration timeout, Path workDir, Predicate<String> stopAt, String... command) {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(List.of(command))).directory(workDir.toFile())
                .redirectErrorStream(true);
        builder.environment().put("LC_ALL", "C");
        Process process = start(builder);
        Deque<String> lastLines = new ArrayDeque<>();
        CompletableFuture<String> stopLine = new CompletableFuture<>();
        OUTPUT_READERS.execute(() -> {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null;) {
                    String readable = TERMINAL_CONTROL.matcher(line).replaceAll("").strip();
                    synchronized (lastLines) {
                        lastLines.addLast(readable);
                        if (lastLines.size() > WATCHED_LINES_KEPT) {
                            lastLines.removeFirst();
                        }
                    }
                    if (stopAt.test(readable)) {
                        stopLine.complete(readable);
                    }
                }
            } catch (IOException e) {
                // The process was killed while we read: what was read is all there is.
            }
            stopLine.complete(null);
        });
        try {
            process.getOutputStream().close();
            String stoppedBy = stopLine.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new Watched(stoppedBy, false, snapshot(lastLines));
        } catch (TimeoutException e) {
            return new Watched(null, true, snapshot(lastLines));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "INTERRUPTED", "build interrupted", e);
        } catch (ExecutionException | IOException e) {
            throw new IllegalStateException("reading the output of " + command[0], e);
        } finally {
            ProcessTree.kill(process);
            cancellation.detach(process);
            // A cancelled command was killed by the cancellation: how it ended says nothing.
            cancellation.throwIfCancelled();
        }
    }

    private static List<String> snapshot(Deque<String> lines) {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    private Process start(ProcessBuilder builder) {
        cancellation.throwIfCancelled();
        log.line("$ " + String.join(" ", builder.command()));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "TOOL_MISSING",
                    "cannot run " + builder.command().get(0) + ": " + e.getMessage()
                            + " (is it installed on the worker?)", e);
        }
        cancellation.attach(process);
        return process;
    }

    /** @param containment null for a tool: all of its output is kept, for the caller to parse */
    private Exit execute(ProcessBuilder builder, Duration timeout, String stdin, Containment containment) {
        Process process = start(builder);
        try {
            OutputKeeper stdoutKept = containment == null ? OutputKeeper.whole()
                    : new OutputKeeper(KEPT_OUTPUT_BYTES, KEPT_OUTPUT_BYTES);
            OutputKeeper stderrKept = OutputKeeper.whole();
            CompletableFuture<Void> stdout = drain(process.getInputStream(), stdoutKept);
            CompletableFuture<Void> stderr = builder.redirectErrorStream()
                    ? CompletableFuture.completedFuture(null)
                    : drain(process.getErrorStream(), stderrKept);
            try (var in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            Optional<String> breached = Optional.empty();
            boolean finished = false;
            while (!finished && breached.isEmpty() && System.nanoTime() < deadline) {
                long wait = containment == null ? deadline - System.nanoTime()
                        : Math.min(deadline - System.nanoTime(), GUARD_INTERVAL.toNanos());
                finished = process.waitFor(Math.max(0, wait), TimeUnit.NANOSECONDS);
                if (containment != null) {
                    breached = stdoutKept.total() > containment.outputBytes() ? Optional.of(OUTPUT_LIMIT)
                            : containment.guard().breached(process.toHandle());
                }
            }
            if (!finished || breached.isPresent()) {
                ProcessTree.kill(process);
            }
            // A cancelled command was killed by the cancellation: its exit says nothing about the tool.
            cancellation.throwIfCancelled();
            boolean timedOut = !finished && breached.isEmpty();
            int code = finished && breached.isEmpty() ? process.exitValue() : -1;
            await(stdout);
            await(stderr);
            return new Exit(timedOut, code, stdoutKept.text(), stderrKept.text(), breached);
        } catch (InterruptedException e) {
            ProcessTree.kill(process);
            Thread.currentThread().interrupt();
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "INTERRUPTED", "build interrupted", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            cancellation.detach(process);
        }
    }

    private static final Containment UNCONTAINED = new Containment(Long.MAX_VALUE, command -> Optional.empty());

    private static CompletableFuture<Void> drain(InputStream stream, OutputKeeper kept) {
        return CompletableFuture.runAsync(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (stream) {
                for (int read; (read = stream.read(buffer)) >= 0;) {
                    kept.append(buffer, 0, read);
                }
            } catch (IOException e) {
                // The process was killed while we read: what was read is all there is.
            }
        }, OUTPUT_READERS);
    }

    /** Waits a little for a finished command's output: a background child can hold the pipe open. */
    private static void await(CompletableFuture<Void> output) throws InterruptedException {
        try {
            output.get(OUTPUT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // What was read so far is kept; the rest belongs to a process that outlived the command.
        }
    }

    /** The last lines of a command's output, joined on one line: enough for a failure message. */
    public static String lastLines(String text) {
        String[] lines = text.strip().split("\n");
        int from = Math.max(0, lines.length - 5);
        return String.join(" | ", Arrays.copyOfRange(lines, from, lines.length));
    }
}
