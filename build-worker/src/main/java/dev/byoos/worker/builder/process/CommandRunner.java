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
     */
    public record Exit(boolean timedOut, int code, String output, String errors) {
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
        Exit exit = execute(builder, timeout, stdin);
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
        List<String> argv = new ArrayList<>(List.of("setsid"));
        argv.addAll(List.of(command));
        ProcessBuilder builder = new ProcessBuilder(argv).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(environment);
        Exit exit = execute(builder, timeout, null);
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

    private Exit execute(ProcessBuilder builder, Duration timeout, String stdin) {
        Process process = start(builder);
        try {
            CompletableFuture<String> stdout = drain(process.getInputStream());
            CompletableFuture<String> stderr = builder.redirectErrorStream()
                    ? CompletableFuture.completedFuture("")
                    : drain(process.getErrorStream());
            try (var in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                ProcessTree.kill(process);
            }
            // A cancelled command was killed by the cancellation: its exit says nothing about the tool.
            cancellation.throwIfCancelled();
            return new Exit(!finished, finished ? process.exitValue() : -1, collect(stdout), collect(stderr));
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

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }, OUTPUT_READERS);
    }

    private static String collect(CompletableFuture<String> output) throws InterruptedException {
        try {
            return output.get(OUTPUT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return "(output not collected: a background process still holds it open)";
        } catch (ExecutionException e) {
            return "";
        }
    }

    /** The last lines of a command's output, joined on one line: enough for a failure message. */
    public static String lastLines(String text) {
        String[] lines = text.strip().split("\n");
        int from = Math.max(0, lines.length - 5);
        return String.join(" | ", Arrays.copyOfRange(lines, from, lines.length));
    }
}
