package dev.byoos.testsupport;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.awaitility.core.ConditionTimeoutException;

/**
 * The devstack jar run as a child JVM. A child, not a library: Kafka's and S3Proxy's jars on a
 * Quarkus test's classpath break it. The child watches its stdin, which this JVM holds open for
 * life, so it stops even when this JVM is killed with SIGKILL.
 */
final class DevStackChild {

    static final String JAR = "deploy/devstack/target/byoos-devstack.jar";

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final int LOG_TAIL_LINES = 40;
    private static final DateTimeFormatter DIR_TIMESTAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private DevStackChild() {
    }

    /** Starts the child and returns its endpoints.properties once the stack is ready. */
    static Path start() {
        Path root = repositoryRoot(Path.of(System.getProperty("user.dir")));
        Path jar = root.resolve(JAR);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first with "
                    + "`mvn -pl deploy/devstack -am package` (from " + root + ")");
        }
        // One directory per JVM: parallel test JVMs (one per module) each get their own stack.
        Path dataDir = root.resolve("target/devstack-test").resolve(
                "jvm-" + ProcessHandle.current().pid() + "-" + LocalDateTime.now().format(DIR_TIMESTAMP));
        Path console = dataDir.resolve("console.log");
        Process child;
        try {
            Files.createDirectories(dataDir);
            child = new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g",
                    // C1 only: the stack is ready ~1 s sooner and leaves the cores to the tests.
                    "-XX:TieredStopAtLevel=1",
                    "-jar", jar.toString(),
                    "servers", "--data-dir", dataDir.toString(), "--watch-stdin")
                    .redirectErrorStream(true)
                    .redirectOutput(console.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the dev stack from " + jar, e);
        }
        AtomicBoolean ready = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(child, dataDir, ready.get()), "devstack-child-stop"));
        Path endpointsFile = awaitEndpoints(child, dataDir.resolve(Endpoints.FILE_NAME), console);
        ready.set(true);
        return endpointsFile;
    }

    /** The nearest directory at or above {@code start} that holds the devstack module. */
    static Path repositoryRoot(Path start) {
        for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("deploy/devstack/pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no deploy/devstack/pom.xml in " + start.toAbsolutePath()
                + " or any parent: run the tests from inside the BYOOS Factory checkout, or set "
                + TestStack.ENDPOINTS_ENV + " to a running stack's endpoints.properties");
    }

    private static Path awaitEndpoints(Process child, Path endpointsFile, Path console) {
        try {
            await("the dev stack's endpoints").atMost(STARTUP_TIMEOUT).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        if (!child.isAlive()) {
                            throw new IllegalStateException("the dev stack exited with code " + child.exitValue()
                                    + " before it was ready; " + tail(console));
                        }
                        return Files.exists(endpointsFile);
                    });
        } catch (ConditionTimeoutException e) {
            try {
                child.getOutputStream().close();
            } catch (IOException e2) {
                throw new UncheckedIOException(e2);
            }
            throw new IllegalStateException("the dev stack was not ready within " + STARTUP_TIMEOUT.toSeconds() + " s; "
                    + tail(console), e);
        }
        return endpointsFile;
    }

    /**
     * Closing stdin asks the child to stop; signals only if it does not. The per-JVM data directory
     * is deleted after a clean run and kept, logs included, when the stack failed to start.
     */
    private static void stop(Process child, Path dataDir, boolean wasReady) {
        try {
            child.getOutputStream().close();
            if (!child.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                child.destroy();
                if (!child.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    // Its PostgreSQL may survive this: keep the directory (and postmaster.pid) so
                    // `wipe --data-dir` can stop it later.
                    child.destroyForcibly();
                    return;
                }
            }
            if (wasReady) {
                TestDirectories.deleteRecursively(dataDir);
            }
        } catch (IOException e) {
            // Shutdown hook: nobody to report to but stderr; the directory is under target/.
            System.err.println("byoos-test-support: could not delete " + dataDir + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
            return "server logs in " + log.resolveSibling("logs") + "; last lines of " + log + ":\n"
                    + String.join("\n", tail);
        } catch (IOException e) {
            return "its output is in " + log;
        }
    }
}
