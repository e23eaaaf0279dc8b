package dev.byoos.devstack;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An OCI registry: CNCF Distribution (Debian's {@code docker-registry}) as a child process. */
final class RegistryServer implements AutoCloseable, Suspendable {

    static final Path BINARY = Path.of("/usr/bin/docker-registry");

    private static final Logger LOG = LoggerFactory.getLogger(RegistryServer.class);
    private static final String PID_FILE = "registry.pid";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);

    private final ProcessBuilder command;
    private final Path pidFile;
    private final Path logFile;
    private final String url;
    /** Null while suspended. */
    private Process process;

    private RegistryServer(ProcessBuilder command, Path pidFile, Path logFile, String url) {
        this.command = command;
        this.pidFile = pidFile;
        this.logFile = logFile;
        this.url = url;
    }

    static RegistryServer start(Path dir, Path logsDir) throws Exception {
        ensureInstalled(logsDir);
        stopStale(dir);
        Path storage = dir.resolve("storage");
        Files.createDirectories(storage);
        int port = Ports.stable(dir, 1)[0];
        Path configFile = dir.resolve("config.yml");
        Files.writeString(configFile, config(storage, port), StandardCharsets.UTF_8);

        Path logFile = logsDir.resolve("registry.log");
        ProcessBuilder command = new ProcessBuilder(BINARY.toString(), "serve", configFile.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        String url = "http://" + Ports.LOOPBACK + ":" + port;
        RegistryServer registry = new RegistryServer(command, dir.resolve(PID_FILE), logFile, url);
        try {
            registry.resume();
        } catch (Exception e) {
            try {
                registry.close();
            } catch (IOException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        return registry;
    }

    /** Stops a registry that an earlier stack on this data directory left running. */
    static void stopStale(Path dir) {
        Processes.readPid(dir.resolve(PID_FILE))
                .flatMap(pid -> Processes.live(pid, "docker-registry"))
                .ifPresent(stale -> {
                    LOG.warn("Stopping the registry left running by an earlier stack (pid {})", stale.pid());
                    Processes.terminate(stale, STOP_TIMEOUT, "stale registry");
                });
    }

    String url() {
        return url;
    }

    private static String config(Path storage, int port) {
        return String.join("\n",
                "# Written by the BYOOS dev stack on every start. Local use only: no auth, loopback.",
                "version: 0.1",
                "log:",
                "  level: warn",
                "  accesslog:",
                "    disabled: true",
                "storage:",
                "  filesystem:",
                "    rootdirectory: " + storage,
                "  delete:",
                "    enabled: true",
                "http:",
                "  addr: " + Ports.LOOPBACK + ":" + port,
                "");
    }

    /** Installs Debian's package when running as root; otherwise tells the user what to run. */
    private static void ensureInstalled(Path logsDir) throws IOException, InterruptedException {
        if (Files.isExecutable(BINARY)) {
            return;
        }
        if (!isRoot()) {
            throw new IllegalStateException(BINARY + " is missing: install it with "
                    + "`sudo apt-get install docker-registry`");
        }
        LOG.warn("{} is missing: installing Debian's docker-registry package", BINARY);
        Path logFile = logsDir.resolve("registry-install.log");
        run(List.of("apt-get", "update"), logFile);
        run(List.of("apt-get", "install", "-y", "docker-registry"), logFile);
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException("apt-get installed docker-registry but " + BINARY
                    + " is still missing; see " + logFile);
        }
    }

    private static boolean isRoot() throws IOException {
        return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    }

    private static void run(List<String> command, Path logFile) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process process = builder.start();
        if (!process.waitFor(INSTALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish within "
                    + INSTALL_TIMEOUT.toMinutes() + " min; see " + logFile);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + process.exitValue()
                    + "); see " + logFile);
        }
    }

    /** Starts the process and waits until it answers; on the same port and storage every time. */
    @Override
    public synchronized void resume() throws IOException, InterruptedException {
        if (process != null) {
            return;
        }
        process = command.start();
        // Recorded so a later start can stop it if this JVM dies without cleaning up.
        Files.writeString(pidFile, process.pid() + "\n", StandardCharsets.UTF_8);
        awaitReady();
    }

    /** Stops the process (SIGTERM, then SIGKILL); what it stored stays. */
    @Override
    public synchronized void suspend() throws IOException {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            Processes.awaitExit(process.toHandle(), STOP_TIMEOUT, "registry");
        } catch (IllegalStateException e) {
            LOG.warn("The registry ignored SIGTERM; killing it", e);
            process.destroyForcibly();
        }
        process = null;
        Files.deleteIfExists(pidFile);
    }

    /** Polls {@code GET /v2/} until it answers 200. */
    private void awaitReady() throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/v2/"))
                .timeout(Duration.ofSeconds(2))
                .GET()
                .build();
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the registry exited with code " + process.exitValue()
                        + "; see " + logFile);
            }
            try {
                int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200) {
                    return;
                }
                LOG.debug("registry answered {} to GET /v2/", status);
            } catch (ConnectException | HttpTimeoutException e) {
                // Not listening yet, or too slow to answer on a loaded machine: both mean "not yet".
                LOG.debug("registry not answering yet: {}", e.toString());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the registry did not answer GET " + url + "/v2/ with 200 within "
                        + STARTUP_TIMEOUT.toSeconds() + " s; see " + logFile);
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() throws IOException {
        suspend();
    }
}
