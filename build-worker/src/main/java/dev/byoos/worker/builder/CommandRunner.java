package dev.byoos.worker.builder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the external tools a build needs (sfdisk, mke2fs, qemu-img, …) with a time limit, and turns
 * a non-zero exit into an exception carrying the command and its output. Everything run is
 * appended to the build log.
 */
public final class CommandRunner {

    private final BuildLog log;

    public CommandRunner(BuildLog log) {
        this.log = log;
    }

    /** @return the command's standard output */
    public String run(Duration timeout, Path workDir, String stdin, String... command) {
        List<String> argv = List.of(command);
        log.line("$ " + String.join(" ", argv));
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(argv)).directory(workDir.toFile());
        builder.environment().put("LC_ALL", "C");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "TOOL_MISSING",
                    "cannot run " + command[0] + ": " + e.getMessage() + " (is it installed on the worker?)", e);
        }
        CompletableFuture<String> stdout = drain(process.getInputStream());
        CompletableFuture<String> stderr = drain(process.getErrorStream());
        try {
            try (var in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "TOOL_TIMEOUT",
                        command[0] + " did not finish within " + timeout, null);
            }
            String out = stdout.join();
            String err = stderr.join();
            if (!err.isBlank()) {
                log.line(err.strip());
            }
            if (process.exitValue() != 0) {
                throw new BuildException(BuildException.Kind.BUILDER, "TOOL_FAILED",
                        command[0] + " exited with " + process.exitValue() + ": " + lastLines(err.isBlank() ? out : err),
                        null);
            }
            return out;
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "INTERRUPTED", "build interrupted", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }

    private static String lastLines(String text) {
        String[] lines = text.strip().split("\n");
        int from = Math.max(0, lines.length - 5);
        return String.join(" | ", java.util.Arrays.copyOfRange(lines, from, lines.length));
    }
}
